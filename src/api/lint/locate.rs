//! Where a lint problem's location sits in the body's *text*: the JSON
//! path of a [`Problem`](super::Problem) turned into a line and column, for
//! the composer's gutter and `claudetui lint`'s `file:line:col`.
//!
//! Pure and forgiving: a small scanner that walks the text without
//! building values, so it also answers on text that is only partly valid.

use serde::{Deserialize, Serialize};

use super::PathSegment;

/// A place in the text: 1-based line and column (columns in characters,
/// as the API and editors count them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextPosition {
    pub line: usize,
    pub column: usize,
    /// False when the location itself is not in the text (a missing field)
    /// and this is the deepest enclosing value that is.
    pub exact: bool,
}

/// Where the value at `location` starts in `text` — for an object member,
/// where its key starts, since that is what a reader looks for. A location
/// that is not in the text (a required field that is missing) gives the
/// deepest enclosing value that is, marked not exact. None for text with
/// no value at all. Meant for valid JSON; on invalid text it stops at the
/// first thing it does not understand and answers what it found so far.
pub fn locate(text: &str, location: &[PathSegment]) -> Option<TextPosition> {
    let mut scanner = Scanner::new(text);
    scanner.skip_space();
    scanner.peek()?;
    let best = scanner.position(location.is_empty());
    descend(scanner, best, location, 0)
}

/// Many problems in one text: the top-level object's members are found
/// in one scan, not one scan per problem (a body with 80k unknown fields
/// has 80k problems at the top level).
pub struct Locator<'a> {
    text: &'a str,
    /// Each top-level member: where its key starts, and a scanner at its
    /// value. Built on first use; `None` inside when the text is no object.
    members: Option<Option<std::collections::HashMap<String, (TextPosition, Scanner<'a>)>>>,
}

impl<'a> Locator<'a> {
    pub fn new(text: &'a str) -> Locator<'a> {
        Locator {
            text,
            members: None,
        }
    }

    /// The same answer as [`locate`].
    pub fn locate(&mut self, location: &[PathSegment]) -> Option<TextPosition> {
        let Some(PathSegment::Key(key)) = location.first() else {
            return locate(self.text, location);
        };
        let text = self.text;
        let members = self.members.get_or_insert_with(|| index_members(text));
        let Some(members) = members else {
            return locate(text, location);
        };
        match members.get(key) {
            Some((at, scanner)) => {
                let exact = location.len() == 1;
                let at = TextPosition { exact, ..*at };
                descend(scanner.clone(), at, location, 1)
            }
            // Missing at the top: the object itself, as `locate` answers.
            None => locate(text, location),
        }
    }
}

/// The top-level object's members (the last of a repeated key wins, as
/// the parser keeps it); `None` when the text is not an object.
fn index_members(
    text: &str,
) -> Option<std::collections::HashMap<String, (TextPosition, Scanner<'_>)>> {
    let mut scanner = Scanner::new(text);
    scanner.skip_space();
    if scanner.peek() != Some('{') {
        return None;
    }
    scanner.bump();
    let mut members = std::collections::HashMap::new();
    loop {
        scanner.skip_space();
        if scanner.peek() != Some('"') {
            break;
        }
        let at = scanner.position(true);
        let Some(name) = scanner.read_string() else {
            break;
        };
        scanner.skip_space();
        if scanner.bump() != Some(':') {
            break;
        }
        scanner.skip_space();
        members.insert(name, (at, scanner.clone()));
        if scanner.skip_value().is_none() {
            break;
        }
        scanner.skip_space();
        if scanner.bump() != Some(',') {
            break;
        }
    }
    Some(members)
}

/// Follows `location` from segment `from` on, the scanner at the value
/// the earlier segments reached (`best` is where that value is).
fn descend(
    mut scanner: Scanner<'_>,
    mut best: TextPosition,
    location: &[PathSegment],
    from: usize,
) -> Option<TextPosition> {
    for (depth, segment) in location.iter().enumerate().skip(from) {
        let exact = depth + 1 == location.len();
        let found = match (scanner.peek(), segment) {
            (Some('{'), PathSegment::Key(key)) => scanner.find_member(key, exact),
            (Some('['), PathSegment::Index(index)) => scanner.find_element(*index, exact),
            _ => None,
        };
        match found {
            Some(position) => best = position,
            None => break,
        }
    }
    Some(best)
}

/// A cursor over JSON text that counts lines and columns as it goes.
#[derive(Clone)]
struct Scanner<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    line: usize,
    column: usize,
}

