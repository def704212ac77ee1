//! The composer as the app drives it: actions, keys, paste, drafts, and
//! what it draws (snapshots at the two sizes the dashboard gives it:
//! 66×15 in a 120×36 terminal, 44×9 in an 80×24 one).

use chrono::{TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use serde_json::Value;

use super::*;
use crate::tui::panes::PaneContext;
use crate::tui::theme::{ColorMode, Theme};

const TEST_KEY: &str = "sk-ant-api03-COMPOSERTESTKEYxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx-9z8y";

fn draw(pane: &mut ComposerPane, width: u16, height: u16) -> Terminal<TestBackend> {
    let theme = Theme::new(ColorMode::Ansi16);
    let ctx = PaneContext {
        theme: &theme,
        focused: true,
        now: Utc
            .with_ymd_and_hms(2026, 11, 20, 12, 0, 0)
            .single()
            .unwrap_or_default(),
    };
    let mut terminal = match Terminal::new(TestBackend::new(width, height)) {
        Ok(terminal) => terminal,
        Err(e) => panic!("test backend: {e}"),
    };
    if let Err(e) = terminal.draw(|frame| pane.render(frame.area(), frame.buffer_mut(), &ctx)) {
        panic!("draw: {e}");
    }
    terminal
}

fn screen(terminal: &Terminal<TestBackend>) -> String {
    let buffer = terminal.backend().buffer();
    (0..buffer.area.height)
        .map(|y| {
            (0..buffer.area.width)
                .map(|x| buffer[(x, y)].symbol())
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn type_text(pane: &mut ComposerPane, text: &str) {
    for c in text.chars() {
        let code = if c == '\n' {
            KeyCode::Enter
        } else {
            KeyCode::Char(c)
        };
        pane.on_input(key(code));
    }
}

fn sample(name: &str) -> ComposerPane {
    let sample = samples::find(name).unwrap_or_else(|| panic!("no sample {name}"));
    ComposerPane::new(sample.body, sample.name)
}

fn body_value(pane: &ComposerPane) -> Value {
    serde_json::from_str(&pane.body()).unwrap_or(Value::Null)
}

const TRAILING_COMMA: &str = "{\n  \"model\": \"claude-sonnet-4-6\",\n  \"max_tokens\": 256,\n  \"messages\": [\n    {\"role\": \"user\", \"content\": \"hi\"},\n  ]\n}";

// ----- behaviour ---------------------------------------------------------

#[test]
fn starts_on_the_default_sample_and_reports_it_valid() {
    let pane = ComposerPane::default();
    assert_eq!(pane.origin(), "hello.json");
    assert!(!pane.has_errors(), "{:?}", pane.problems());
    assert_eq!(
        pane.body(),
        samples::default_sample().body.trim_end_matches('\n')
    );
    assert!(!pane.is_editing() && !pane.input_active());
}

#[test]
fn typing_needs_edit_mode_and_updates_the_fields() {
    let mut pane = ComposerPane::new("{\"model\": \"a\", \"max_tokens\": 5}", "t");
    assert!(!pane.on_input(key(KeyCode::Char('x'))), "not editing");
    pane.on_action(Action::Edit);
    assert!(pane.is_editing() && pane.input_active());
    pane.on_input(key(KeyCode::End));
    pane.on_input(key(KeyCode::Left));
    assert!(pane.on_input(key(KeyCode::Backspace)));
    type_text(&mut pane, "1024");
    assert_eq!(pane.body(), "{\"model\": \"a\", \"max_tokens\": 1024}");
    assert_eq!(
        pane.quick_fields().and_then(|f| f.max_tokens),
        Some(1024),
        "fields follow the text"
    );
    let release = KeyEvent {
        kind: KeyEventKind::Release,
        ..key(KeyCode::Char('z'))
    };
    assert!(!pane.on_input(release), "key releases are not typing");
    pane.on_input(key(KeyCode::Esc));
    assert!(!pane.is_editing());
}

#[test]
fn edits_only_mark_lint_stale() {
    let mut pane = sample("hello.json");
    pane.on_action(Action::Edit);
    assert!(pane.analysis.get().is_some(), "computed when created");
    type_text(&mut pane, "xyz");
    assert!(pane.analysis.get().is_none(), "typing does not lint");
    draw(&mut pane, 66, 15);
    assert!(pane.analysis.get().is_some(), "the frame lints once");
    assert!(pane.has_errors(), "text typed before the brace");
}

#[test]
fn paste_inserts_and_starts_editing() {
    let mut pane = ComposerPane::new("", "t");
    pane.on_paste("{\r\n  \"model\": \"m\"\r}");
    assert!(pane.is_editing());
    assert_eq!(pane.body(), "{\n  \"model\": \"m\"\n}");
}

#[test]
fn quick_keys_rewrite_the_body_keeping_order_and_indent() {
    let mut pane = ComposerPane::new(
        "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"model\": \"claude-haiku-4-5\", \"max_tokens\": 32000, \"metadata\": {\"user_id\": \"u\"}}",
        "t",
    );
    pane.on_action(Action::MoreTokens);
    pane.on_action(Action::MoreTokens);
    pane.on_action(Action::ToggleStream);
    pane.on_action(Action::Warmer);
    pane.on_action(Action::Cooler);
    pane.on_action(Action::Cooler);
    let value = body_value(&pane);
    assert_eq!(value["max_tokens"], 64000, "clamped to Haiku 4.5's limit");
    assert_eq!(value["stream"], true);
    assert_eq!(value["temperature"], 0.8);
    let keys: Vec<&str> = value
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    assert_eq!(
        keys,
        [
            "messages",
            "model",
            "max_tokens",
            "stream",
            "temperature",
            "metadata"
        ]
    );
    assert!(
        pane.body().starts_with("{\n  \"messages\": [\n    {\n"),
        "{}",
        pane.body()
    );
    // The cursor sits on the field just changed.
    let line = pane.body.lines()[pane.body.cursor().0].clone();
    assert!(line.contains("\"temperature\""), "{line}");
    // A rewrite is undone with two undos (the widget records the
    // replacement as a delete and an insert).
    pane.on_action(Action::Edit);
    for _ in 0..2 {
        pane.on_input(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
    }
    assert_eq!(body_value(&pane)["temperature"], 0.9);
}

#[test]
fn models_cycle_through_the_served_list_once_it_arrives() {
    let mut pane = sample("hello.json");
    pane.on_action(Action::NextModel);
    let builtin = quick::known_model_ids();
    let at = builtin
        .iter()
        .position(|id| id == "claude-sonnet-4-6")
        .unwrap_or(0);
    assert_eq!(
        body_value(&pane)["model"],
        builtin[(at + 1) % builtin.len()]
    );
    pane.set_models(vec!["served-a".into(), "served-b".into()]);
    pane.on_action(Action::NextModel);
    assert_eq!(body_value(&pane)["model"], "served-a");
    pane.on_action(Action::PrevModel);
    assert_eq!(body_value(&pane)["model"], "served-b");
}

#[test]
fn quick_keys_refuse_to_touch_broken_json() {
    let mut pane = ComposerPane::new(TRAILING_COMMA, "t");
    pane.on_action(Action::ToggleStream);
    assert_eq!(pane.body(), TRAILING_COMMA, "the text is kept");
    let notice = pane
        .notice
        .as_ref()
        .map(|n| n.text.clone())
        .unwrap_or_default();
    assert!(
        notice.contains("fix the JSON to use quick fields (line 6:3)"),
        "{notice}"
    );
    let mut array = ComposerPane::new("[1]", "t");
    array.on_action(Action::MoreTokens);
    assert_eq!(array.body(), "[1]");
}

#[test]
fn problems_include_syntax_errors_with_position() {
    let pane = ComposerPane::new(TRAILING_COMMA, "t");
    let problems = pane.problems();
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0].message.contains("line 6 column 3"),
        "{:?}",
        problems[0]
    );
    assert!(problems[0].fix.contains("trailing comma") || problems[0].fix.contains("comma"));
    assert!(pane.has_errors());
}

#[test]
fn headers_editor_parses_lines_and_lists_bad_ones() {
    let mut pane = sample("hello.json");
    pane.on_action(Action::EditHeaders);
    pane.on_action(Action::Edit);
    type_text(&mut pane, "# gateway\nanthropic-beta: x-2025\nnot a header");
    assert_eq!(
        pane.extra_headers(),
        vec![Header::new("anthropic-beta", "x-2025")]
    );
    let problems = pane.header_problems();
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].to_string(), "line 3: expected `name: value`");
    assert!(!pane.body().contains("gateway"), "the body is untouched");
    pane.on_input(key(KeyCode::Esc));
    pane.on_action(Action::EditHeaders);
    assert_eq!(pane.view, View::Body);
}

#[test]
fn an_anthropic_version_header_changes_lint() {
    let body = "{\"model\": \"claude-3-7-sonnet-20250219\", \"max_tokens\": 5, \"temperature\": 0.5, \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}";
    let mut pane = ComposerPane::new(body, "t");
    let before = pane.problems().len();
    pane.set_extra_headers(&[Header::new("anthropic-version", "2026-10-21")]);
    let after = pane.problems();
    assert!(after.len() > before, "{after:#?}");
    assert!(after.iter().any(|p| p.path == "temperature"), "{after:#?}");
}

#[test]
fn drafts_never_hold_a_key_and_say_so() {
    let mut pane = ComposerPane::new(
        &format!("{{\"model\": \"m\", \"note\": \"{TEST_KEY}\"}}"),
        "draft",
    );
    pane.set_extra_headers(&[
        Header::new("x-api-key", TEST_KEY),
        Header::new("Authorization", format!("Bearer {TEST_KEY}")),
        Header::new("x-portkey-api-key", "pk-abcdefghijklmnopqrstu"),
        Header::new("x-trace", TEST_KEY),
        Header::new("x-team", "infra"),
    ]);
    let draft = pane.draft();
    let saved = serde_json::to_string(&draft).unwrap_or_default();
    assert!(!saved.is_empty());
    assert!(!saved.contains("COMPOSERTESTKEY"), "{saved}");
    assert!(!saved.contains("abcdefghijklmnopq"), "{saved}");
    assert!(
        saved.contains("sk-ant-…9z8y"),
        "the masked form tells keys apart"
    );
    let restored = ComposerPane::restore(serde_json::from_str(&saved).unwrap_or_default());
    assert_eq!(
        restored.extra_headers(),
        vec![Header::new("x-team", "infra")],
        "credential headers are not restored"
    );
    assert!(restored.headers_text().contains("not saved"));
    assert_eq!(restored.origin(), "draft");
}

#[test]
fn a_draft_round_trips_what_was_typed() {
    let mut pane = sample("tool-use.json");
    pane.set_extra_headers(&[Header::new("anthropic-beta", "a,b")]);
    pane.on_action(Action::Edit);
    type_text(&mut pane, " ");
    let restored = ComposerPane::restore(pane.draft());
    assert_eq!(restored.body(), pane.body());
    assert_eq!(restored.extra_headers(), pane.extra_headers());
    assert_eq!(restored.origin(), "tool-use.json");
}

#[test]
fn the_picker_loads_samples_and_files_and_keeps_text_on_failure() {
    let mut pane = sample("hello.json");
    pane.on_action(Action::OpenFile);
    assert!(pane.input_active() && !pane.is_editing());
    pane.on_action(Action::ToggleStream);
    assert_eq!(
        body_value(&pane)["stream"],
        true,
        "actions wait while the picker is open"
    );
    pane.on_input(key(KeyCode::Down));
    pane.on_input(key(KeyCode::Down));
    assert!(pane.on_input(key(KeyCode::Enter)));
    assert_eq!(pane.origin(), "tool-use.json");
    assert!(!pane.input_active());

    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let file = dir.path().join("mine.json");
    std::fs::write(&file, "{\"model\": \"x\"}\n").unwrap_or_else(|e| panic!("write: {e}"));
    let before = pane.body();
    pane.open_picker();
    type_text(
        &mut pane,
        &dir.path().join("missing.json").display().to_string(),
    );
    assert!(!pane.on_input(key(KeyCode::Enter)));
    assert_eq!(pane.body(), before, "a missing file keeps the text");
    assert!(pane.is_picker_open(), "so the path can be fixed");
    let notice = pane
        .notice
        .as_ref()
        .map(|n| n.text.clone())
        .unwrap_or_default();
    assert!(
        notice.contains("no such file") && notice.contains("kept"),
        "{notice}"
    );
    pane.on_input(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
    pane.on_paste(&file.display().to_string());
    assert!(pane.on_input(key(KeyCode::Enter)));
    assert_eq!(pane.body(), "{\"model\": \"x\"}");
    assert_eq!(pane.origin(), file.display().to_string());
    pane.open_picker();
    pane.on_action(Action::StopEditing);
    assert!(!pane.is_picker_open());
}

#[test]
fn ctrl_o_and_esc_work_from_raw_input_too() {
    let mut pane = sample("hello.json");
    pane.on_action(Action::Edit);
    pane.on_input(KeyEvent::new(KeyCode::Char('o'), KeyModifiers::CONTROL));
    assert!(pane.is_picker_open());
    pane.on_input(key(KeyCode::Esc));
    assert!(!pane.is_picker_open());
    assert!(pane.is_editing(), "closing the picker returns to editing");
}

// ----- drawing -----------------------------------------------------------

fn cell_style(terminal: &Terminal<TestBackend>, needle: &str) -> Option<(u16, u16)> {
    let text = screen(terminal);
    text.lines().enumerate().find_map(|(y, line)| {
        line.find(needle)
            .map(|byte| (line[..byte].chars().count() as u16, y as u16))
    })
}

fn buffer(terminal: &Terminal<TestBackend>) -> &Buffer {
    terminal.backend().buffer()
}

#[test]
fn snapshot_valid_sample_large() {
    let mut pane = sample("streaming-system.json");
    let terminal = draw(&mut pane, 66, 15);
    insta::assert_snapshot!(terminal.backend());
    // Highlighting: keys, strings, numbers and literals in their colours.
    let theme = Theme::new(ColorMode::Ansi16);
    for (needle, expected) in [
        ("\"model\"", theme.json_key),
        ("\"claude-sonnet-4-6\",", theme.json_string),
        ("1024,", theme.json_number),
        ("true", theme.json_literal),
    ] {
        let (x, y) = cell_style(&terminal, needle).unwrap_or_default();
        let cell = &buffer(&terminal)[(x + 1, y)];
        assert_eq!(Some(cell.fg), expected.fg, "{needle}: {cell:?}");
    }
}

#[test]
fn snapshot_valid_sample_small() {
    let mut pane = sample("hello.json");
    let terminal = draw(&mut pane, 44, 9);
    insta::assert_snapshot!(terminal.backend());
}

#[test]
fn snapshot_editing_with_cursor() {
    let mut pane = sample("hello.json");
    pane.on_action(Action::Edit);
    pane.on_input(key(KeyCode::Down));
    pane.on_input(key(KeyCode::Down));
    pane.on_input(key(KeyCode::End));
    let terminal = draw(&mut pane, 66, 15);
    insta::assert_snapshot!("editing_large", terminal.backend());
    // The cursor cell (after `256,` on line 3) is reversed, and only while editing.
    let (x, y) = cell_style(&terminal, "256,").unwrap_or_default();
    let cursor = &buffer(&terminal)[(x + 4, y)];
    assert!(cursor.modifier.contains(Modifier::REVERSED), "{cursor:?}");
    let terminal = draw(&mut pane, 44, 9);
    insta::assert_snapshot!("editing_small", terminal.backend());
    pane.on_action(Action::StopEditing);
    let terminal = draw(&mut pane, 66, 15);
    let after = &buffer(&terminal)[(x + 4, y)];
    assert!(
        !after.modifier.contains(Modifier::REVERSED),
        "no cursor outside editing"
    );
}

#[test]
fn snapshot_invalid_json() {
    let mut pane = ComposerPane::new(TRAILING_COMMA, "draft");
    let terminal = draw(&mut pane, 66, 15);
    insta::assert_snapshot!("invalid_json_large", terminal.backend());
    let text = screen(&terminal);
    assert!(text.contains("line 6:3"), "{text}");
    assert!(text.contains("hint: Remove the comma"), "{text}");
    // The gutter marks line 6, and the offending `]` is underlined.
    let (x, y) = cell_style(&terminal, "✗ 6").unwrap_or_default();
    assert_eq!(
        buffer(&terminal)[(x, y)].fg,
        Theme::new(ColorMode::Ansi16).error.fg.unwrap_or_default()
    );
    let bracket = &buffer(&terminal)[(x + 6, y)];
    assert_eq!(bracket.symbol(), "]");
    assert!(
        bracket.modifier.contains(Modifier::UNDERLINED),
        "{bracket:?}"
    );
    let terminal = draw(&mut pane, 44, 9);
    insta::assert_snapshot!("invalid_json_small", terminal.backend());
}

#[test]
fn snapshot_schema_error_with_field_path() {
    let mut pane = sample("broken-on-purpose.json");
    let terminal = draw(&mut pane, 66, 15);
    insta::assert_snapshot!("schema_error_large", terminal.backend());
    let text = screen(&terminal);
    assert!(text.contains("✗ 3 errors"), "{text}");
    assert!(text.contains("max_tokens: Field required"), "{text}");
    assert!(text.contains("✗ 3"), "the typo line is marked: {text}");
    assert!(text.contains("✗ 5"), "the empty message is marked: {text}");
    let terminal = draw(&mut pane, 44, 9);
    insta::assert_snapshot!("schema_error_small", terminal.backend());
}

#[test]
fn snapshot_schema_error_on_a_line() {
    let body = samples::default_sample().body.replace(
        "\"stream\": true,",
        "\"stream\": true,\n  \"temperature\": 1.5,",
    );
    let mut pane = ComposerPane::new(&body, "hello.json");
    let terminal = draw(&mut pane, 66, 15);
    insta::assert_snapshot!("schema_error_on_a_line", terminal.backend());
    let text = screen(&terminal);
    assert!(
        text.contains("✗ 1 error — line 5:3 temperature: Input should be"),
        "{text}"
    );
    assert!(text.contains("✗ 5"), "{text}");
}

#[test]
fn broken_json_keeps_the_last_fields_dimmed() {
    let mut pane = sample("hello.json");
    pane.on_action(Action::Edit);
    pane.on_input(key(KeyCode::Down));
    pane.on_input(key(KeyCode::End));
    type_text(&mut pane, ",");
    let terminal = draw(&mut pane, 66, 15);
    let text = screen(&terminal);
    assert!(
        text.contains("claude-sonnet-4-6 ▾  max 256  stream on  temp —  (fix the JSON)"),
        "the last known values, dimmed: {text}"
    );
}

#[test]
fn every_change_bumps_the_revision() {
    let mut pane = sample("hello.json");
    let mut last = pane.revision();
    let mut changed = |pane: &ComposerPane, what: &str| {
        assert_ne!(pane.revision(), last, "{what}");
        last = pane.revision();
    };
    pane.on_action(Action::ToggleStream);
    changed(&pane, "quick field");
    pane.on_action(Action::Edit);
    type_text(&mut pane, "x");
    changed(&pane, "typing");
    pane.on_paste("y");
    changed(&pane, "paste");
    pane.set_extra_headers(&[Header::new("a", "b")]);
    changed(&pane, "headers");
    pane.set_body("{}", "t");
    changed(&pane, "load");
}

#[test]
fn snapshot_headers_editor() {
    let mut pane = sample("hello.json");
    pane.set_extra_headers(&[
        Header::new("anthropic-beta", "token-efficient-tools-2025-02-19"),
        Header::new("x-api-key", TEST_KEY),
    ]);
    pane.on_action(Action::EditHeaders);
    pane.on_action(Action::Edit);
    pane.on_input(key(KeyCode::Down));
    pane.on_input(key(KeyCode::End));
    type_text(&mut pane, "\nnot a header");
    let terminal = draw(&mut pane, 66, 15);
    insta::assert_snapshot!("headers_large", terminal.backend());
    let text = screen(&terminal);
    assert!(
        !text.contains("COMPOSERTESTKEY"),
        "the key is masked: {text}"
    );
    assert!(text.contains("sk-ant-•"), "{text}");
    assert!(text.contains("line 3: expected `name: value`"), "{text}");
    let terminal = draw(&mut pane, 44, 9);
    insta::assert_snapshot!("headers_small", terminal.backend());
    assert!(!screen(&terminal).contains("COMPOSERTESTKEY"));
}

#[test]
fn snapshot_picker_open() {
    let mut pane = sample("hello.json");
    pane.open_picker();
    pane.on_input(key(KeyCode::Down));
    let terminal = draw(&mut pane, 66, 15);
    insta::assert_snapshot!("picker_large", terminal.backend());
    type_text(&mut pane, "~/requests/mine.json");
    let terminal = draw(&mut pane, 44, 9);
    insta::assert_snapshot!("picker_small", terminal.backend());
}

#[test]
fn a_key_typed_into_the_body_is_masked_on_screen() {
    let mut pane = ComposerPane::new(&format!("{{\"note\": \"{TEST_KEY}\"}}"), "t");
    let terminal = draw(&mut pane, 120, 6);
    let text = screen(&terminal);
    assert!(!text.contains("COMPOSERTESTKEY"), "{text}");
    assert!(text.contains("9z8y"), "{text}");
}

#[test]
fn long_lines_scroll_with_the_cursor() {
    let long = format!("{{\"text\": \"{}END\"}}", "a".repeat(300));
    let mut pane = ComposerPane::new(&long, "t");
    pane.on_action(Action::Edit);
    pane.on_input(key(KeyCode::End));
    let terminal = draw(&mut pane, 44, 9);
    assert!(
        screen(&terminal).contains("END\"}"),
        "{}",
        screen(&terminal)
    );
}

#[test]
fn nothing_panics_at_any_size() {
    let texts = [
        samples::default_sample().body.to_owned(),
        TRAILING_COMMA.to_owned(),
        String::new(),
        "\t{\"界\": \"🦀\u{301}\t\u{7}\"}".to_owned(),
        format!("{{\"k\": \"{}\"}}", "x".repeat(500)),
    ];
    for text in &texts {
        for (width, height) in (0..=24).flat_map(|w| (0..=12).map(move |h| (w, h))) {
            let mut pane = ComposerPane::new(text, "a-rather-long-origin/with/a/path/to/body.json");
            pane.set_extra_headers(&[Header::new("x-api-key", TEST_KEY)]);
            draw(&mut pane, width, height);
            pane.on_action(Action::Edit);
            pane.on_input(key(KeyCode::End));
            draw(&mut pane, width, height);
            pane.on_action(Action::EditHeaders);
            pane.on_action(Action::StopEditing);
            pane.on_action(Action::EditHeaders);
            draw(&mut pane, width, height);
            pane.open_picker();
            draw(&mut pane, width, height);
        }
    }
    // A pane drawn at an offset, as in the real layout.
    let mut pane = ComposerPane::default();
    let area = Rect::new(3, 2, 20, 6);
    let mut buf = Buffer::empty(Rect::new(0, 0, 30, 10));
    let theme = Theme::new(ColorMode::None);
    let ctx = PaneContext {
        theme: &theme,
        focused: false,
        now: Utc::now(),
    };
    pane.render(area, &mut buf, &ctx);
}
