//! Two small pure helpers over JSON *text* (not values): a per-line token
//! scanner for syntax highlighting, and finding where a lint problem's
//! location sits in the text.
//!
//! A JSON string cannot span lines (a raw line break in a string is a
//! syntax error), so each line can be tokenized on its own: no state is
//! carried from one line to the next.

use std::ops::Range;

use crate::api::lint::PathSegment;

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

/// A place in the text: 1-based line and column (columns in characters,
/// as the API and editors count them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    let mut best = scanner.position(location.is_empty());
    for (depth, segment) in location.iter().enumerate() {
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
    /// member's key starts; None when the object has no such member.
    fn find_member(&mut self, key: &str, exact: bool) -> Option<TextPosition> {
        self.bump();
        loop {
            self.skip_space();
            if self.peek() != Some('"') {
                return None;
            }
            let at = self.position(exact);
            let name = self.read_string()?;
            self.skip_space();
            if self.bump() != Some(':') {
                return None;
            }
            self.skip_space();
            if name == key {
                return Some(at);
            }
            self.skip_value()?;
            self.skip_space();
            if self.bump() != Some(',') {
                return None;
            }
        }
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
