//! Parsing a body with positions the way the API quotes them and hints for
//! the mistakes people actually make.
//!
//! The API parses with a yyjson-based parser (orjson) and reports
//! `<detail>: line L column C (char N)`, with N counted in characters from
//! 0 and C counted in characters from 1. serde_json reports bytes, so the
//! position is recomputed here, and serde's complaint is translated into
//! that parser's wording. // unverified: the exact detail strings beyond
//! `unexpected control character in string`.

use serde_json::Value;

use super::JsonSyntaxError;

/// The body's bytes as text, or where they stop being UTF-8 (a file saved
/// as UTF-16, Windows-1252 or Latin-1), with the hint to re-save it.
pub fn decode_utf8(bytes: &[u8]) -> Result<&str, JsonSyntaxError> {
    let err = match std::str::from_utf8(bytes) {
        Ok(text) => return Ok(text),
        Err(err) => err,
    };
    let bad = err.valid_up_to();
    // Valid by construction: `from_utf8` checked everything before `bad`.
    let before = std::str::from_utf8(&bytes[..bad]).unwrap_or_default();
    let (line, column, char_offset) = position(before, before.len());
    Err(JsonSyntaxError {
        line,
        column,
        char_offset,
        // unverified: the API's wording for a body that is not UTF-8.
        message: "input is not valid UTF-8".to_string(),
        hint: Some(encoding_hint(bytes, bad)),
    })
}

fn encoding_hint(bytes: &[u8], bad: usize) -> String {
    if bytes.starts_with(&[0xff, 0xfe]) || bytes.starts_with(&[0xfe, 0xff]) {
        return "The file is UTF-16 (it starts with a UTF-16 byte order mark): save it as UTF-8."
            .into();
    }
    match bytes.get(bad) {
        Some(0x91..=0x94) => "The file is not UTF-8: this byte is a Windows-1252 “smart quote”. Save the file as UTF-8, and use plain \" quotes in JSON.".into(),
        Some(byte) => format!("The file is not UTF-8 (byte 0x{byte:02X}; Windows-1252 or Latin-1?): save it as UTF-8."),
        None => "The file ends in the middle of a UTF-8 character (was it cut off?): save it as UTF-8.".into(),
    }
}

/// Parses a body, naming line and column on failure.
pub fn parse_json(text: &str) -> Result<Value, JsonSyntaxError> {
    serde_json::from_str(text).map_err(|err| syntax_error(text, &err))
}

fn syntax_error(text: &str, err: &serde_json::Error) -> JsonSyntaxError {
    let serde_message = serde_detail(err);
    let byte = if err.classify() == serde_json::error::Category::Eof {
        text.len()
    } else {
        error_byte(text, err.line(), err.column())
    };
    let byte = if serde_message == "expected ident" {
        literal_start(text, byte)
    } else {
        byte
    };
    let (line, column, char_offset) = position(text, byte);
    JsonSyntaxError {
        line,
        column,
        char_offset,
        message: api_detail(text, &serde_message),
        hint: hint(text, byte, &serde_message),
    }
}

/// serde's message without its ` at line L column C` suffix.
fn serde_detail(err: &serde_json::Error) -> String {
    let full = err.to_string();
    match full.rfind(" at line ") {
        Some(cut) => full[..cut].to_string(),
        None => full,
    }
}

/// The byte serde complains about: its column is the 1-based byte column
/// of the offending byte.
fn error_byte(text: &str, line: usize, column: usize) -> usize {
    let line_start = if line <= 1 {
        0
    } else {
        text.match_indices('\n')
            .nth(line - 2)
            .map_or(text.len(), |(i, _)| i + 1)
    };
    // Column 0 means the byte just before the line: the newline itself.
    floor_char_boundary(text, (line_start + column).saturating_sub(1))
}

fn floor_char_boundary(text: &str, byte: usize) -> usize {
    let mut byte = byte.min(text.len());
    while !text.is_char_boundary(byte) {
        byte -= 1;
    }
    byte
}

/// serde notices a bad literal (`tru`, `nul`) after reading into it; the
/// API points at its first letter.
fn literal_start(text: &str, byte: usize) -> usize {
    let before = &text[..byte];
    let letters: usize = before
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_alphabetic())
        .map(char::len_utf8)
        .sum();
    byte - letters
}

/// (line, column, char offset) of `byte`, counted the way Python does.
fn position(text: &str, byte: usize) -> (usize, usize, usize) {
    let before = &text[..byte];
    let char_offset = before.chars().count();
    let line = 1 + before.matches('\n').count();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column, char_offset)
}

/// The detail for arrays and objects nested past the parser's limit: the
/// text may well be JSON, just deeper than any request needs.
pub const NESTED_TOO_DEEPLY: &str = "nested too deeply";

