use chrono::FixedOffset;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::*;
use crate::api::ratelimit::RateLimitSnapshot;
use crate::commands::dashboard::demo_profile;
use crate::tui::app::{App, Focus};
use crate::tui::fixtures::{TEST_KEY, at, exchange};
use crate::tui::keymap::Keymap;
use crate::tui::panes::composer::ComposerPane;
use crate::tui::theme::{ColorMode, Theme};

const VALID: &str = r#"{
  "model": "claude-sonnet-4-6",
  "max_tokens": 256,
  "messages": [{"role": "user", "content": "Hi"}]
}"#;

const BROKEN: &str = r#"{
  "model": "claude-sonnet-4-6",
  "max_token": 256,
  "messages": [{"role": "user", "content": "Hi"}]
}"#;

fn app_with(body: &str) -> App {
    let mut profile = demo_profile("http://127.0.0.1:9");
    if let Some(credential) = &mut profile.credential {
        credential.secret = crate::config::Secret::new(TEST_KEY);
    }
    App::new(
        profile,
        true,
        Keymap::default(),
        Theme::new(ColorMode::Ansi16),
        ComposerPane::new(body, "test"),
        at(0),
        FixedOffset::east_opt(0).unwrap(),
    )
}

fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn ctrl(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

fn sends(effects: &[Effect]) -> Vec<&OutgoingRequest> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Send { request, .. } => Some(request.as_ref()),
            _ => None,
        })
        .collect()
}

fn draw(app: &mut App, width: u16, height: u16) -> Buffer {
    let area = Rect::new(0, 0, width, height);
    let mut buf = Buffer::empty(area);
    crate::tui::view::draw(app, area, &mut buf);
    buf
}

#[test]
fn ctrl_s_sends_the_composers_body_with_the_profiles_key() {
    let mut app = app_with(VALID);
    let effects = update(&mut app, ctrl('s'));
    let sent = sends(&effects);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].url, "http://127.0.0.1:9/v1/messages");
    assert_eq!(sent[0].method, "POST");
    assert!(sent[0].body.contains("claude-sonnet-4-6"));
    assert_eq!(
        sent[0].credential.as_ref().map(|c| c.secret.expose()),
        Some(TEST_KEY)
    );
    let f5 = update(&mut app, key(KeyCode::F(5)));
    assert_eq!(sends(&f5).len(), 1);
}

#[test]
fn a_request_that_fails_lint_asks_first() {
    let mut app = app_with(BROKEN);
    let effects = update(&mut app, ctrl('s'));
    assert!(sends(&effects).is_empty());
    assert!(matches!(app.overlay, Some(Overlay::Confirm(_))));
    let buf = draw(&mut app, 120, 36);
    let screen = buffer_text(&buf);
    assert!(screen.contains("Send anyway?"), "{screen}");
    assert!(screen.contains("max_token"), "names the problem: {screen}");

    let effects = update(&mut app, key(KeyCode::Char('n')));
    assert!(sends(&effects).is_empty() && app.overlay.is_none());

    update(&mut app, ctrl('s'));
    let effects = update(&mut app, key(KeyCode::Char('y')));
    assert_eq!(
        sends(&effects).len(),
        1,
        "sending bad requests on purpose is allowed"
    );
}

#[test]
fn q_quits_outside_editing_but_types_while_editing_and_ctrl_c_always_quits() {
    let mut app = app_with(VALID);
    update(&mut app, key(KeyCode::Enter));
    assert!(app.composer.is_editing());
    let effects = update(&mut app, key(KeyCode::Char('q')));
    assert!(!effects.iter().any(|e| matches!(e, Effect::Quit)));
    assert!(app.composer.body().contains('q'), "q was typed");
    let effects = update(&mut app, ctrl('c'));
    assert!(effects.iter().any(|e| matches!(e, Effect::Quit)));
    assert!(effects.iter().any(|e| matches!(e, Effect::SaveDraft(_))));

    let mut app = app_with(VALID);
    let effects = update(&mut app, key(KeyCode::Char('q')));
    assert!(effects.iter().any(|e| matches!(e, Effect::Quit)));
}

