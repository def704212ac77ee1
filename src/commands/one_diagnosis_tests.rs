//! One diagnosis, everywhere: for every failure class, what `send` prints,
//! what the dashboard's Response pane, status bar, checklist and `d`
//! overlay show, and what `history diagnose` and `claudetui doctor` print
//! all carry the same explanation and fix, the output of
//! [`crate::doctor::diagnose::diagnose`] for that exchange.

use chrono::FixedOffset;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::api::errors::{Failure, FailureKind};
use crate::doctor::diagnose::diagnose;
use crate::engine::Event;
use crate::exchange::{Exchange, Outcome};
use crate::test_support::{at, exchange};
use crate::tui::app::{App, Msg};
use crate::tui::keymap::Keymap;
use crate::tui::panes::PaneContext;
use crate::tui::panes::composer::ComposerPane;
use crate::tui::panes::response::ResponsePane;
use crate::tui::theme::{ColorMode, Theme};

/// An exchange that failed with `kind`, as the engine would record it.
fn failed(kind: FailureKind) -> Exchange {
    let status = match kind {
        FailureKind::BadRequest => Some(400),
        FailureKind::Billing => Some(400),
        FailureKind::Authentication => Some(401),
        FailureKind::Permission | FailureKind::RegionBlocked => Some(403),
        FailureKind::ModelNotFound | FailureKind::PathNotFound => Some(404),
        FailureKind::RequestTooLarge => Some(413),
        FailureKind::RateLimited => Some(429),
        FailureKind::Overloaded => Some(529),
        FailureKind::ServerError => Some(500),
        FailureKind::ServerTimeout => Some(504),
        FailureKind::UnexpectedStatus => Some(405),
        FailureKind::MalformedResponse => Some(200),
        _ => None,
    };
    let mut ex = exchange(1, "claude-sonnet-4-6", status.or(Some(200)));
    if status.is_none() {
        ex.response = None;
    }
    let message = match kind {
        FailureKind::BadRequest => "temperature: Input should be less than or equal to 1",
        FailureKind::Billing => {
            "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits."
        }
        FailureKind::ModelNotFound => "model: claude-3-opus-2024",
        _ => "the server said no",
    };
    ex.outcome = Outcome::Failed(Failure {
        status,
        ..Failure::transport(kind, message)
    });
    ex
}

/// The Response pane showing `ex`, drawn wide enough that no line wraps.
fn pane_text(ex: &Exchange) -> String {
    let mut pane = ResponsePane::new();
    pane.show(ex);
    let theme = Theme::new(ColorMode::None);
    let ctx = PaneContext {
        theme: &theme,
        focused: true,
        now: at(0),
    };
    let mut terminal = Terminal::new(TestBackend::new(500, 60)).unwrap();
    terminal
        .draw(|f| pane.render(f.area(), f.buffer_mut(), &ctx))
        .unwrap();
    buffer_text(terminal.backend().buffer())
}

/// The dashboard after the exchange failed: its status bar, its checklist
/// pane and its `d` overlay, as text.
fn dashboard_texts(ex: &Exchange) -> (String, String, String) {
    let app = failed_app(ex);
    let status = app
        .message
        .as_ref()
        .map(|m| m.text.clone())
        .unwrap_or_default();
    let theme = Theme::new(ColorMode::None);
    let ctx = PaneContext {
        theme: &theme,
        focused: true,
        now: at(0),
    };
    let mut checklist = app.checklist;
    let mut terminal = Terminal::new(TestBackend::new(1000, 30)).unwrap();
    terminal
        .draw(|f| checklist.render(f.area(), f.buffer_mut(), &ctx))
        .unwrap();
    let overlay = crate::tui::panes::diagnosis::lines(&diagnose(ex), 1000, &ctx)
        .iter()
        .map(|line| line.to_string())
        .collect::<Vec<_>>()
        .join("\n");
    (status, buffer_text(terminal.backend().buffer()), overlay)
}

fn buffer_text(buffer: &ratatui::buffer::Buffer) -> String {
    (0..buffer.area.height)
        .map(|y| {
            (0..buffer.area.width)
                .map(|x| buffer[(x, y)].symbol())
                .collect::<String>()
                .trim_end()
                .to_owned()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `claudetui doctor`'s report of the same exchange as the latest failure.
fn doctor_text(ex: &Exchange) -> String {
    super::doctor::LatestFailure::of(ex).to_text()
}

/// The dashboard right after the exchange failed.
fn failed_app(ex: &Exchange) -> App {
    let mut app = App::new(
        super::dashboard::demo_profile("http://127.0.0.1:9"),
        true,
        Keymap::default(),
        Theme::new(ColorMode::None),
        ComposerPane::new("{}", "test"),
        at(0),
        FixedOffset::east_opt(0).unwrap(),
    );
    crate::tui::update::update(&mut app, Msg::engine(Event::Failed(Box::new(ex.clone()))));
    app
}

#[test]
fn every_failure_class_is_explained_the_same_everywhere() {
    for kind in FailureKind::ALL {
        let ex = failed(kind);
        let diagnosis = diagnose(&ex);
        let send = super::send::failure_lines(&ex).join("\n");
        let pane = pane_text(&ex);
        let (status, checklist, overlay) = dashboard_texts(&ex);
        let history = diagnosis.to_text();
        let doctor = doctor_text(&ex);
        for (place, text) in [
            ("send", &send),
            ("the Response pane", &pane),
            ("history diagnose", &history),
            ("the d overlay", &overlay),
            ("claudetui doctor", &doctor),
        ] {
            assert!(
                text.contains(&diagnosis.fix),
                "{kind:?}: {place} does not show the diagnosis's fix `{}`:\n{text}",
                diagnosis.fix
            );
            for line in &diagnosis.explanation {
                assert!(
                    text.contains(line.as_str()),
                    "{kind:?}: {place} does not show `{line}`:\n{text}"
                );
            }
        }
        assert!(
            pane.contains(&diagnosis.headline),
            "{kind:?}: the pane's headline differs:\n{pane}"
        );
        assert!(
            status.contains(&diagnosis.fix),
            "{kind:?}: the status bar's fix differs: {status}"
        );
        // The checklist has a line for each: the headline and the fix.
        for (what, words) in [("headline", &diagnosis.headline), ("fix", &diagnosis.fix)] {
            assert!(
                checklist.contains(words.as_str()),
                "{kind:?}: the checklist's {what} differs:\n{checklist}"
            );
        }
    }
}
