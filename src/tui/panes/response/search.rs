//! Case-insensitive search over a document's lines.
//!
//! Each line is case-folded into a scratch buffer with a mapping that
//! keeps every character's byte length (a character whose lower case is
//! longer or shorter is left as it is), so a match's byte range in the
//! folded copy is its range in the line itself. One `memmem` scan per line:
//! a megabyte takes about a millisecond.

use memchr::memmem;

use super::document::Document;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Match {
    pub line: usize,
    pub start: usize,
    pub end: usize,
}

/// Every occurrence of `query` in `doc`, in order, not overlapping.
pub(super) fn find_all(doc: &Document, query: &str) -> Vec<Match> {
    let mut needle = String::new();
    fold_case(query, &mut needle);
    if needle.is_empty() {
        return Vec::new();
    }
    let finder = memmem::Finder::new(needle.as_bytes());
    let mut folded = String::new();
    let mut out = Vec::new();
    for (line, (text, _)) in doc.lines().enumerate() {
        folded.clear();
        fold_case(text, &mut folded);
        out.extend(finder.find_iter(folded.as_bytes()).map(|start| Match {
            line,
            start,
            end: start + needle.len(),
        }));
    }
    out
}

/// Lower-cases `text` into `out`, keeping every character's length.
fn fold_case(text: &str, out: &mut String) {
    if text.is_ascii() {
        let from = out.len();
        out.push_str(text);
        if let Some(added) = out.get_mut(from..) {
            added.make_ascii_lowercase();
        }
        return;
    }
    for c in text.chars() {
        let mut lower = c.to_lowercase();
        match (lower.next(), lower.next()) {
            (Some(l), None) if l.len_utf8() == c.len_utf8() => out.push(l),
            _ => out.push(c),
        }
    }
}

/// The state of the search: the query being typed, the confirmed one, and
/// its matches in the document they were computed for.
#[derive(Debug, Default)]
pub(super) struct Search {
    /// Some while the prompt is open: what has been typed.
    pub prompt: Option<String>,
    pub query: String,
    pub matches: Vec<Match>,
    /// The match last jumped to.
    pub current: Option<usize>,
    /// Which document (id, revision) the matches belong to.
    searched: Option<(u64, u64)>,
}

impl Search {
    pub(super) fn is_active(&self) -> bool {
        !self.query.is_empty()
    }

    /// Searches `doc` again when the matches are for another document or
    /// an older revision of it; the current match stays on the same spot.
    pub(super) fn refresh(&mut self, doc: &Document) {
        let key = Some((doc.id(), doc.revision()));
        if !self.is_active() || self.searched == key {
            return;
        }
        let kept = self.current.and_then(|i| self.matches.get(i)).copied();
        let same_doc = self.searched.map(|(id, _)| id) == Some(doc.id());
        self.matches = find_all(doc, &self.query);
        self.searched = key;
        self.current = match kept {
            Some(m) if same_doc => self.matches.iter().position(|x| *x >= m),
            _ => None,
        };
    }

    /// Sets a new query and searches `doc` for it.
    pub(super) fn set_query(&mut self, query: String, doc: &Document) {
        self.query = query;
        self.searched = None;
        self.current = None;
        self.matches.clear();
        self.refresh(doc);
    }

    /// The first match at or after `line` (wrapping round to the first).
    pub(super) fn first_from(&self, line: usize) -> Option<usize> {
        if self.matches.is_empty() {
            return None;
        }
        Some(self.matches.partition_point(|m| m.line < line) % self.matches.len())
    }

    /// The match `step` places from the current one (wrapping round), or
    /// the first at or after `line` when none is current yet.
    pub(super) fn step(&self, step: isize, line: usize) -> Option<usize> {
        let len = self.matches.len();
        let Some(current) = self.current else {
            return match step {
                s if s >= 0 => self.first_from(line),
                _ => self.first_from(line).map(|i| (i + len - 1) % len.max(1)),
            };
        };
        if len == 0 {
            return None;
        }
        let len = len as isize;
        Some(((current as isize + step).rem_euclid(len)) as usize)
    }

    /// The matches on `line`, in order, with the index of the first.
    pub(super) fn on_line(&self, line: usize) -> (usize, &[Match]) {
        let from = self.matches.partition_point(|m| m.line < line);
        let to = self.matches.partition_point(|m| m.line <= line);
        (from, self.matches.get(from..to).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::panes::response::document::LineKind;

    fn doc(text: &str) -> Document {
        let mut doc = Document::new();
        doc.push(text, LineKind::Plain);
        doc
    }

    #[test]
    fn finds_case_insensitively_with_byte_ranges_of_the_original() {
        let d = doc("Hello hello\nHÉLLO wörld\nnothing");
        let found = find_all(&d, "héllo");
        assert_eq!(
            found,
            vec![Match {
                line: 1,
                start: 0,
                end: 6
            }]
        );
        let found = find_all(&d, "HELLO");
        assert_eq!(found.len(), 2);
        assert_eq!((found[1].line, found[1].start, found[1].end), (0, 6, 11));
        assert!(find_all(&d, "").is_empty());
        assert!(find_all(&d, "absent").is_empty());
    }

    #[test]
    fn characters_whose_case_changes_length_are_matched_as_they_are() {
        // 'İ' lower-cases to two characters: it is kept, nothing shifts.
        let d = doc("İstanbul ISTANBUL");
        let found = find_all(&d, "istanbul");
        assert_eq!(found.len(), 1);
        assert_eq!(
            &d.line(0).map(|(t, _)| t).unwrap_or_default()[found[0].start..found[0].end],
            "ISTANBUL"
        );
    }

    #[test]
    fn stepping_wraps_round() {
        let d = doc("a x\nb\nx x\nx");
        let mut s = Search::default();
        s.set_query("X".into(), &d);
        assert_eq!(s.matches.len(), 4);
        assert_eq!(s.first_from(1), Some(1));
        assert_eq!(s.first_from(9), Some(0));
        assert_eq!(s.step(1, 1), Some(1));
        assert_eq!(s.step(-1, 1), Some(0));
        s.current = Some(3);
        assert_eq!(s.step(1, 0), Some(0));
        s.current = Some(0);
        assert_eq!(s.step(-1, 0), Some(3));
        assert_eq!(s.on_line(2).1.len(), 2);
        assert_eq!(s.on_line(2).0, 1);
        assert!(s.on_line(1).1.is_empty());
    }

    #[test]
    fn refresh_follows_a_growing_document() {
        let mut d = doc("one x");
        let mut s = Search::default();
        s.set_query("x".into(), &d);
        s.current = Some(0);
        d.append(" and x", LineKind::Plain);
        s.refresh(&d);
        assert_eq!(s.matches.len(), 2);
        assert_eq!(s.current, Some(0));
        let other = doc("x");
        s.refresh(&other);
        assert_eq!(s.current, None);
    }

    #[test]
    fn a_megabyte_document_is_searched_whole() {
        let line = "lorem ipsum dolor sit amet ".repeat(40);
        let mut d = Document::new();
        for _ in 0..1_000 {
            d.push(&line, LineKind::Plain);
        }
        let found = find_all(&d, "DOLOR");
        assert_eq!(found.len(), 40_000);
    }
}
