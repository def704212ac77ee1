use chrono::FixedOffset;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::*;
use crate::tui::fixtures::{at, exchange};
use crate::tui::theme::{ColorMode, Theme};

fn utc() -> FixedOffset {
    FixedOffset::east_opt(0).unwrap()
}

fn pane_with(statuses: &[Option<u16>]) -> HistoryPane {
    let mut pane = HistoryPane::new(at(0), utc()).without_store();
    for (n, status) in statuses.iter().enumerate() {
        let ex = exchange(n as i64 + 1, "claude-sonnet-4-6", *status);
        pane.finished(ex.summary());
    }
    pane
}

fn draw(pane: &mut HistoryPane, width: u16, height: u16, focused: bool) -> Terminal<TestBackend> {
    let theme = Theme::new(ColorMode::Ansi16);
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|frame| {
            let ctx = PaneContext {
                theme: &theme,
                focused,
                now: at(60_000),
            };
            pane.render(frame.area(), frame.buffer_mut(), &ctx);
        })
        .unwrap();
    terminal
}

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

#[test]
fn filter_words_are_understood() {
    let f = HistoryFilter::parse("429 model:claude-haiku-4-5 timeout foo bar");
    assert_eq!(f.status, Some(429));
    assert_eq!(f.model.as_deref(), Some("claude-haiku-4-5"));
    assert_eq!(f.outcome.as_deref(), Some("timeout"));
    assert_eq!(f.text.as_deref(), Some("foo bar"));
    assert_eq!(HistoryFilter::parse("status:500").status, Some(500));
    assert_eq!(
        HistoryFilter::parse("outcome:ok").outcome.as_deref(),
        Some("ok")
    );
    assert_eq!(HistoryFilter::parse("42").text.as_deref(), Some("42"));
    assert!(HistoryFilter::parse("   ").is_empty());
}

#[test]
fn filter_query_is_bounded_by_the_session_start() {
    let query = HistoryFilter::parse("429").query(at(5));
    assert_eq!(query.status, Some(429));
    assert_eq!(query.before, Some(at(5)));
}

#[test]
fn newest_is_first_and_stays_selected() {
    let mut pane = pane_with(&[Some(200), Some(429)]);
    assert_eq!(pane.row(0).unwrap().status, Some(429));
    assert_eq!(pane.selected_index(), 0);
    pane.finished(exchange(9, "m", Some(500)).summary());
    assert_eq!(pane.selected_row().unwrap().status, Some(500));
}

#[test]
fn selection_stays_on_its_exchange_when_rows_arrive_above() {
    let mut pane = pane_with(&[Some(200), Some(429), Some(500)]);
    pane.on_action(Action::SelectDown);
    let chosen = pane.selected_row().unwrap().id.clone();
    pane.finished(exchange(9, "m", Some(200)).summary());
    assert_eq!(pane.selected_row().unwrap().id, chosen);
}

#[test]
fn in_flight_row_is_replaced_by_its_summary() {
    let mut pane = pane_with(&[]);
    let done = exchange(1, "claude-sonnet-4-6", Some(200));
    pane.started(Row {
        total_ms: None,
        status: None,
        outcome: "in-flight".into(),
        ..Row::from_summary(done.summary())
    });
    assert_eq!(pane.len(), 1);
    assert!(pane.selected_row().unwrap().total_ms.is_none());
    // Nothing to replay while it runs.
    assert_eq!(pane.on_action(Action::Replay), None);
    pane.finished(done.summary());
    assert_eq!(pane.len(), 1);
    assert_eq!(pane.selected_row().unwrap().status, Some(200));
    assert_eq!(
        pane.on_action(Action::Replay),
        Some(HistoryIntent::Replay(done.id.clone()))
    );
}

#[test]
fn actions_name_the_selected_exchange() {
    let mut pane = pane_with(&[Some(200), Some(400)]);
    let id = pane.selected_row().unwrap().id.clone();
    for (action, intent) in [
        (Action::Show, HistoryIntent::Show(id.clone())),
        (
            Action::LoadIntoComposer,
            HistoryIntent::LoadIntoComposer(id.clone()),
        ),
        (Action::Diagnose, HistoryIntent::Diagnose(id.clone())),
        (Action::CopyCurl, HistoryIntent::CopyCurl(id.clone())),
    ] {
        assert_eq!(pane.on_action(action), Some(intent));
    }
}

