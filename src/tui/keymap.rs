//! Every key the dashboard understands, as data: the help overlay and the
//! status bar are generated from this table, so they cannot drift from
//! what the keys really do.
//!
//! Keys are looked up in the focused pane's context first, then in the
//! global one. The `[keys]` table of the config file rebinds actions by
//! name (`send = ["ctrl-s", "f5"]`); it is checked at start and an unknown
//! action, an unreadable key or two actions on one key is an error that
//! names the setting.

use std::collections::BTreeMap;
use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Where an action applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Context {
    Global,
    Composer,
    Response,
    History,
    RateLimits,
    Checklist,
}

impl Context {
    pub fn title(self) -> &'static str {
        match self {
            Context::Global => "Everywhere",
            Context::Composer => "Composer",
            Context::Response => "Response",
            Context::History => "History",
            Context::RateLimits => "Rate limits",
            Context::Checklist => "Checklist",
        }
    }
}

macro_rules! actions {
    ($( $variant:ident => ($name:literal, $context:ident, $description:literal, [$($key:literal),*]) ),* $(,)?) => {
        /// Something a key can do.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Action { $($variant),* }

        impl Action {
            pub const ALL: &'static [Action] = &[$(Action::$variant),*];

            /// The name used in the `[keys]` table of the config file.
            pub fn name(self) -> &'static str {
                match self { $(Action::$variant => $name),* }
            }

            pub fn context(self) -> Context {
                match self { $(Action::$variant => Context::$context),* }
            }

            pub fn description(self) -> &'static str {
                match self { $(Action::$variant => $description),* }
            }

            fn default_keys(self) -> &'static [&'static str] {
                match self { $(Action::$variant => &[$($key),*]),* }
            }
        }
    };
}

actions! {
    Quit => ("quit", Global, "quit (outside editing)", ["q"]),
    ForceQuit => ("force_quit", Global, "quit, always", ["ctrl-c"]),
    Help => ("help", Global, "show or hide this help", ["?"]),
    FocusNext => ("focus_next", Global, "focus the next pane", ["tab"]),
    FocusPrev => ("focus_prev", Global, "focus the previous pane", ["shift-tab"]),
    FocusComposer => ("focus_composer", Global, "jump to the composer", ["1"]),
    FocusResponse => ("focus_response", Global, "jump to the response", ["2"]),
    FocusHistory => ("focus_history", Global, "jump to the history", ["3"]),
    FocusRateLimits => ("focus_rate_limits", Global, "jump to the rate limits", ["4"]),
    FocusChecklist => ("focus_checklist", Global, "jump to the checklist", ["5"]),
    Send => ("send", Global, "send the composer's request", ["ctrl-s", "f5"]),
    Cancel => ("cancel", Global, "cancel the in-flight request", ["x"]),
    NextProfile => ("next_profile", Global, "switch to the next profile", ["ctrl-p"]),
    Follow => ("follow", Global, "follow what the tap sees in the response viewer, or stop", ["f"]),

    Edit => ("edit", Composer, "edit the request body", ["enter", "i"]),
    StopEditing => ("stop_editing", Composer, "stop editing", ["esc"]),
    OpenFile => ("open_file", Composer, "open a sample or a file", ["ctrl-o"]),
    NextModel => ("next_model", Composer, "next model", ["m"]),
    PrevModel => ("prev_model", Composer, "previous model", ["M"]),
    MoreTokens => ("more_max_tokens", Composer, "raise max_tokens", ["+", "="]),
    FewerTokens => ("fewer_max_tokens", Composer, "lower max_tokens", ["-"]),
    ToggleStream => ("toggle_stream", Composer, "stream on/off", ["s"]),
    Warmer => ("raise_temperature", Composer, "raise temperature by 0.1", [">"]),
    Cooler => ("lower_temperature", Composer, "lower temperature by 0.1", ["<"]),
    EditHeaders => ("edit_headers", Composer, "switch between body and extra headers", ["h"]),

    NextTab => ("next_tab", Response, "next tab", ["l", "]", "right"]),
    PrevTab => ("prev_tab", Response, "previous tab", ["h", "[", "left"]),
    Search => ("search", Response, "search in the response", ["/"]),
    NextMatch => ("next_match", Response, "next match", ["n"]),
    PrevMatch => ("prev_match", Response, "previous match", ["N"]),
    ToggleWrap => ("toggle_wrap", Response, "wrap long lines on/off", ["w"]),
    ScrollDown => ("scroll_down", Response, "scroll down", ["j", "down"]),
    ScrollUp => ("scroll_up", Response, "scroll up", ["k", "up"]),
    PageDown => ("page_down", Response, "page down", ["pagedown", "ctrl-d"]),
    PageUp => ("page_up", Response, "page up", ["pageup", "ctrl-u"]),
    Top => ("top", Response, "go to the top", ["g", "home"]),
    Bottom => ("bottom", Response, "go to the end", ["G", "end"]),

    SelectDown => ("select_down", History, "next exchange", ["j", "down"]),
    SelectUp => ("select_up", History, "previous exchange", ["k", "up"]),
    SelectPageDown => ("select_page_down", History, "page down", ["pagedown", "ctrl-d"]),
    SelectPageUp => ("select_page_up", History, "page up", ["pageup", "ctrl-u"]),
    SelectFirst => ("select_first", History, "newest exchange", ["g", "home"]),
    SelectLast => ("select_last", History, "oldest exchange", ["G", "end"]),
    Show => ("show", History, "show it in the response viewer", ["enter"]),
    Filter => ("filter", History, "filter by status, model or text", ["/"]),
    Replay => ("replay", History, "replay it as it was sent", ["r"]),
    LoadIntoComposer => ("load_into_composer", History, "load it into the composer", ["e"]),
    Diagnose => ("diagnose", History, "diagnose it", ["d"]),
    CopyCurl => ("copy_curl", History, "copy it as curl (OSC 52)", ["y"]),
    Mark => ("mark", History, "mark it, to compare another with it", ["m"]),
    Compare => ("compare", History, "compare with the marked one, or the turn before it", ["D"]),

    LimitsScrollDown => ("limits_scroll_down", RateLimits, "scroll down", ["j", "down"]),
    LimitsScrollUp => ("limits_scroll_up", RateLimits, "scroll up", ["k", "up"]),

    StepDown => ("step_down", Checklist, "next step", ["j", "down"]),
    StepUp => ("step_up", Checklist, "previous step", ["k", "up"]),
    RunChecks => ("run_checks", Checklist, "run the checks again", ["r"]),
}