#[test]
fn focus_moves_with_tab_numbers_and_clicks() {
    let mut app = app_with(VALID);
    update(&mut app, key(KeyCode::Tab));
    assert_eq!(app.focus, Focus::Response);
    update(
        &mut app,
        Msg::Key(KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT)),
    );
    assert_eq!(app.focus, Focus::Composer);
    update(&mut app, key(KeyCode::Char('3')));
    assert_eq!(app.focus, Focus::History);
    draw(&mut app, 120, 36);
    let limits = app.areas.rate_limits;
    update(
        &mut app,
        Msg::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: limits.x + 2,
            row: limits.y + 2,
            modifiers: KeyModifiers::NONE,
        }),
    );
    assert_eq!(app.focus, Focus::RateLimits);
}

#[test]
fn help_opens_and_closes() {
    let mut app = app_with(VALID);
    update(&mut app, key(KeyCode::Char('?')));
    assert!(matches!(app.overlay, Some(Overlay::Help { .. })));
    let screen = buffer_text(&draw(&mut app, 120, 36));
    assert!(screen.contains("send the composer's request"), "{screen}");
    update(&mut app, key(KeyCode::Esc));
    assert!(app.overlay.is_none());
}

fn started(app: &mut App, ex: &crate::exchange::Exchange) {
    update(app, crate::tui::fixtures::started(ex));
}

#[test]
fn an_exchange_goes_from_in_flight_to_history() {
    let mut app = app_with(VALID);
    let ex = exchange(1, "claude-sonnet-4-6", Some(200));
    started(&mut app, &ex);
    assert_eq!(app.in_flight.len(), 1);
    assert_eq!(app.history.len(), 1);
    assert_eq!(app.response.shown(), Some(&ex.id));
    update(
        &mut app,
        Msg::engine(Event::Headers {
            id: ex.id.clone(),
            status: 200,
            headers: vec![],
            rate_limits: RateLimitSnapshot::default(),
        }),
    );
    update(&mut app, Msg::engine(Event::Finished(Box::new(ex.clone()))));
    assert!(app.in_flight.is_empty());
    assert_eq!(app.history.selected_row().unwrap().status, Some(200));
    assert!(app.recent(&ex.id).is_some());
    let message = app.message.as_ref().unwrap();
    assert!(
        message.text.starts_with("200 ok in 1.2s"),
        "{}",
        message.text
    );
}

#[test]
fn a_failure_is_explained_and_rechecks_the_relevant_steps() {
    let mut app = app_with(VALID);
    let ex = exchange(1, "claude-sonnet-4-6", Some(401));
    started(&mut app, &ex);
    let effects = update(&mut app, Msg::engine(Event::Failed(Box::new(ex))));
    let message = app.message.as_ref().unwrap();
    assert_eq!(message.tone, Tone::Error);
    assert!(message.text.starts_with("401 auth"), "{}", message.text);
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::RunChecks(steps) if !steps.is_empty())),
        "{effects:?}"
    );
}

#[test]
fn history_keys_show_replay_load_and_copy() {
    let mut app = app_with(VALID);
    let ex = exchange(1, "claude-opus-4-5", Some(429));
    started(&mut app, &ex);
    update(&mut app, Msg::engine(Event::Failed(Box::new(ex.clone()))));
    update(&mut app, key(KeyCode::Char('3')));

    let effects = update(&mut app, key(KeyCode::Char('r')));
    let sent = sends(&effects);
    assert_eq!(sent.len(), 1, "replay sends again");
    assert_eq!(sent[0].body, ex.request.body);
    assert_eq!(
        sent[0].credential.as_ref().map(|c| c.secret.expose()),
        Some(TEST_KEY),
        "the profile's key replaces the masked one"
    );
    assert!(!sent[0].headers.iter().any(|h| h.value.contains('…')));

    let effects = update(&mut app, key(KeyCode::Char('y')));
    let copied = effects.iter().find_map(|e| match e {
        Effect::Copy(text) => Some(text.clone()),
        _ => None,
    });
    let copied = copied.expect("y copies");
    assert!(copied.contains("$ANTHROPIC_API_KEY") && !copied.contains(TEST_KEY));

    update(&mut app, key(KeyCode::Char('e')));
    assert_eq!(app.focus, Focus::Composer);
    assert!(app.composer.body().contains("claude-opus-4-5"));
}

