//! JSON syntax highlighting, one line at a time, and a pretty-printer that
//! keeps the text of every value exactly as it was.
//!
//! The highlighter never fails: it reads any line — valid JSON, a fragment
//! of a pretty-printed document, half a tool input that is still
//! streaming, or not JSON at all — and colours what it recognises. A JSON
//! string cannot contain a raw newline, so a line never starts inside a
//! string and no state has to carry over from the line before.

use std::ops::Range;

use memchr::memchr2;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::theme::Theme;

/// What a piece of a JSON line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonToken {
    /// A string followed by `:` (an object key).
    Key,
    String,
    Number,
    /// `true`, `false`, `null`.
    Literal,
    /// `{ } [ ] , :`
    Punct,
    /// Anything else (a bare word, a stray character): shown plain.
    Invalid,
}

impl JsonToken {
    pub fn style(self, theme: &Theme) -> Style {
        match self {
            JsonToken::Key => theme.json_key,
            JsonToken::String => theme.json_string,
            JsonToken::Number => theme.json_number,
            JsonToken::Literal => theme.json_literal,
            JsonToken::Punct => theme.json_punct,
            JsonToken::Invalid => theme.base,
        }
    }
}

/// The tokens of one line as byte ranges, in order. Whitespace between
/// tokens is left out. Every range starts and ends on a character
/// boundary. An unterminated string runs to the end of the line.
pub fn json_tokens(line: &str) -> Vec<(Range<usize>, JsonToken)> {
    let bytes = line.as_bytes();
    let mut out: Vec<(Range<usize>, JsonToken)> = Vec::new();
    let mut at = 0;
    while let Some(&byte) = bytes.get(at) {
        let start = at;
        let kind = match byte {
            b' ' | b'\t' | b'\r' | b'\n' => {
                at += 1;
                continue;
            }
            b'"' => {
                at = string_end(bytes, at + 1);
                if next_is_colon(bytes, at) {
                    JsonToken::Key
                } else {
                    JsonToken::String
                }
            }
            b'{' | b'}' | b'[' | b']' | b',' | b':' => {
                at += 1;
                JsonToken::Punct
            }
            b'-' | b'0'..=b'9' => {
                at = run_end(bytes, at, |b| {
                    b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-')
                });
                JsonToken::Number
            }
            b if b.is_ascii_alphabetic() => {
                at = run_end(bytes, at, |b| b.is_ascii_alphanumeric() || b == b'_');
                match line.get(start..at) {
                    Some("true" | "false" | "null") => JsonToken::Literal,
                    _ => JsonToken::Invalid,
                }
            }
            _ => {
                let len = line
                    .get(at..)
                    .and_then(|rest| rest.chars().next())
                    .map_or(1, char::len_utf8);
                at += len;
                JsonToken::Invalid
            }
        };
        match out.last_mut() {
            // One span for a run of junk, not one per character.
            Some((range, JsonToken::Invalid))
                if kind == JsonToken::Invalid && range.end == start =>
            {
                range.end = at;
            }
            _ => out.push((start..at, kind)),
        }
    }
    out
}

/// One line of JSON as styled spans (whitespace in the base style).
pub fn highlight_json_line(line: &str, theme: &Theme) -> Line<'static> {
    let mut spans = Vec::new();
    let mut at = 0;
    for (range, kind) in json_tokens(line) {
        if range.start > at
            && let Some(gap) = line.get(at..range.start)
        {
            spans.push(Span::styled(gap.to_owned(), theme.base));
        }
        if let Some(text) = line.get(range.clone()) {
            spans.push(Span::styled(text.to_owned(), kind.style(theme)));
        }
        at = range.end;
    }
    if let Some(rest) = line.get(at..).filter(|rest| !rest.is_empty()) {
        spans.push(Span::styled(rest.to_owned(), theme.base));
    }
    Line::from(spans)
}

/// `text` re-indented with two spaces per level, or `None` when it is not
/// valid JSON. Unlike a parse-and-print round trip, numbers, escapes and
/// key order stay exactly as they were received.
pub fn pretty_json(text: &str) -> Option<String> {
    serde_json::from_str::<serde::de::IgnoredAny>(text).ok()?;
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    let mut depth = 0usize;
    let mut at = 0;
    while let Some(&byte) = bytes.get(at) {
        match byte {
            b'"' => {
                let end = string_end(bytes, at + 1);
                out.push_str(text.get(at..end).unwrap_or_default());
                at = end;
                continue;
            }
            b'{' | b'[' => {
                let close = if byte == b'{' { '}' } else { ']' };
                let next = skip_whitespace(bytes, at + 1);
                out.push(char::from(byte));
                if bytes.get(next) == Some(&(close as u8)) {
                    out.push(close);
                    at = next + 1;
                    continue;
                }
                depth += 1;
                new_line(&mut out, depth);
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                new_line(&mut out, depth);
                out.push(char::from(byte));
            }
            b',' => {
                out.push(',');
                new_line(&mut out, depth);
            }
            b':' => out.push_str(": "),
            b' ' | b'\t' | b'\r' | b'\n' => {}
            _ => {
                // A number or a literal: copy it as it is.
                let end = run_end(bytes, at, |b| {
                    !matches!(
                        b,
                        b' ' | b'\t'
                            | b'\r'
                            | b'\n'
                            | b'{'
                            | b'}'
                            | b'['
                            | b']'
                            | b','
                            | b':'
                            | b'"'
                    )
                });
                out.push_str(text.get(at..end).unwrap_or_default());
                at = end;
                continue;
            }
        }
        at += 1;
    }
    Some(out)
}