impl Action {
    /// Actions checked before the editor or a prompt gets the key.
    fn works_while_typing(self) -> bool {
        matches!(
            self,
            Action::Send | Action::ForceQuit | Action::StopEditing | Action::OpenFile
        )
    }
}

/// One key with its modifiers, as written in the config (`ctrl-s`, `f5`,
/// `shift-tab`, `G`, `?`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyBinding {
    pub code: KeyCode,
    pub modifiers: KeyModifiers,
}

impl KeyBinding {
    /// The binding a key event means. Shift is dropped for characters (the
    /// character already says it: `G`, `?`) so terminals that report it and
    /// terminals that do not agree.
    pub fn from_event(event: &KeyEvent) -> KeyBinding {
        let mut modifiers = event.modifiers;
        let code = match event.code {
            KeyCode::Char(c) => {
                modifiers.remove(KeyModifiers::SHIFT);
                KeyCode::Char(c)
            }
            KeyCode::BackTab => {
                modifiers.insert(KeyModifiers::SHIFT);
                KeyCode::Tab
            }
            code => code,
        };
        KeyBinding { code, modifiers }
    }

    pub fn parse(text: &str) -> Option<KeyBinding> {
        let mut modifiers = KeyModifiers::NONE;
        let mut rest = text.trim();
        loop {
            let lower = rest.to_ascii_lowercase();
            let (modifier, len) = if lower.starts_with("ctrl-") {
                (KeyModifiers::CONTROL, 5)
            } else if lower.starts_with("alt-") {
                (KeyModifiers::ALT, 4)
            } else if lower.starts_with("shift-") {
                (KeyModifiers::SHIFT, 6)
            } else {
                break;
            };
            if rest.len() == len {
                break;
            }
            modifiers.insert(modifier);
            rest = &rest[len..];
        }
        let code = parse_code(rest)?;
        let mut binding = KeyBinding { code, modifiers };
        if let KeyCode::Char(c) = code {
            // `shift-g` means `G`; a control chord is case-blind (`ctrl-S`
            // is what terminals send for ctrl-s with caps lock on).
            if binding.modifiers.contains(KeyModifiers::SHIFT) {
                binding.modifiers.remove(KeyModifiers::SHIFT);
                binding.code = KeyCode::Char(c.to_ascii_uppercase());
            } else if binding.modifiers.contains(KeyModifiers::CONTROL) {
                binding.code = KeyCode::Char(c.to_ascii_lowercase());
            }
        }
        Some(binding)
    }

    /// True for a key that types or edits text (a character, Enter,
    /// Backspace, arrows…) without ctrl or alt.
    fn is_typed(&self) -> bool {
        let chord = self
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        !chord && !matches!(self.code, KeyCode::F(_) | KeyCode::Esc)
    }

