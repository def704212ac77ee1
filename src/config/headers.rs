//! Extra request headers: `ANTHROPIC_CUSTOM_HEADERS` and `[profiles.NAME.headers]`.

use http::{HeaderName, HeaderValue};

use crate::api::types::Header;
use crate::store::redact::redact_text;

/// Parses `ANTHROPIC_CUSTOM_HEADERS`: one `Name: value` per line, as the
/// SDKs and Claude Code read it. Blank lines are skipped; a line that is not
/// a valid header becomes a warning naming its line number (and its name,
/// never its value, which may be a credential).
pub fn parse_custom_headers(text: &str) -> (Vec<Header>, Vec<String>) {
    let mut headers = Vec::new();
    let mut warnings = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line_no = index + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let problem = match raw.split_once(':') {
            None => Some("has no `:` between name and value".to_string()),
            Some((name, value)) => {
                let (name, value) = (name.trim(), value.trim());
                match check_header(name, value) {
                    Ok(()) => {
                        headers.push(Header::new(name, value));
                        None
                    }
                    Err(reason) => Some(format!("(`{}`) {reason}", redact_text(name))),
                }
            }
        };
        if let Some(problem) = problem {
            warnings.push(format!(
                "ANTHROPIC_CUSTOM_HEADERS line {line_no} {problem}, so it is ignored; write one `Name: value` per line"
            ));
        }
    }
    (headers, warnings)
}

/// Whether `name: value` can go on the wire; the reason when not.
pub(crate) fn check_header(name: &str, value: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("has an empty header name".to_string());
    }
    HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| "is not a valid header name (letters, digits and -_ only)".to_string())?;
    HeaderValue::from_str(value).map_err(|_| {
        "has a value with control or non-ASCII characters, which HTTP does not allow".to_string()
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lines_and_reports_bad_ones_by_number() {
        let text = "X-Team: infra\r\n\nBad Name: v\nnocolon\n x-trace :  a:b  \n";
        let (headers, warnings) = parse_custom_headers(text);
        assert_eq!(
            headers,
            vec![
                Header::new("X-Team", "infra"),
                Header::new("x-trace", "a:b")
            ]
        );
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(warnings[0].contains("line 3"), "{}", warnings[0]);
        assert!(warnings[0].contains("`Bad Name`"), "{}", warnings[0]);
        assert!(warnings[1].contains("line 4"), "{}", warnings[1]);
        assert!(!warnings[1].contains("nocolon"), "{}", warnings[1]);
    }

    #[test]
    fn empty_text_gives_nothing() {
        assert_eq!(parse_custom_headers(""), (Vec::new(), Vec::new()));
    }
}