#[test]
fn typing_a_filter_narrows_live_rows_and_asks_for_a_refilter() {
    let mut pane = pane_with(&[Some(200), Some(429), Some(200)]);
    pane.on_action(Action::Filter);
    assert!(pane.input_active());
    let mut last = None;
    for c in "429".chars() {
        last = pane.on_input(key(c)).or(last);
    }
    assert_eq!(last, Some(HistoryIntent::Refilter));
    assert_eq!(pane.len(), 1);
    pane.on_input(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    assert!(!pane.input_active());
    assert_eq!(pane.filter().status, Some(429));
    pane.on_action(Action::Filter);
    pane.on_input(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE));
    assert_eq!(pane.len(), 3, "Esc clears the filter");
}

#[test]
fn stored_rows_are_read_in_pages_as_the_user_scrolls() {
    let mut pane = HistoryPane::new(at(0), utc());
    assert!(pane.wanted_pages().is_empty(), "nothing before the count");
    pane.count_loaded(0, 100_000);
    draw(&mut pane, 80, 12, true);
    let first = pane.wanted_pages();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].page, 0);
    assert_eq!(first[0].query.limit, Some(PAGE_SIZE));
    assert!(pane.wanted_pages().is_empty(), "asked once");
    assert!(pane.row(0).is_none());
    let rows: Vec<_> = (0..PAGE_SIZE as i64)
        .map(|n| exchange(n, "m", Some(200)).summary())
        .collect();
    pane.page_loaded(0, 0, rows);
    assert!(pane.row(0).is_some());
    pane.on_action(Action::SelectLast);
    let wanted = pane.wanted_pages();
    assert_eq!(wanted.last().unwrap().page, (100_000 - 1) / PAGE_SIZE);
    assert_eq!(wanted.last().unwrap().query.offset, 99_800);
}

#[test]
fn answers_for_an_old_filter_are_dropped() {
    let mut pane = HistoryPane::new(at(0), utc());
    pane.count_loaded(0, 10);
    pane.set_filter("500");
    pane.count_loaded(0, 10);
    pane.page_loaded(0, 0, vec![exchange(1, "m", Some(200)).summary()]);
    assert!(pane.is_empty(), "generation 0 answers are stale");
    pane.count_loaded(1, 1);
    assert_eq!(pane.len(), 1);
}

#[test]
fn mouse_click_selects_the_row_under_it() {
    let mut pane = pane_with(&[Some(200), Some(429), Some(500)]);
    draw(&mut pane, 80, 10, true);
    // Row 0 is at y=1 inside the border.
    assert!(pane.click(5, 3));
    assert_eq!(pane.selected_index(), 2);
    assert!(!pane.click(5, 0), "the border is no row");
}

#[test]
fn long_cells_are_cut_with_an_ellipsis() {
    assert_eq!(pad("claude-sonnet-4-5-20250929", 10), "claude-so…");
    assert_eq!(pad("ok", 4), "ok  ");
}

#[test]
fn renders_wide_and_narrow() {
    let mut pane = pane_with(&[Some(200), None, Some(429), Some(529)]);
    insta::assert_snapshot!("history_wide", draw(&mut pane, 100, 8, true).backend());
    insta::assert_snapshot!("history_narrow", draw(&mut pane, 36, 8, false).backend());
}

#[test]
fn renders_empty_loading_filtered_and_prompt() {
    let mut pane = HistoryPane::new(at(0), utc());
    insta::assert_snapshot!("history_loading", draw(&mut pane, 60, 5, true).backend());
    let mut pane = pane_with(&[]);
    insta::assert_snapshot!("history_empty", draw(&mut pane, 60, 5, true).backend());
    let mut pane = pane_with(&[Some(200), Some(429)]);
    pane.on_action(Action::Filter);
    for c in "429".chars() {
        pane.on_input(key(c));
    }
    insta::assert_snapshot!(
        "history_filter_prompt",
        draw(&mut pane, 60, 5, true).backend()
    );
}

#[test]
fn tiny_areas_do_not_panic() {
    let mut pane = pane_with(&[Some(200)]);
    for (w, h) in [(0, 0), (1, 1), (3, 3), (10, 2)] {
        draw(&mut pane, w.max(1), h.max(1), true);
    }
}
