//! The extra-headers text (one `name: value` per line, `#` comments) and
//! keeping the credentials in it off the disk and off the screen.

use std::ops::Range;

use http::{HeaderName, HeaderValue};

use crate::api::types::Header;
use crate::config::masked_headers;
use crate::store::redact::redact_text;

/// A line of the headers text that is not a header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderProblem {
    /// 1-based.
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for HeaderProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// What one line of the headers text is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum HeaderLine {
    Blank,
    Comment,
    Header(Header),
    Bad(String),
}

fn classify(line: &str) -> HeaderLine {
    let trimmed = line.trim();
    if trimmed.is_empty() {
        return HeaderLine::Blank;
    }
    if trimmed.starts_with('#') {
        return HeaderLine::Comment;
    }
    let Some((name, value)) = trimmed.split_once(':') else {
        return HeaderLine::Bad("expected `name: value`".into());
    };
    let (name, value) = (name.trim(), value.trim());
    if name.is_empty() {
        return HeaderLine::Bad("expected `name: value` (the name is empty)".into());
    }
    if HeaderName::from_bytes(name.as_bytes()).is_err() {
        // The name only: a malformed line may hold a credential.
        return HeaderLine::Bad(format!(
            "`{}` is not a valid header name (letters, digits, - and _ only)",
            redact_text(name)
        ));
    }
    if HeaderValue::from_str(value).is_err() {
        return HeaderLine::Bad(format!(
            "the value of `{name}` has control or non-ASCII characters, which HTTP does not allow"
        ));
    }
    HeaderLine::Header(Header::new(name, value))
}

/// The headers in `text` and the lines that are not headers (skipped).
pub fn parse(text: &str) -> (Vec<Header>, Vec<HeaderProblem>) {
    let mut headers = Vec::new();
    let mut problems = Vec::new();
    for (index, line) in text.split('\n').enumerate() {
        match classify(line) {
            HeaderLine::Header(h) => headers.push(h),
            HeaderLine::Bad(message) => problems.push(HeaderProblem {
                line: index + 1,
                message,
            }),
            HeaderLine::Blank | HeaderLine::Comment => {}
        }
    }
    (headers, problems)
}