    fn matches(&self, event: &KeyEvent) -> bool {
        let got = KeyBinding::from_event(event);
        if got == *self {
            return true;
        }
        // Control chords arrive upper-cased from some terminals.
        match (got.code, self.code) {
            (KeyCode::Char(a), KeyCode::Char(b))
                if got.modifiers.contains(KeyModifiers::CONTROL) =>
            {
                a.eq_ignore_ascii_case(&b) && got.modifiers == self.modifiers
            }
            _ => false,
        }
    }
}

fn parse_code(text: &str) -> Option<KeyCode> {
    let mut chars = text.chars();
    if let (Some(c), None) = (chars.next(), chars.clone().next()) {
        return Some(KeyCode::Char(c));
    }
    let lower = text.to_ascii_lowercase();
    let code = match lower.as_str() {
        "enter" | "return" => KeyCode::Enter,
        "esc" | "escape" => KeyCode::Esc,
        "tab" => KeyCode::Tab,
        "backtab" => return None,
        "space" => KeyCode::Char(' '),
        "backspace" => KeyCode::Backspace,
        "delete" | "del" => KeyCode::Delete,
        "insert" => KeyCode::Insert,
        "up" => KeyCode::Up,
        "down" => KeyCode::Down,
        "left" => KeyCode::Left,
        "right" => KeyCode::Right,
        "home" => KeyCode::Home,
        "end" => KeyCode::End,
        "pageup" => KeyCode::PageUp,
        "pagedown" => KeyCode::PageDown,
        "minus" => KeyCode::Char('-'),
        "plus" => KeyCode::Char('+'),
        f if f.starts_with('f') => {
            let n: u8 = f[1..].parse().ok()?;
            if !(1..=24).contains(&n) {
                return None;
            }
            KeyCode::F(n)
        }
        _ => return None,
    };
    Some(code)
}

impl fmt::Display for KeyBinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.modifiers.contains(KeyModifiers::CONTROL) {
            f.write_str("Ctrl-")?;
        }
        if self.modifiers.contains(KeyModifiers::ALT) {
            f.write_str("Alt-")?;
        }
        if self.modifiers.contains(KeyModifiers::SHIFT) {
            f.write_str("Shift-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("Space"),
            KeyCode::Char(c) if self.modifiers.contains(KeyModifiers::CONTROL) => {
                write!(f, "{}", c.to_ascii_uppercase())
            }
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::F(n) => write!(f, "F{n}"),
            KeyCode::Enter => f.write_str("Enter"),
            KeyCode::Esc => f.write_str("Esc"),
            KeyCode::Tab => f.write_str("Tab"),
            KeyCode::Backspace => f.write_str("Backspace"),
            KeyCode::Delete => f.write_str("Delete"),
            KeyCode::Insert => f.write_str("Insert"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::Home => f.write_str("Home"),
            KeyCode::End => f.write_str("End"),
            KeyCode::PageUp => f.write_str("PgUp"),
            KeyCode::PageDown => f.write_str("PgDn"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// A `[keys]` setting that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeymapError {
    #[error(
        "[keys] in {file}: there is no action named `{name}`. Actions: {known}. Fix the name or remove the line"
    )]
    UnknownAction {
        file: String,
        name: String,
        known: String,
    },
    #[error(
        "[keys] in {file}: `{name} = \"{key}\"` is not a key claudetui understands. Write keys like \"r\", \"G\", \"ctrl-s\", \"f5\", \"shift-tab\", \"enter\", \"pagedown\""
    )]
    BadKey {
        file: String,
        name: String,
        key: String,
    },
    #[error(
        "[keys] in {file}: `{name}` works while you type in the editor, so `{key}` would fire instead of being typed. Use a key with ctrl- or alt-, an F-key or esc"
    )]
    TypingKey {
        file: String,
        name: String,
        key: String,
    },
    #[error(
        "[keys] in {file}: {key} is bound to both `{first}` and `{second}` ({context}). Give one of them another key"
    )]
    Conflict {
        file: String,
        key: String,
        first: String,
        second: String,
        context: &'static str,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    bindings: BTreeMap<Action, Vec<KeyBinding>>,
}

impl Default for Keymap {
    fn default() -> Self {
        let bindings = Action::ALL
            .iter()
            .map(|&action| {
                let keys = action
                    .default_keys()
                    .iter()
                    .filter_map(|k| KeyBinding::parse(k))
                    .collect();
                (action, keys)
            })
            .collect();
        Keymap { bindings }
    }
}

