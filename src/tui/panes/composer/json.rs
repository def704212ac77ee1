//! A per-line token scanner over JSON *text* (not values), for syntax
//! highlighting. Finding where a lint problem sits in the text is
//! [`crate::api::lint::locate`], shared with `claudetui lint`.
//!
//! A JSON string cannot span lines (a raw line break in a string is a
//! syntax error), so each line can be tokenized on its own: no state is
//! carried from one line to the next.

use std::ops::Range;

/// What a run of characters is, for its colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// A string followed by `:`.
    Key,
    String,
    Number,
    /// `true`, `false`, `null`.
    Literal,
    /// `{ } [ ] , :`
    Punct,
    Space,
    /// Anything else (a typo, a comment, a smart quote): left plain.
    Other,
}

/// One token: its byte range in the line and its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub range: Range<usize>,
    pub kind: TokenKind,
}

/// Splits one line into tokens covering every byte, in order.
pub fn tokenize(line: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut rest = line.char_indices().peekable();
    while let Some(&(start, c)) = rest.peek() {
        let (end, kind) = match c {
            '"' => (string_end(line, start), TokenKind::String),
            '{' | '}' | '[' | ']' | ',' | ':' => (start + 1, TokenKind::Punct),
            c if c.is_whitespace() => (run_end(line, start, char::is_whitespace), TokenKind::Space),
            '-' | '0'..='9' => (run_end(line, start, is_number_char), TokenKind::Number),
            c if c.is_alphanumeric() || c == '_' => {
                let end = run_end(line, start, |c| c.is_alphanumeric() || c == '_');
                let kind = match &line[start..end] {
                    "true" | "false" | "null" => TokenKind::Literal,
                    _ => TokenKind::Other,
                };
                (end, kind)
            }
            c => (start + c.len_utf8(), TokenKind::Other),
        };
        tokens.push(Token {
            range: start..end,
            kind,
        });
        while rest.peek().is_some_and(|&(i, _)| i < end) {
            rest.next();
        }
    }
    mark_keys(line, &mut tokens);
    tokens
}

/// A string is a key when the next token that is not space is `:`.
fn mark_keys(line: &str, tokens: &mut [Token]) {
    for i in 0..tokens.len() {
        if tokens[i].kind != TokenKind::String {
            continue;
        }
        let next = tokens[i + 1..].iter().find(|t| t.kind != TokenKind::Space);
        if next.is_some_and(|t| &line[t.range.clone()] == ":") {
            tokens[i].kind = TokenKind::Key;
        }
    }
}

fn is_number_char(c: char) -> bool {
    c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E')
}

/// The end of the run of characters matching `pred` that starts at `start`.
fn run_end(line: &str, start: usize, pred: impl Fn(char) -> bool) -> usize {
    line[start..]
        .char_indices()
        .find(|&(_, c)| !pred(c))
        .map_or(line.len(), |(i, _)| start + i)
}

/// The byte after the closing quote of the string opening at `start`, or
/// the end of the line for an unterminated string.
fn string_end(line: &str, start: usize) -> usize {
    let mut escaped = false;
    for (i, c) in line[start + 1..].char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return start + 1 + i + 1,
            _ => {}
        }
    }
    line.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(line: &str) -> Vec<(&str, TokenKind)> {
        tokenize(line)
            .into_iter()
            .filter(|t| t.kind != TokenKind::Space)
            .map(|t| (&line[t.range], t.kind))
            .collect()
    }

    #[test]
    fn tokens_cover_keys_strings_numbers_literals_and_punctuation() {
        use TokenKind::*;
        assert_eq!(
            kinds(r#"  "max_tokens": 256, "x": "a \"q\" b", "ok": [true, null, -1.5e3]"#),
            vec![
                (r#""max_tokens""#, Key),
                (":", Punct),
                ("256", Number),
                (",", Punct),
                (r#""x""#, Key),
                (":", Punct),
                (r#""a \"q\" b""#, String),
                (",", Punct),
                (r#""ok""#, Key),
                (":", Punct),
                ("[", Punct),
                ("true", Literal),
                (",", Punct),
                ("null", Literal),
                (",", Punct),
                ("-1.5e3", Number),
                ("]", Punct),
            ]
        );
    }

    #[test]
    fn tokens_cover_every_byte_even_in_broken_text() {
        for line in [
            "",
            "   ",
            r#""unterminated \"#,
            "“smart” quotes, True, // comment",
            "{'single': ünïcödé 🦀}",
        ] {
            let tokens = tokenize(line);
            let mut at = 0;
            for token in &tokens {
                assert_eq!(token.range.start, at, "{line:?}: {tokens:?}");
                assert!(token.range.end > token.range.start);
                at = token.range.end;
            }
            assert_eq!(at, line.len(), "{line:?}");
        }
        assert_eq!(
            kinds("True // c"),
            vec![
                ("True", TokenKind::Other),
                ("/", TokenKind::Other),
                ("/", TokenKind::Other),
                ("c", TokenKind::Other)
            ]
        );
    }
}
