//! Every colour the dashboard uses, in one place.
//!
//! Three palettes: truecolor, the 16 ANSI colours, and none (`NO_COLOR`),
//! where meaning is carried by modifiers (bold, reversed, dim) and by the
//! text itself — a status is always printed, never only coloured.

use ratatui::style::{Color, Modifier, Style};

/// What the terminal can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorMode {
    /// `NO_COLOR` is set (to anything non-empty).
    None,
    /// The 16 ANSI colours, which every terminal has.
    Ansi16,
    /// 24-bit colour (`COLORTERM=truecolor|24bit`).
    TrueColor,
}

impl ColorMode {
    /// Reads `NO_COLOR` and `COLORTERM` the way <https://no-color.org> and
    /// most terminals mean them. `get` looks up an environment variable.
    pub fn detect(get: impl Fn(&str) -> Option<String>) -> ColorMode {
        if get("NO_COLOR").is_some_and(|v| !v.is_empty()) {
            return ColorMode::None;
        }
        match get("COLORTERM").as_deref() {
            Some("truecolor" | "24bit") => ColorMode::TrueColor,
            _ => ColorMode::Ansi16,
        }
    }
}

/// How full a gauge is, for its colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Good,
    Low,
    Critical,
}

impl Level {
    /// Remaining fraction → level: below 10 % is critical, below 30 % low.
    pub fn for_remaining(ratio: f64) -> Level {
        if ratio < 0.10 {
            Level::Critical
        } else if ratio < 0.30 {
            Level::Low
        } else {
            Level::Good
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Theme {
    pub mode: ColorMode,
    pub base: Style,
    pub dim: Style,
    pub border: Style,
    pub border_focused: Style,
    pub title: Style,
    pub title_focused: Style,
    /// The selected row of a list.
    pub selected: Style,
    pub key_hint: Style,
    pub ok: Style,
    pub warn: Style,
    pub error: Style,
    pub info: Style,
    pub accent: Style,
    /// The DEMO badge in the header.
    pub badge: Style,
    /// A pane that wants the user's eye (the checklist after a failure).
    pub attention: Style,
    pub search_match: Style,
    pub json_key: Style,
    pub json_string: Style,
    pub json_number: Style,
    pub json_literal: Style,
    pub json_punct: Style,
    pub line_number: Style,
}

impl Theme {
    pub fn new(mode: ColorMode) -> Theme {
        match mode {
            ColorMode::None => Theme::monochrome(),
            ColorMode::Ansi16 => Theme::colored(mode, Palette::ANSI),
            ColorMode::TrueColor => Theme::colored(mode, Palette::TRUE),
        }
    }

    fn colored(mode: ColorMode, p: Palette) -> Theme {
        let fg = |c| Style::new().fg(c);
        Theme {
            mode,
            base: Style::new(),
            dim: fg(p.dim),
            border: fg(p.dim),
            border_focused: fg(p.accent),
            title: Style::new().add_modifier(Modifier::BOLD),
            title_focused: fg(p.accent).add_modifier(Modifier::BOLD),
            selected: Style::new().bg(p.selection).add_modifier(Modifier::BOLD),
            key_hint: fg(p.accent).add_modifier(Modifier::BOLD),
            ok: fg(p.green),
            warn: fg(p.yellow),
            error: fg(p.red),
            info: fg(p.blue),
            accent: fg(p.accent),
            badge: Style::new()
                .fg(Color::Black)
                .bg(p.yellow)
                .add_modifier(Modifier::BOLD),
            attention: fg(p.yellow).add_modifier(Modifier::BOLD),
            search_match: Style::new().fg(Color::Black).bg(p.yellow),
            json_key: fg(p.blue),
            json_string: fg(p.green),
            json_number: fg(p.magenta),
            json_literal: fg(p.yellow),
            json_punct: fg(p.dim),
            line_number: fg(p.dim),
        }
    }

    fn monochrome() -> Theme {
        let bold = Style::new().add_modifier(Modifier::BOLD);
        let dim = Style::new().add_modifier(Modifier::DIM);
        let reversed = Style::new().add_modifier(Modifier::REVERSED);
        Theme {
            mode: ColorMode::None,
            base: Style::new(),
            dim,
            border: dim,
            border_focused: bold,
            title: bold,
            title_focused: bold.add_modifier(Modifier::UNDERLINED),
            selected: reversed,
            key_hint: bold,
            ok: Style::new(),
            warn: bold,
            error: bold,
            info: Style::new(),
            accent: bold,
            badge: reversed.add_modifier(Modifier::BOLD),
            attention: bold.add_modifier(Modifier::UNDERLINED),
            search_match: reversed,
            json_key: bold,
            json_string: Style::new(),
            json_number: Style::new(),
            json_literal: Style::new(),
            json_punct: dim,
            line_number: dim,
        }
    }

    /// The colour of an HTTP status (or of no status: a transport failure).
    pub fn status(&self, status: Option<u16>) -> Style {
        match status {
            Some(200..=299) => self.ok,
            Some(429 | 529) => self.warn,
            Some(300..=499) => self.error,
            Some(_) => self.error,
            None => self.error,
        }
    }

    /// The colour of a one-word outcome (`ok`, `rate-limited`, …).
    pub fn outcome(&self, slug: &str) -> Style {
        match slug {
            "ok" => self.ok,
            "rate-limited" | "overloaded" | "cancelled" => self.warn,
            "in-flight" | "retrying" => self.info,
            _ => self.error,
        }
    }

    pub fn level(&self, level: Level) -> Style {
        match level {
            Level::Good => self.ok,
            Level::Low => self.warn,
            Level::Critical => self.error,
        }
    }

    pub fn border(&self, focused: bool) -> Style {
        if focused {
            self.border_focused
        } else {
            self.border
        }
    }
}

impl Default for Theme {
    fn default() -> Self {
        Theme::new(ColorMode::Ansi16)
    }
}

struct Palette {
    dim: Color,
    accent: Color,
    selection: Color,
    green: Color,
    yellow: Color,
    red: Color,
    blue: Color,
    magenta: Color,
}

impl Palette {
    const ANSI: Palette = Palette {
        dim: Color::DarkGray,
        accent: Color::Cyan,
        selection: Color::DarkGray,
        green: Color::Green,
        yellow: Color::Yellow,
        red: Color::Red,
        blue: Color::Blue,
        magenta: Color::Magenta,
    };
    const TRUE: Palette = Palette {
        dim: Color::Rgb(0x6c, 0x70, 0x86),
        accent: Color::Rgb(0xd9, 0x77, 0x57),
        selection: Color::Rgb(0x3a, 0x3d, 0x4d),
        green: Color::Rgb(0x8b, 0xc3, 0x6a),
        yellow: Color::Rgb(0xe5, 0xc0, 0x7b),
        red: Color::Rgb(0xe0, 0x6c, 0x75),
        blue: Color::Rgb(0x61, 0xaf, 0xef),
        magenta: Color::Rgb(0xc6, 0x78, 0xdd),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    #[test]
    fn no_color_wins_over_colorterm() {
        let get = env(&[("NO_COLOR", "1"), ("COLORTERM", "truecolor")]);
        assert_eq!(ColorMode::detect(get), ColorMode::None);
    }

    #[test]
    fn empty_no_color_is_ignored_as_the_convention_says() {
        assert_eq!(
            ColorMode::detect(env(&[("NO_COLOR", "")])),
            ColorMode::Ansi16
        );
    }

    #[test]
    fn colorterm_selects_truecolor() {
        let get = env(&[("COLORTERM", "24bit")]);
        assert_eq!(ColorMode::detect(get), ColorMode::TrueColor);
    }

    #[test]
    fn monochrome_theme_has_no_colours() {
        let theme = Theme::new(ColorMode::None);
        for style in [
            theme.ok,
            theme.error,
            theme.selected,
            theme.badge,
            theme.json_key,
        ] {
            assert_eq!(style.fg, None);
            assert_eq!(style.bg, None);
        }
    }

    #[test]
    fn levels_follow_the_thresholds() {
        assert_eq!(Level::for_remaining(0.05), Level::Critical);
        assert_eq!(Level::for_remaining(0.2), Level::Low);
        assert_eq!(Level::for_remaining(0.9), Level::Good);
    }
}