/// The headers as text for the editor, one per line.
pub fn to_text(headers: &[Header]) -> String {
    headers
        .iter()
        .map(|h| format!("{}: {}", h.name, h.value))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A header whose value may be a credential: a credential header
/// (`x-api-key`, `authorization`), a name with key/token/secret/auth in it,
/// or an `sk-ant-` value. Decided by the config's own masking, so the
/// composer and the rest of the program agree.
pub fn is_secret(header: &Header) -> bool {
    masked_headers(std::slice::from_ref(header))
        .first()
        .is_none_or(|shown| shown.value != header.value)
}

/// The headers text as it may be written to disk: a credential line
/// becomes a comment holding only its masked value (so it is not restored
/// as a header: the user types it again), and any `sk-ant-` text elsewhere
/// is masked.
pub fn for_disk(text: &str) -> String {
    text.split('\n')
        .map(|line| match classify(line) {
            HeaderLine::Header(h) if is_secret(&h) => {
                let shown = masked_headers(std::slice::from_ref(&h))
                    .pop()
                    .map_or_else(|| "…".to_owned(), |s| s.value);
                format!(
                    "# {}: {shown}  (not saved: credentials are never written to disk; type it again)",
                    h.name
                )
            }
            _ => redact_text(line).into_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Byte ranges of `line` to hide on screen: the middle of any `sk-ant-`
/// key, and in the headers editor (`header_line`) the value of a
/// credential header, keeping an auth scheme (`Bearer`), the `sk-ant-`
/// prefix and the last four characters of a long value visible, as
/// `mask_secret` does.
pub fn secret_ranges(line: &str, header_line: bool) -> Vec<Range<usize>> {
    let mut ranges = key_ranges(line);
    if header_line && let Some(range) = header_value_range(line) {
        ranges.push(range);
    }
    ranges
}

/// The hidden part of every `sk-ant-…` run in `line`.
fn key_ranges(line: &str) -> Vec<Range<usize>> {
    const PREFIX: &str = "sk-ant-";
    let mut ranges = Vec::new();
    let mut from = 0;
    while let Some(found) = line.get(from..).and_then(|rest| rest.find(PREFIX)) {
        let start = from + found + PREFIX.len();
        let len = line[start..]
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_')
            .count();
        ranges.push(hidden_middle(start, start + len, len + PREFIX.len()));
        from = start + len;
    }
    ranges
}

/// The hidden part of a credential header's value on this line.
fn header_value_range(line: &str) -> Option<Range<usize>> {
    let HeaderLine::Header(header) = classify(line) else {
        return None;
    };
    if !is_secret(&header) {
        return None;
    }
    let colon = line.find(':')?;
    let value_start = colon + 1 + (line[colon + 1..].len() - line[colon + 1..].trim_start().len());
    let value = line[value_start..].trim_end();
    // Keep the scheme of `Bearer <token>`.
    let token_start = match value.split_once(' ') {
        Some((scheme, token)) if !token.trim().is_empty() => value_start + scheme.len() + 1,
        _ => value_start,
    };
    let token_end = value_start + value.len();
    let token = &line[token_start..token_end];
    let shown_prefix = if token.starts_with("sk-ant-") { 7 } else { 0 };
    Some(hidden_middle(
        token_start + shown_prefix,
        token_end,
        token.chars().count(),
    ))
}

/// `start..end` minus its last four bytes when the secret (`secret_chars`
/// long) is long enough to show a tail, as `mask_secret` does.
fn hidden_middle(start: usize, end: usize, secret_chars: usize) -> Range<usize> {
    let tail = if secret_chars >= 12 { 4 } else { 0 };
    start..end.saturating_sub(tail).max(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "sk-ant-api03-TESTKEYxxxxxxxxxxxxxxxxxxxxxxxxxx-a1b2";

    #[test]
    fn parses_headers_comments_and_bad_lines() {
        let text = "# gateway\nx-team: infra\nnot a header\n\n  anthropic-beta :  a,b  \nBad Name: v\n: empty\nx-ok:";
        let (headers, problems) = parse(text);
        assert_eq!(
            headers,
            vec![
                Header::new("x-team", "infra"),
                Header::new("anthropic-beta", "a,b"),
                Header::new("x-ok", ""),
            ]
        );
        let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            vec![
                "line 3: expected `name: value`",
                "line 6: `Bad Name` is not a valid header name (letters, digits, - and _ only)",
                "line 7: expected `name: value` (the name is empty)",
            ]
        );
    }

    #[test]
    fn empty_text_has_no_headers_and_no_problems() {
        assert_eq!(parse(""), (Vec::new(), Vec::new()));
    }

    #[test]
    fn text_round_trips() {
        let headers = vec![Header::new("a", "1"), Header::new("b-c", "x y")];
        assert_eq!(parse(&to_text(&headers)).0, headers);
    }

    #[test]
    fn credentials_are_commented_out_and_masked_for_disk() {
        let text = format!(
            "x-api-key: {KEY}\nAuthorization: Bearer {KEY}\nx-gateway-token: abcdefghijklmnop\nx-team: infra\nx-note: {KEY}\n# {KEY}\nbroken {KEY}"
        );
        let disk = for_disk(&text);
        assert!(!disk.contains("TESTKEY"), "{disk}");
        assert!(!disk.contains("abcdefghijkl"), "{disk}");
        assert!(disk.contains("x-team: infra"), "{disk}");
        assert!(
            disk.contains("# x-api-key: sk-ant-…a1b2  (not saved"),
            "{disk}"
        );
        let (restored, _) = parse(&disk);
        assert_eq!(
            restored,
            vec![Header::new("x-team", "infra")],
            "credential lines are not restored as headers"
        );
    }

    #[test]
    fn secret_ranges_hide_all_but_prefix_and_tail() {
        let line = format!("x-api-key: {KEY}");
        let hidden = secret_ranges(&line, true);
        for range in &hidden {
            assert!(line.is_char_boundary(range.start) && line.is_char_boundary(range.end));
        }
        let shown: String = line
            .char_indices()
            .map(|(i, c)| {
                if hidden.iter().any(|r| r.contains(&i)) {
                    '•'
                } else {
                    c
                }
            })
            .collect();
        assert!(shown.starts_with("x-api-key: sk-ant-•"), "{shown}");
        assert!(shown.ends_with("•a1b2"), "{shown}");
        assert!(!shown.contains("TESTKEY"), "{shown}");

        let bearer = "authorization: Bearer abcdefghijklmnop";
        let hidden = secret_ranges(bearer, true);
        assert_eq!(hidden.len(), 1);
        assert_eq!(&bearer[hidden[0].clone()], "abcdefghijkl");

        assert!(secret_ranges("x-team: infra", true).is_empty());
        assert!(secret_ranges("\"x-api-key: abc\"", false).is_empty());
        let in_body = format!("  \"text\": \"my key is {KEY}\"");
        assert_eq!(secret_ranges(&in_body, false).len(), 1);
        assert_eq!(secret_ranges("x-api-key: ab", true), vec![11..13]);
    }
}