impl Keymap {
    /// The defaults with the `[keys]` settings of `file` applied: each
    /// setting replaces all the keys of its action.
    pub fn with_overrides(
        overrides: &BTreeMap<String, Vec<String>>,
        file: &str,
    ) -> Result<Keymap, KeymapError> {
        let mut keymap = Keymap::default();
        for (name, keys) in overrides {
            let action = Action::ALL
                .iter()
                .copied()
                .find(|a| a.name() == name)
                .ok_or_else(|| KeymapError::UnknownAction {
                    file: file.to_string(),
                    name: name.clone(),
                    known: Action::ALL
                        .iter()
                        .map(|a| a.name())
                        .collect::<Vec<_>>()
                        .join(", "),
                })?;
            let parsed = keys
                .iter()
                .map(|key| {
                    KeyBinding::parse(key).ok_or_else(|| KeymapError::BadKey {
                        file: file.to_string(),
                        name: name.clone(),
                        key: key.clone(),
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let typed = parsed.iter().find(|k| k.is_typed());
            if let Some(key) = typed.filter(|_| action.works_while_typing()) {
                return Err(KeymapError::TypingKey {
                    file: file.to_string(),
                    name: name.clone(),
                    key: key.to_string(),
                });
            }
            keymap.bindings.insert(action, parsed);
        }
        keymap.check_conflicts(file)?;
        Ok(keymap)
    }

    /// Two actions may share a key only when they live in different pane
    /// contexts; a global key must not be used by any pane.
    fn check_conflicts(&self, file: &str) -> Result<(), KeymapError> {
        // In table order, so the first of two clashing actions is named first.
        let mut seen: Vec<(Context, KeyBinding, Action)> = Vec::new();
        for (&action, keys) in &self.bindings {
            for &key in keys {
                let clashes_with = |context| {
                    seen.iter()
                        .find(|(c, k, _)| *c == context && *k == key)
                        .map(|(_, _, a)| *a)
                };
                let clash = match action.context() {
                    Context::Global => seen.iter().find(|(_, k, _)| *k == key).map(|(_, _, a)| *a),
                    context => clashes_with(context).or_else(|| clashes_with(Context::Global)),
                };
                if let Some(first) = clash {
                    let context = if first.context() == action.context() {
                        action.context().title()
                    } else {
                        "a key that works everywhere cannot also be a pane's key"
                    };
                    return Err(KeymapError::Conflict {
                        file: file.to_string(),
                        key: key.to_string(),
                        first: first.name().to_string(),
                        second: action.name().to_string(),
                        context,
                    });
                }
                seen.push((action.context(), key, action));
            }
        }
        Ok(())
    }

    /// The action `event` means in `context` (falling back to global keys).
    pub fn action(&self, context: Context, event: &KeyEvent) -> Option<Action> {
        self.find(context, event)
            .or_else(|| self.find(Context::Global, event))
    }

    /// True when `event` is bound to `action`.
    pub fn is(&self, action: Action, event: &KeyEvent) -> bool {
        self.keys(action).iter().any(|k| k.matches(event))
    }

    fn find(&self, context: Context, event: &KeyEvent) -> Option<Action> {
        self.bindings
            .iter()
            .filter(|(a, _)| a.context() == context)
            .find(|(_, keys)| keys.iter().any(|k| k.matches(event)))
            .map(|(a, _)| *a)
    }

    pub fn keys(&self, action: Action) -> &[KeyBinding] {
        self.bindings.get(&action).map_or(&[], Vec::as_slice)
    }

    /// The keys of `action` as shown to people: `Ctrl-S/F5`.
    pub fn label(&self, action: Action) -> String {
        let keys = self.keys(action);
        if keys.is_empty() {
            return "(unbound)".to_string();
        }
        keys.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("/")
    }

    /// Every action of `context` with its keys, in table order.
    pub fn rows(&self, context: Context) -> Vec<(String, &'static str)> {
        Action::ALL
            .iter()
            .filter(|a| a.context() == context)
            .map(|&a| (self.label(a), a.description()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    fn overrides(pairs: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.iter().map(|s| s.to_string()).collect()))
            .collect()
    }

    #[test]
    fn every_default_key_parses() {
        for &action in Action::ALL {
            for key in action.default_keys() {
                assert!(KeyBinding::parse(key).is_some(), "{action:?}: {key}");
            }
        }
    }

    #[test]
    fn defaults_have_no_conflicts() {
        Keymap::default().check_conflicts("default").unwrap();
    }

    #[test]
    fn pane_keys_win_over_global_ones_and_fall_back() {
        let map = Keymap::default();
        let r = key(KeyCode::Char('r'), KeyModifiers::NONE);
        assert_eq!(map.action(Context::History, &r), Some(Action::Replay));
        assert_eq!(map.action(Context::Checklist, &r), Some(Action::RunChecks));
        let q = key(KeyCode::Char('q'), KeyModifiers::NONE);
        assert_eq!(map.action(Context::History, &q), Some(Action::Quit));
    }

    #[test]
    fn send_works_with_ctrl_s_in_any_case_and_f5() {
        let map = Keymap::default();
        for event in [
            key(KeyCode::Char('s'), KeyModifiers::CONTROL),
            key(
                KeyCode::Char('S'),
                KeyModifiers::CONTROL | KeyModifiers::SHIFT,
            ),
            key(KeyCode::F(5), KeyModifiers::NONE),
        ] {
            assert_eq!(map.action(Context::Composer, &event), Some(Action::Send));
        }
    }

    #[test]
    fn shifted_letters_and_backtab_match_however_the_terminal_reports_them() {
        let map = Keymap::default();
        let big_g = key(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(
            map.action(Context::History, &big_g),
            Some(Action::SelectLast)
        );
        let backtab = key(KeyCode::BackTab, KeyModifiers::SHIFT);
        assert_eq!(
            map.action(Context::History, &backtab),
            Some(Action::FocusPrev)
        );
    }

    #[test]
    fn parses_and_prints_keys() {
        for (text, shown) in [
            ("ctrl-s", "Ctrl-S"),
            ("F5", "F5"),
            ("shift-tab", "Shift-Tab"),
            ("shift-g", "G"),
            ("?", "?"),
            ("pagedown", "PgDn"),
            ("space", "Space"),
            ("-", "-"),
        ] {
            assert_eq!(
                KeyBinding::parse(text).unwrap().to_string(),
                shown,
                "{text}"
            );
        }
        for bad in ["", "ctrl-", "f99", "hyper-x", "enterr"] {
            assert!(KeyBinding::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn overrides_replace_an_actions_keys() {
        let map = Keymap::with_overrides(&overrides(&[("replay", &["R"])]), "c.toml").unwrap();
        let r = key(KeyCode::Char('r'), KeyModifiers::NONE);
        assert_eq!(map.action(Context::History, &r), None);
        let big_r = key(KeyCode::Char('R'), KeyModifiers::SHIFT);
        assert_eq!(map.action(Context::History, &big_r), Some(Action::Replay));
    }

    #[test]
    fn unknown_action_is_named() {
        let err = Keymap::with_overrides(&overrides(&[("replya", &["r"])]), "c.toml").unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("`replya`") && text.contains("c.toml"),
            "{text}"
        );
        assert!(text.contains("replay"), "lists the known actions: {text}");
    }

    #[test]
    fn bad_key_is_named() {
        let err =
            Keymap::with_overrides(&overrides(&[("send", &["ctrl-ss"])]), "c.toml").unwrap_err();
        assert!(matches!(err, KeymapError::BadKey { ref key, .. } if key == "ctrl-ss"));
    }

    #[test]
    fn conflicts_in_one_pane_and_with_global_keys_are_errors() {
        let same_pane = overrides(&[("diagnose", &["r"])]);
        let err = Keymap::with_overrides(&same_pane, "c.toml").unwrap_err();
        assert!(matches!(err, KeymapError::Conflict { .. }), "{err}");
        assert!(err.to_string().contains("History"), "{err}");

        let with_global = overrides(&[("replay", &["q"])]);
        let err = Keymap::with_overrides(&with_global, "c.toml").unwrap_err();
        assert!(err.to_string().contains("everywhere"), "{err}");
    }

    #[test]
    fn keys_checked_before_the_editor_cannot_be_typing_keys() {
        for (name, key) in [
            ("send", "S"),
            ("force_quit", "a"),
            ("stop_editing", "enter"),
        ] {
            let err = Keymap::with_overrides(&overrides(&[(name, &[key])]), "c.toml").unwrap_err();
            assert!(
                matches!(err, KeymapError::TypingKey { .. }),
                "{name}: {err}"
            );
        }
        Keymap::with_overrides(&overrides(&[("send", &["alt-s", "f9"])]), "c.toml").unwrap();
    }

    #[test]
    fn same_key_in_two_panes_is_fine() {
        Keymap::with_overrides(&overrides(&[("run_checks", &["e"])]), "c.toml").unwrap();
    }

    #[test]
    fn help_rows_come_from_the_table() {
        let rows = Keymap::default().rows(Context::History);
        assert!(rows.contains(&("r".to_string(), "replay it as it was sent")));
    }
}