#[test]
fn an_exchange_not_in_memory_is_read_from_the_store() {
    let mut app = app_with(VALID);
    app.history.count_loaded(0, 1);
    let stored = exchange(1, "claude-sonnet-4-6", Some(200));
    app.history.page_loaded(0, 0, vec![stored.summary()]);
    update(&mut app, key(KeyCode::Char('3')));
    let effects = update(&mut app, key(KeyCode::Enter));
    assert!(effects.iter().any(|e| matches!(
        e,
        Effect::Load { purpose: Purpose::Show, id } if *id == stored.id
    )));
    update(
        &mut app,
        Msg::Loaded {
            purpose: Purpose::Show,
            id: stored.id.clone(),
            result: Ok(Some(Box::new(stored.clone()))),
        },
    );
    assert_eq!(app.response.shown(), Some(&stored.id));
}

#[test]
fn the_draft_is_saved_on_the_tick_after_an_edit() {
    let mut app = app_with(VALID);
    assert!(update(&mut app, Msg::Tick(at(1000))).is_empty());
    update(&mut app, key(KeyCode::Enter));
    update(&mut app, key(KeyCode::Char('x')));
    let effects = update(&mut app, Msg::Tick(at(2000)));
    assert!(effects.iter().any(|e| matches!(e, Effect::SaveDraft(_))));
    assert!(
        update(&mut app, Msg::Tick(at(3000))).is_empty(),
        "saved once"
    );
}

#[test]
fn cancel_targets_the_followed_exchange() {
    let mut app = app_with(VALID);
    let ex = exchange(1, "m", Some(200));
    started(&mut app, &ex);
    update(&mut app, key(KeyCode::Char('2')));
    let effects = update(&mut app, key(KeyCode::Char('x')));
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Cancel(id) if *id == ex.id))
    );
}

#[test]
fn startup_fetches_models_runs_checks_and_counts_history() {
    let mut app = app_with(VALID);
    let effects = startup(&mut app);
    assert!(effects.iter().any(|e| matches!(e, Effect::FetchModels)));
    assert!(effects.iter().any(|e| matches!(e, Effect::RunChecks(_))));
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::CountHistory { .. }))
    );
}

#[test]
fn the_key_never_reaches_the_screen() {
    let mut app = app_with(VALID);
    let ex = exchange(1, "m", Some(200));
    started(&mut app, &ex);
    update(&mut app, Msg::engine(Event::Finished(Box::new(ex))));
    for focus in ["1", "2", "3", "4", "5"] {
        update(&mut app, key(KeyCode::Char(focus.chars().next().unwrap())));
        let screen = buffer_text(&draw(&mut app, 200, 50));
        assert!(!screen.contains(TEST_KEY));
        assert!(!screen.contains(&TEST_KEY[..20]), "no long prefix either");
    }
}

pub(crate) fn buffer_text(buf: &Buffer) -> String {
    let area = buf.area;
    let mut out = String::new();
    for y in area.top()..area.bottom() {
        for x in area.left()..area.right() {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

#[test]
fn ctrl_p_switches_profile_outside_the_demo() {
    let mut app = app_with(VALID);
    let effects = update(&mut app, ctrl('p'));
    assert!(effects.is_empty(), "the demo has one profile");
    app.demo = false;
    let effects = update(&mut app, ctrl('p'));
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::SwitchProfile { current } if current == "demo"))
    );
    let mut work = crate::config::Profile::builtin();
    work.name = "work".into();
    let effects = update(&mut app, Msg::Profile(Ok(Box::new(work))));
    assert_eq!(app.profile.name, "work");
    assert!(effects.iter().any(|e| matches!(e, Effect::FetchModels)));
    assert!(effects.iter().any(|e| matches!(e, Effect::RunChecks(_))));
}

#[test]
fn looking_at_the_checklist_clears_its_highlight() {
    let mut app = app_with(VALID);
    let ex = exchange(1, "m", Some(401));
    started(&mut app, &ex);
    update(&mut app, Msg::engine(Event::Failed(Box::new(ex))));
    assert!(app.checklist.attention());
    update(&mut app, key(KeyCode::Char('5')));
    assert!(!app.checklist.attention());
}