fn new_line(out: &mut String, depth: usize) {
    out.push('\n');
    out.extend(std::iter::repeat_n("  ", depth));
}

/// The index just past the closing quote of a string whose body starts at
/// `at`, or the end of the input when it is not closed.
fn string_end(bytes: &[u8], mut at: usize) -> usize {
    loop {
        let Some(rest) = bytes.get(at..) else {
            return bytes.len();
        };
        let Some(found) = memchr2(b'"', b'\\', rest) else {
            return bytes.len();
        };
        let found = at + found;
        if bytes.get(found) == Some(&b'"') {
            return found + 1;
        }
        // A backslash escapes the next byte; the search resumes after it,
        // and since it looks for ASCII only it can never stop mid-character.
        at = (found + 2).min(bytes.len());
    }
}

fn next_is_colon(bytes: &[u8], at: usize) -> bool {
    bytes.get(skip_whitespace(bytes, at)) == Some(&b':')
}

fn skip_whitespace(bytes: &[u8], at: usize) -> usize {
    run_end(bytes, at, |b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
}

fn run_end(bytes: &[u8], at: usize, keep: impl Fn(u8) -> bool) -> usize {
    let len = bytes
        .get(at..)
        .map_or(0, |rest| rest.iter().take_while(|&&b| keep(b)).count());
    at + len
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::theme::ColorMode;

    fn kinds(line: &str) -> Vec<(&str, JsonToken)> {
        json_tokens(line)
            .into_iter()
            .map(|(range, kind)| (&line[range], kind))
            .collect()
    }

    #[test]
    fn keys_strings_numbers_literals_and_punctuation() {
        use JsonToken::*;
        assert_eq!(
            kinds(r#"  "id": "msg_01", "n": -1.5e3, "ok": true, "x": null,"#),
            vec![
                (r#""id""#, Key),
                (":", Punct),
                (r#""msg_01""#, String),
                (",", Punct),
                (r#""n""#, Key),
                (":", Punct),
                ("-1.5e3", Number),
                (",", Punct),
                (r#""ok""#, Key),
                (":", Punct),
                ("true", Literal),
                (",", Punct),
                (r#""x""#, Key),
                (":", Punct),
                ("null", Literal),
                (",", Punct),
            ]
        );
    }

    #[test]
    fn escaped_quotes_stay_inside_the_string() {
        use JsonToken::*;
        assert_eq!(
            kinds(r#""say \"hi\" \\" : 1"#),
            vec![(r#""say \"hi\" \\""#, Key), (":", Punct), ("1", Number)]
        );
    }

    #[test]
    fn partial_and_invalid_lines_never_panic() {
        use JsonToken::*;
        assert_eq!(kinds(r#"{"city": "Par"#), {
            vec![
                ("{", Punct),
                (r#""city""#, Key),
                (":", Punct),
                (r#""Par"#, String),
            ]
        });
        assert_eq!(kinds("<html>"), vec![("<html>", Invalid)]);
        for line in ["\"", "\"\\", "é\"ü\\", "-", "{\"a\\\u{e9}\":}", "日本語: 1"] {
            let tokens = json_tokens(line);
            for (range, _) in tokens {
                assert!(line.get(range).is_some(), "{line:?}");
            }
        }
    }

    #[test]
    fn highlighted_line_keeps_the_text_and_colours_it() {
        let theme = Theme::new(ColorMode::Ansi16);
        let line = highlight_json_line(r#"  "model": "claude", "max": 5"#, &theme);
        let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
        assert_eq!(text, r#"  "model": "claude", "max": 5"#);
        let key = line.spans.iter().find(|s| s.content == "\"model\"");
        assert_eq!(key.map(|s| s.style), Some(theme.json_key));
        let number = line.spans.iter().find(|s| s.content == "5");
        assert_eq!(number.map(|s| s.style), Some(theme.json_number));
    }

    #[test]
    fn pretty_print_keeps_values_exact() {
        let text = r#"{"a":1.000,"b":[],"c":{},"d":["x\"y",{"e":1e400}],"f":"é: {,}"}"#;
        let pretty = pretty_json(text).unwrap_or_default();
        assert_eq!(
            pretty,
            "{\n  \"a\": 1.000,\n  \"b\": [],\n  \"c\": {},\n  \"d\": [\n    \"x\\\"y\",\n    {\n      \"e\": 1e400\n    }\n  ],\n  \"f\": \"é: {,}\"\n}"
        );
    }

    #[test]
    fn pretty_print_refuses_what_is_not_json() {
        assert_eq!(pretty_json("<html>502 Bad Gateway</html>"), None);
        assert_eq!(pretty_json(r#"{"a":"#), None);
        assert_eq!(
            pretty_json("  [ 1 , 2 ]  ").as_deref(),
            Some("[\n  1,\n  2\n]")
        );
    }
}