impl<'a> Scanner<'a> {
    fn new(text: &'a str) -> Self {
        Scanner {
            chars: text.chars().peekable(),
            line: 1,
            column: 1,
        }
    }

    fn peek(&mut self) -> Option<char> {
        self.chars.peek().copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.chars.next()?;
        if c == '\n' {
            self.line += 1;
            self.column = 1;
        } else {
            self.column += 1;
        }
        Some(c)
    }

    fn position(&self, exact: bool) -> TextPosition {
        TextPosition {
            line: self.line,
            column: self.column,
            exact,
        }
    }

    fn skip_space(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.bump();
        }
    }

    /// At `{`: moves to the value of member `key` and answers where the
    /// member's key starts; None when the object has no such member. A key
    /// that repeats is found at its last occurrence: the parser keeps the
    /// last value, so that is the one a problem is about.
    fn find_member(&mut self, key: &str, exact: bool) -> Option<TextPosition> {
        self.bump();
        let mut found: Option<(TextPosition, Scanner<'a>)> = None;
        loop {
            self.skip_space();
            if self.peek() != Some('"') {
                break;
            }
            let at = self.position(exact);
            let Some(name) = self.read_string() else {
                break;
            };
            self.skip_space();
            if self.bump() != Some(':') {
                break;
            }
            self.skip_space();
            if name == key {
                found = Some((at, self.clone()));
            }
            if self.skip_value().is_none() {
                break;
            }
            self.skip_space();
            if self.bump() != Some(',') {
                break;
            }
        }
        let (at, scanner) = found?;
        *self = scanner;
        Some(at)
    }

    /// At `[`: moves to element `index` and answers where it starts.
    fn find_element(&mut self, index: usize, exact: bool) -> Option<TextPosition> {
        self.bump();
        for _ in 0..index {
            self.skip_space();
            if self.peek() == Some(']') {
                return None;
            }
            self.skip_value()?;
            self.skip_space();
            if self.bump() != Some(',') {
                return None;
            }
        }
        self.skip_space();
        match self.peek() {
            Some(']') | None => None,
            Some(_) => Some(self.position(exact)),
        }
    }

    /// Reads a string at `"`, decoding the escapes a key may use.
    fn read_string(&mut self) -> Option<String> {
        self.bump();
        let mut out = String::new();
        loop {
            match self.bump()? {
                '"' => return Some(out),
                '\\' => out.push(self.read_escape()?),
                c => out.push(c),
            }
        }
    }

    fn read_escape(&mut self) -> Option<char> {
        Some(match self.bump()? {
            'n' => '\n',
            't' => '\t',
            'r' => '\r',
            'b' => '\u{8}',
            'f' => '\u{c}',
            'u' => {
                let hex: String = (0..4).filter_map(|_| self.bump()).collect();
                u32::from_str_radix(&hex, 16)
                    .ok()
                    .and_then(char::from_u32)
                    .unwrap_or('\u{fffd}')
            }
            c => c,
        })
    }

    /// Skips one value of any kind; None at the end of the text.
    fn skip_value(&mut self) -> Option<()> {
        match self.peek()? {
            '"' => self.read_string().map(drop),
            '{' | '[' => self.skip_container(),
            _ => {
                while self
                    .peek()
                    .is_some_and(|c| !c.is_whitespace() && !matches!(c, ',' | '}' | ']'))
                {
                    self.bump();
                }
                Some(())
            }
        }
    }

    /// Skips a whole object or array, strings included.
    fn skip_container(&mut self) -> Option<()> {
        let mut depth = 0usize;
        loop {
            match self.peek()? {
                '"' => {
                    self.read_string()?;
                    continue;
                }
                '{' | '[' => depth += 1,
                '}' | ']' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        self.bump();
                        return Some(());
                    }
                }
                _ => {}
            }
            self.bump();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use PathSegment::{Index, Key};

    const BODY: &str = r#"{
  "model": "claude-sonnet-4-6",
  "max_tokens": 256,
  "messages": [
    {"role": "user", "content": "hi"},
    {
      "role": "assistant",
      "content": [{"type": "text", "text": ""}]
    }
  ],
  "k\"ey": {"nested": [1, [2, 3], {"a": "}]"}]}
}"#;

    fn at(location: &[PathSegment]) -> (usize, usize, bool) {
        let p = locate(BODY, location).expect("found");
        (p.line, p.column, p.exact)
    }

    #[test]
    fn locate_finds_members_and_elements() {
        assert_eq!(at(&[]), (1, 1, true));
        assert_eq!(at(&[Key("model".into())]), (2, 3, true));
        assert_eq!(at(&[Key("max_tokens".into())]), (3, 3, true));
        assert_eq!(at(&[Key("messages".into()), Index(0)]), (5, 5, true));
        assert_eq!(
            at(&[Key("messages".into()), Index(0), Key("content".into())]),
            (5, 22, true)
        );
        assert_eq!(
            at(&[
                Key("messages".into()),
                Index(1),
                Key("content".into()),
                Index(0),
                Key("text".into())
            ]),
            (8, 36, true)
        );
    }

    #[test]
    fn locate_skips_strings_with_brackets_and_escaped_keys() {
        assert_eq!(
            at(&[Key("k\"ey".into()), Key("nested".into()), Index(2)]),
            (11, 35, true)
        );
        assert_eq!(
            at(&[
                Key("k\"ey".into()),
                Key("nested".into()),
                Index(1),
                Index(1)
            ]),
            (11, 31, true)
        );
    }

    #[test]
    fn a_missing_location_answers_the_deepest_enclosing_value() {
        assert_eq!(at(&[Key("system".into())]), (1, 1, false));
        assert_eq!(
            at(&[Key("messages".into()), Index(7)]),
            (4, 3, false),
            "the messages member"
        );
        assert_eq!(
            at(&[Key("messages".into()), Index(0), Key("nope".into())]),
            (5, 5, false)
        );
        // A key where an index is expected (and the reverse) stops there.
        assert_eq!(at(&[Key("model".into()), Index(0)]), (2, 3, false));
    }

    #[test]
    fn a_repeated_key_is_found_where_the_parser_takes_it_from() {
        let text =
            "{\n  \"model\": \"a\",\n  \"x\": {\"model\": 1},\n  \"model\": [\"b\", \"c\"]\n}";
        let last = locate(text, &[Key("model".into())]).expect("found");
        assert_eq!((last.line, last.column, last.exact), (4, 3, true));
        let inside = locate(text, &[Key("model".into()), Index(1)]).expect("found");
        assert_eq!((inside.line, inside.column), (4, 18));
    }

    #[test]
    fn locate_never_panics_on_broken_or_empty_text() {
        assert_eq!(locate("", &[]), None);
        assert_eq!(locate("  \n ", &[Key("a".into())]), None);
        for text in [
            "{",
            "{\"a\"",
            "{\"a\":",
            "[1,",
            "{\"a\": [1, 2",
            "\"\\u12",
            "{\"a\" 1}",
        ] {
            let _ = locate(text, &[Key("a".into()), Index(3), Key("b".into())]);
        }
        assert_eq!(
            locate("{\n  \"a\": 1,\n  \"b\": ", &[Key("b".into())]).map(|p| p.line),
            Some(3)
        );
    }
}
