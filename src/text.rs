//! Small text and number formatting shared by every layer (the dashboard,
//! the commands, the mock server's messages, reports). Nothing here knows
//! about the API or the terminal.

/// `1234567` → `1,234,567`, as the API's own messages write numbers.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// A countdown in whole seconds, rounded up so it never says `0s` while
/// time remains: `42s`, `1m05s`, `2h03m`, `1d04h`.
pub fn format_countdown(secs: f64) -> String {
    format_whole_secs(if secs.is_finite() {
        secs.max(0.0).ceil() as u64
    } else {
        0
    })
}

/// Time elapsed, rounded down: `5s`, `2m05s`.
pub fn format_elapsed(secs: f64) -> String {
    format_whole_secs(if secs.is_finite() {
        secs.max(0.0).floor() as u64
    } else {
        0
    })
}

fn format_whole_secs(secs: u64) -> String {
    match secs {
        0..60 => format!("{secs}s"),
        60..3_600 => format!("{}m{:02}s", secs / 60, secs % 60),
        3_600..86_400 => format!("{}h{:02}m", secs / 3_600, secs % 3_600 / 60),
        _ => format!("{}d{:02}h", secs / 86_400, secs % 86_400 / 3_600),
    }
}

/// A latency: `420ms`, `1.2s`, `1m05s`.
pub fn format_latency(ms: f64) -> String {
    if !ms.is_finite() || ms < 0.0 {
        "?".into()
    } else if ms < 1_000.0 {
        format!("{ms:.0}ms")
    } else if ms < 60_000.0 {
        format!("{:.1}s", ms / 1_000.0)
    } else {
        format_elapsed(ms / 1_000.0)
    }
}

/// `text` cut to at most `max` characters, the last one an ellipsis when
/// anything was cut.
pub fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut clipped: String = text.chars().take(max.saturating_sub(1)).collect();
        clipped.push('…');
        clipped
    }
}

/// Text from the network (or another program) made safe for a terminal:
/// control characters other than newline and tab are shown as escapes
/// (`\x1b`, `\u{9b}`), so a server cannot retitle, clear or write the
/// clipboard of the terminal that prints what it sent.
pub fn printable(text: &str) -> String {
    if !text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' | '\t' => out.push(c),
            c if (c as u32) < 0x80 && c.is_control() => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_groups_digits() {
        for (n, expected) in [
            (0, "0"),
            (999, "999"),
            (1000, "1,000"),
            (2_000_000, "2,000,000"),
        ] {
            assert_eq!(thousands(n), expected);
        }
    }

    #[test]
    fn control_characters_are_shown_not_obeyed() {
        assert_eq!(printable("plain\ttext\n"), "plain\ttext\n");
        assert_eq!(
            printable("\u{1b}]0;owned\u{7}\u{1b}[2J\r\u{9b}x"),
            "\\x1b]0;owned\\x07\\x1b[2J\\x0d\\u{9b}x"
        );
    }

    #[test]
    fn clip_counts_characters() {
        assert_eq!(clip("héllo", 5), "héllo");
        assert_eq!(clip("héllo wörld", 6), "héllo…");
    }
}