#[test]
fn a_retried_failure_is_not_the_end_of_the_exchange() {
    let mut app = app_with(VALID);
    let first = exchange(1, "m", Some(429));
    started(&mut app, &first);
    update(
        &mut app,
        Msg::engine(Event::Retrying {
            id: first.id.clone(),
            next_attempt: 2,
            wait: std::time::Duration::from_millis(500),
        }),
    );
    let effects = update(
        &mut app,
        Msg::engine(Event::Failed(Box::new(first.clone()))),
    );
    assert!(app.in_flight.contains_key(&first.id), "still cancellable");
    assert!(!effects.iter().any(|e| matches!(e, Effect::RunChecks(_))));
    assert_eq!(app.history.selected_row().unwrap().outcome, "retrying");
    let effects = update(&mut app, key(KeyCode::Char('x')));
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Cancel(id) if *id == first.id))
    );

    let mut second = exchange(2, "m", Some(200));
    second.attempt = 2;
    second.retry_of = Some(first.id.clone());
    update(
        &mut app,
        Msg::engine(Event::Started {
            id: second.id.clone(),
            request: second.request.clone(),
            attempt: 2,
            retry_of: Some(first.id.clone()),
            source: Default::default(),
            client: None,
        }),
    );
    assert_eq!(app.in_flight.len(), 1);
    assert_eq!(
        app.response.shown(),
        Some(&second.id),
        "the viewer follows the retry"
    );
    update(&mut app, Msg::engine(Event::Finished(Box::new(second))));
    assert!(app.in_flight.is_empty());
}

#[test]
fn a_too_small_terminal_only_lets_you_quit() {
    let mut app = app_with(VALID);
    draw(&mut app, 60, 20);
    assert!(app.too_small);
    assert!(update(&mut app, ctrl('s')).is_empty());
    assert!(update(&mut app, key(KeyCode::Enter)).is_empty());
    assert!(!app.composer.is_editing());
    let effects = update(&mut app, key(KeyCode::Char('q')));
    assert!(effects.iter().any(|e| matches!(e, Effect::Quit)));
}

#[test]
fn d_explains_the_selected_failure_in_an_overlay() {
    let mut app = app_with(VALID);
    let ex = exchange(1, "claude-sonnet-4-6", Some(429));
    started(&mut app, &ex);
    update(&mut app, Msg::engine(Event::Failed(Box::new(ex))));
    update(&mut app, key(KeyCode::Char('3')));
    update(&mut app, key(KeyCode::Char('d')));
    assert!(matches!(app.overlay, Some(Overlay::Diagnosis { .. })));
    let screen = buffer_text(&draw(&mut app, 120, 36));
    assert!(screen.contains("Diagnosis"), "{screen}");
    assert!(screen.contains("429"), "{screen}");
    assert!(!screen.contains(TEST_KEY));
    update(&mut app, key(KeyCode::Char('j')));
    update(&mut app, key(KeyCode::Esc));
    assert!(app.overlay.is_none());
}

/// The dashboard with a tap beside it, as `--tap` starts it.
fn tapped_app() -> App {
    let mut app = app_with(VALID);
    app.tap = Some(crate::tui::app::TapStatus {
        address: "127.0.0.1:4748".into(),
        seen: 0,
        follow: true,
    });
    app.history =
        crate::tui::panes::history::HistoryPane::new(at(0), FixedOffset::east_opt(0).unwrap())
            .without_store();
    app
}

/// Turn `n` of a Claude Code session, seen by the tap.
fn tapped_turn(n: i64, messages: usize) -> crate::exchange::Exchange {
    let mut ex = crate::test_support::tapped(n, "claude-opus-4-8", Some(200));
    let turns: Vec<serde_json::Value> = (0..messages)
        .map(|i| {
            let role = if i % 2 == 0 { "user" } else { "assistant" };
            serde_json::json!({"role": role, "content": format!("turn {i}")})
        })
        .collect();
    ex.request.body =
        serde_json::json!({"model": "claude-opus-4-8", "max_tokens": 64000, "messages": turns})
            .to_string();
    ex
}

fn tap_started(app: &mut App, ex: &crate::exchange::Exchange) {
    update(
        app,
        Msg::engine(crate::engine::Event::Started {
            id: ex.id.clone(),
            request: ex.request.clone(),
            attempt: 1,
            retry_of: None,
            source: ex.source,
            client: ex.client.clone(),
        }),
    );
}

