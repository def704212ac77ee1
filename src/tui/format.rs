//! How numbers and durations read on screen, the same in every pane.

pub use crate::text::{format_countdown, format_elapsed, format_latency, thousands};

/// A short form for narrow panes, rounded down: `999`, `7.1k`, `95.9k`,
/// `450k`, `1.2M`, `12M`.
pub fn compact(n: u64) -> String {
    let scaled = |unit: u64, suffix: &str| {
        if n / unit < 100 {
            let tenths = n / (unit / 10);
            let text = format!("{}.{}", tenths / 10, tenths % 10);
            format!("{}{suffix}", text.strip_suffix(".0").unwrap_or(&text))
        } else {
            format!("{}{suffix}", n / unit)
        }
    };
    match n {
        0..1_000 => n.to_string(),
        1_000..1_000_000 => scaled(1_000, "k"),
        1_000_000..1_000_000_000 => scaled(1_000_000, "M"),
        _ => scaled(1_000_000_000, "G"),
    }
}

/// Columns `text` takes on screen.
pub fn text_width(text: &str) -> usize {
    ratatui::text::Span::raw(text).width()
}

/// `word` in pieces of at most `width` columns (one piece when it fits).
pub fn break_word(word: &str, width: usize) -> Vec<String> {
    if text_width(word) <= width {
        return vec![word.to_owned()];
    }
    let mut pieces = vec![String::new()];
    let mut used = 0;
    for ch in word.chars() {
        let mut buf = [0u8; 4];
        let ch_width = text_width(ch.encode_utf8(&mut buf));
        if used > 0 && used + ch_width > width {
            pieces.push(String::new());
            used = 0;
        }
        if let Some(piece) = pieces.last_mut() {
            piece.push(ch);
        }
        used += ch_width;
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(format_countdown(41.2), "42s");
        assert_eq!(format_countdown(65.0), "1m05s");
        assert_eq!(format_elapsed(65.9), "1m05s");
        assert_eq!(format_countdown(f64::NAN), "0s");
        assert_eq!(format_latency(412.4), "412ms");
        assert_eq!(format_latency(3_210.0), "3.2s");
        assert_eq!(format_latency(65_000.0), "1m05s");
        assert_eq!(format_latency(-1.0), "?");
    }

    #[test]
    fn long_words_break_between_characters() {
        assert_eq!(break_word("abc", 5), ["abc"]);
        assert_eq!(break_word("abcdef", 4), ["abcd", "ef"]);
        assert_eq!(break_word("日本語", 4), ["日本", "語"]);
        assert_eq!(text_width("日本"), 4);
    }

    #[test]
    fn counts() {
        assert_eq!(thousands(100_045), "100,045");
        assert_eq!(thousands(999), "999");
        assert_eq!(compact(12_345), "12.3k");
        assert_eq!(compact(96_000), "96k");
        assert_eq!(compact(1_250_000), "1.2M");
    }
}