/// serde's complaint in the API parser's words.
fn api_detail(text: &str, serde_message: &str) -> String {
    if text.is_empty() {
        return "Input is a zero-length, empty document".to_string();
    }
    let detail = match serde_message {
        m if m.starts_with("EOF while parsing") => "unexpected end of data",
        m if m.starts_with("control character") => "unexpected control character in string",
        "trailing comma" => "trailing comma is not allowed",
        "trailing characters" => "unexpected content after document",
        "invalid escape" | "unexpected end of hex escape" => "invalid escaped sequence in string",
        "invalid number" | "number out of range" => "invalid number",
        "expected ident" => "invalid literal",
        "invalid unicode code point" | "lone leading surrogate in hex escape" => {
            "invalid unicode in string"
        }
        "recursion limit exceeded" => NESTED_TOO_DEEPLY,
        _ => "unexpected character",
    };
    detail.to_string()
}

/// The likely cause, when the text around the error shows one.
fn hint(text: &str, byte: usize, serde_message: &str) -> Option<String> {
    let rest = &text[byte..];
    let here = rest.chars().next();
    let after = rest.chars().nth(1);
    if text.trim().is_empty() {
        return Some("The body is empty: send a JSON object such as {\"model\": …, \"max_tokens\": …, \"messages\": […]}.".into());
    }
    if byte == 0 && here == Some('\u{feff}') {
        return Some("The body starts with a byte order mark (BOM, U+FEFF); save the file as UTF-8 without BOM.".into());
    }
    if serde_message.starts_with("control character") {
        return Some(control_character_hint(here));
    }
    if serde_message == "recursion limit exceeded" {
        return Some("Arrays and objects are nested more than 128 levels deep here: no Messages request needs that; something built the body wrong (a loop wrapping a value again and again).".into());
    }
    if serde_message == "trailing comma" {
        return Some(
            "Remove the comma before the closing bracket or brace: JSON allows no trailing comma."
                .into(),
        );
    }
    if let Some(hint) = here.and_then(|c| character_hint(c, after)) {
        return Some(hint);
    }
    if serde_message.starts_with("EOF while parsing") {
        return Some(
            "The body ends early: a bracket, brace or string is not closed (was it cut off?)."
                .into(),
        );
    }
    if serde_message == "trailing characters" {
        return Some("There is more text after the JSON value: an extra closing bracket, or two bodies pasted together.".into());
    }
    if serde_message == "invalid escape" {
        return Some("A backslash in a string starts an escape: write \\\\ for a literal backslash (C:\\\\Users, \\\\d in a regex).".into());
    }
    if serde_message == "key must be a string"
        && here.is_some_and(|c| c.is_alphabetic() || c == '_')
    {
        return Some("Object keys need double quotes: \"model\", not model.".into());
    }
    if let Some(hint) = literal_hint(rest) {
        return Some(hint);
    }
    if serde_message.starts_with("expected `,`") && here == Some('"') {
        return Some("A comma is missing between two items.".into());
    }
    None
}

fn control_character_hint(here: Option<char>) -> String {
    match here {
        Some('\n' | '\r') => "A string contains a raw line break: write it as \\n, or build the body with a JSON encoder instead of pasting text into a string.".into(),
        Some('\t') => "A string contains a raw tab: write it as \\t.".into(),
        Some(c) => format!("A string contains the control character U+{:04X}: escape it as \\u{:04x}.", c as u32, c as u32),
        None => "A string contains a raw control character: escape it (\\n, \\t, \\u00XX).".into(),
    }
}

fn character_hint(here: char, after: Option<char>) -> Option<String> {
    match here {
        '\u{201c}' | '\u{201d}' | '\u{201e}' | '\u{201f}' | '\u{2033}' => Some(
            "Typographic quotes “ ” (from a word processor or chat app) are not JSON quotes: replace them with plain \".".into(),
        ),
        '\u{2018}' | '\u{2019}' | '\u{201a}' | '\u{201b}' => Some(
            "Typographic quotes ‘ ’ are not JSON quotes: use plain double quotes \".".into(),
        ),
        '\'' => Some("JSON strings and keys need double quotes; single quotes are not allowed.".into()),
        '/' if matches!(after, Some('/' | '*')) => {
            Some("JSON has no comments: remove the // and /* */ comments.".into())
        }
        '#' => Some("JSON has no comments: remove the # comments.".into()),
        _ => None,
    }
}

fn literal_hint(rest: &str) -> Option<String> {
    let word: String = rest.chars().take_while(|c| c.is_alphabetic()).collect();
    match word.as_str() {
        "True" | "False" | "TRUE" | "FALSE" => {
            Some("JSON booleans are lowercase: true and false.".into())
        }
        "None" | "NULL" | "Null" | "undefined" | "nil" => {
            Some("JSON has null for a missing value (lowercase), not None or undefined.".into())
        }
        "NaN" | "Infinity" => Some("JSON has no NaN or Infinity: use a number or null.".into()),
        _ => None,
    }
}