#[test]
fn tapped_traffic_is_counted_followed_and_named_by_its_client() {
    let mut app = tapped_app();
    let first = tapped_turn(1, 1);
    tap_started(&mut app, &first);
    assert_eq!(app.tap.as_ref().unwrap().seen, 1);
    assert_eq!(app.response.shown(), Some(&first.id), "followed live");
    let row = app.history.row(0).unwrap();
    assert_eq!(row.client.as_deref(), Some("claude-cli/2.1.197"));
    assert_eq!(row.outcome, "in-flight");
    update(
        &mut app,
        Msg::engine(crate::engine::Event::Finished(Box::new(first.clone()))),
    );
    assert_eq!(app.history.row(0).unwrap().outcome, "ok");
    // Showing one on purpose stops following, so new traffic leaves it be.
    app.focus = Focus::History;
    update(&mut app, key(KeyCode::Enter));
    assert!(!app.tap.as_ref().unwrap().follow);
    let second = tapped_turn(2, 3);
    tap_started(&mut app, &second);
    assert_eq!(app.response.shown(), Some(&first.id));
    assert_eq!(app.tap.as_ref().unwrap().seen, 2);
    // f follows again.
    update(&mut app, key(KeyCode::Char('f')));
    assert!(app.tap.as_ref().unwrap().follow);
    let third = tapped_turn(3, 5);
    tap_started(&mut app, &third);
    assert_eq!(app.response.shown(), Some(&third.id));
}

#[test]
fn capital_d_compares_a_turn_with_the_one_before_it_or_the_marked_one() {
    let mut app = tapped_app();
    let turns = [tapped_turn(1, 1), tapped_turn(2, 3), tapped_turn(3, 5)];
    for turn in &turns {
        tap_started(&mut app, turn);
        update(
            &mut app,
            Msg::engine(crate::engine::Event::Finished(Box::new(turn.clone()))),
        );
    }
    app.focus = Focus::History;
    // The newest is selected: compared with the turn before it.
    let effects = update(&mut app, key(KeyCode::Char('D')));
    assert!(effects.is_empty(), "both were in memory");
    let Some(Overlay::Diff { diff, .. }) = &app.overlay else {
        panic!("no comparison shown");
    };
    assert_eq!((&diff.from, &diff.to), (&turns[1].id, &turns[2].id));
    let conversation = diff.conversation.as_ref().unwrap();
    assert_eq!((conversation.kept, conversation.added.len()), (3, 2));
    let screen = draw(&mut app, 120, 36);
    let text: String = (0..36)
        .map(|y| {
            (0..120)
                .map(|x| buf_symbol(&screen, x, y))
                .collect::<String>()
                + "\n"
        })
        .collect();
    assert!(text.contains("Compare"), "{text}");
    assert!(
        text.contains("conversation: 3 → 5 messages (3 kept, 2 added)"),
        "{text}"
    );
    update(&mut app, key(KeyCode::Esc));
    assert!(app.overlay.is_none());
    // m marks the oldest; D on the newest compares with it.
    update(&mut app, key(KeyCode::Char('G')));
    update(&mut app, key(KeyCode::Char('m')));
    assert_eq!(app.marked.as_ref(), Some(&turns[0].id));
    update(&mut app, key(KeyCode::Char('g')));
    update(&mut app, key(KeyCode::Char('D')));
    let Some(Overlay::Diff { diff, .. }) = &app.overlay else {
        panic!("no comparison shown");
    };
    assert_eq!(diff.from, turns[0].id);
}

#[test]
fn an_exchange_not_in_memory_is_compared_by_the_store() {
    let mut app = tapped_app();
    app.history
        .page_loaded(0, 0, vec![tapped_turn(1, 1).summary()]);
    app.history.count_loaded(0, 1);
    app.focus = Focus::History;
    let effects = update(&mut app, key(KeyCode::Char('D')));
    assert!(
        effects.iter().any(
            |e| matches!(e, Effect::Compare { from: None, to } if to.as_str() == "ex_test_0001")
        ),
        "{effects:?}"
    );
    update(
        &mut app,
        Msg::Compared(Err("nothing came before it".into())),
    );
    assert!(app.overlay.is_none());
}

#[test]
fn f_without_a_tap_says_how_to_get_one() {
    let mut app = app_with(VALID);
    update(&mut app, key(KeyCode::Char('f')));
    let message = app.message.as_ref().unwrap();
    assert!(message.text.contains("--tap"), "{}", message.text);
}

fn buf_symbol(buf: &Buffer, x: u16, y: u16) -> String {
    buf[(x, y)].symbol().to_owned()
}
