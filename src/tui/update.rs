//! `update(app, msg) -> effects`: the one place the dashboard's state
//! changes. No I/O happens here, so every behaviour is testable with
//! messages in and state out.

use compact_str::CompactString;
use crossterm::event::{KeyEvent, MouseEvent, MouseEventKind};

use super::app::{App, Effect, Focus, InFlight, Msg, Overlay, PendingSend, Purpose};
use super::keymap::Action;
use super::panes::history::{HistoryIntent, Row};
use super::panes::status_bar::Tone;
use crate::api::lint::Problem;
use crate::doctor::{self, StepId};
use crate::engine::{Event, OutgoingRequest};
use crate::exchange::{Exchange, ExchangeId, Outcome};

/// What the dashboard does first: list models, run the checks, count the
/// stored history.
pub fn startup(app: &mut App) -> Vec<Effect> {
    let mut effects = vec![
        Effect::FetchModels,
        Effect::RunChecks(doctor::implemented().to_vec()),
    ];
    effects.push(Effect::CountHistory {
        generation: app.history.generation(),
        query: app.history.query(),
    });
    effects
}

pub fn update(app: &mut App, msg: Msg) -> Vec<Effect> {
    let mut effects = Vec::new();
    match msg {
        Msg::Key(key) => on_key(app, key, &mut effects),
        Msg::Mouse(_) if app.overlay.is_some() || app.too_small => {}
        Msg::Mouse(mouse) => on_mouse(app, mouse),
        // A paste under an overlay would change what the overlay is about.
        Msg::Paste(_) if app.overlay.is_some() => {}
        Msg::Paste(text) => on_paste(app, &text, &mut effects),
        Msg::Resize(..) => {}
        Msg::Tick(now) => {
            app.now = now;
            // At most one save a second, and only after a change.
            if app.composer.revision() != app.saved_revision {
                app.saved_revision = app.composer.revision();
                effects.push(Effect::SaveDraft(app.composer.draft()));
            }
        }
        Msg::Engine(event) => on_engine(app, *event, &mut effects),
        Msg::Models(Ok(ids)) => app.composer.set_models(ids),
        Msg::Models(Err(why)) => app.tell(Tone::Warn, format!("model list unavailable: {why}")),
        Msg::Check(report) => app.checklist.apply(report),
        Msg::HistoryCount { generation, result } => match result {
            Ok(total) => app.history.count_loaded(generation, total),
            Err(why) => app.history.store_failed(why),
        },
        Msg::HistoryPage {
            generation,
            page,
            result,
        } => match result {
            Ok(rows) => app.history.page_loaded(generation, page, rows),
            Err(why) => app.history.store_failed(why),
        },
        Msg::Loaded {
            purpose,
            id,
            result,
        } => match result {
            Ok(Some(exchange)) => act_on(app, purpose, &exchange, &mut effects),
            Ok(None) => app.tell(Tone::Error, format!("{id} is no longer in the history")),
            Err(why) => app.tell(Tone::Error, format!("could not read {id}: {why}")),
        },
        Msg::Profile(Ok(profile)) => {
            app.tell(Tone::Info, format!("switched to profile {}", profile.name));
            app.profile = *profile;
            // Another key, another set of limits.
            app.limits = super::panes::rate_limits::RateLimitsPane::new();
            app.composer.set_profile_headers(
                Some(app.profile.anthropic_version.value.clone()),
                app.profile.anthropic_beta.clone(),
            );
            effects.push(Effect::FetchModels);
            effects.push(Effect::RunChecks(doctor::implemented().to_vec()));
        }
        Msg::Profile(Err(why)) => app.tell(Tone::Error, why),
        Msg::Compared(Ok(diff)) => app.overlay = Some(Overlay::Diff { diff, scroll: 0 }),
        Msg::Compared(Err(why)) => app.tell(Tone::Warn, why),
        Msg::DraftNotSaved(why) => {
            app.saved_revision = u64::MAX;
            app.tell(Tone::Error, format!("the draft could not be saved: {why}"));
        }
        Msg::Terminate => quit(app, &mut effects),
    }
    effects.extend(app.history.wanted_pages().into_iter().map(Effect::LoadPage));
    effects
}

fn quit(app: &mut App, effects: &mut Vec<Effect>) {
    app.quitting = true;
    // What was typed since the last tick is kept too.
    effects.push(Effect::SaveDraft(app.composer.draft()));
    effects.push(Effect::Quit);
}

fn on_key(app: &mut App, key: KeyEvent, effects: &mut Vec<Effect>) {
    if app.keymap.is(Action::ForceQuit, &key) {
        return quit(app, effects);
    }
    if app.too_small {
        // The panes are not on screen; keys must not reach them unseen.
        let quit_key =
            app.keymap.is(Action::Quit, &key) || key.code == crossterm::event::KeyCode::Esc;
        if quit_key {
            quit(app, effects);
        }
        return;
    }
    if let Some(overlay) = app.overlay.take() {
        return on_overlay_key(app, overlay, key, effects);
    }
    if app.keymap.is(Action::Send, &key) {
        return send(app, effects);
    }
    if text_input(app, key, effects) {
        return;
    }
    if let Some(action) = app.keymap.action(app.focus.context(), &key) {
        on_action(app, action, effects);
    }
}

/// Keys for a prompt or the editor. True when one took the key.
fn text_input(app: &mut App, key: KeyEvent, effects: &mut Vec<Effect>) -> bool {
    match app.focus {
        Focus::Composer if app.composer.input_active() => {
            if app.composer.is_editing() && app.keymap.is(Action::StopEditing, &key) {
                app.composer.on_action(Action::StopEditing);
            } else if app.keymap.is(Action::OpenFile, &key) {
                app.composer.on_action(Action::OpenFile);
            } else {
                app.composer.on_input(key);
            }
            true
        }
        Focus::Response if app.response.input_active() => {
            app.response.on_input(key);
            true
        }
        Focus::History if app.history.input_active() => {
            if let Some(intent) = app.history.on_input(key) {
                on_history_intent(app, intent, effects);
            }
            true
        }
        _ => false,
    }
}

fn on_overlay_key(app: &mut App, overlay: Overlay, key: KeyEvent, effects: &mut Vec<Effect>) {
    use crossterm::event::KeyCode;
    match overlay {
        Overlay::Help { scroll } => {
            let close = matches!(key.code, KeyCode::Esc | KeyCode::Char('q'))
                || app.keymap.is(Action::Help, &key);
            let scroll = overlay_scroll(&key, scroll);
            if !close {
                app.overlay = Some(Overlay::Help { scroll });
            }
        }
        Overlay::Diagnosis { diagnosis, scroll } => {
            let close = matches!(key.code, KeyCode::Esc | KeyCode::Char('q' | 'd'));
            let scroll = overlay_scroll(&key, scroll);
            if !close {
                app.overlay = Some(Overlay::Diagnosis { diagnosis, scroll });
            }
        }
        Overlay::Diff { diff, scroll } => {
            let close = matches!(key.code, KeyCode::Esc | KeyCode::Char('q' | 'D'));
            let scroll = overlay_scroll(&key, scroll);
            if !close {
                app.overlay = Some(Overlay::Diff { diff, scroll });
            }
        }
        Overlay::Confirm(pending) => match key.code {
            KeyCode::Char('y' | 'Y') => {
                app.tell(Tone::Warn, "sent with lint errors, as you asked");
                dispatch(app, pending.request, effects);
            }
            KeyCode::Char('n' | 'N') | KeyCode::Esc => app.tell(
                Tone::Info,
                "not sent — fix the problems shown in the composer",
            ),
            _ => app.overlay = Some(Overlay::Confirm(pending)),
        },
    }
}

/// j/k and the page keys move a scrolled overlay (help, diagnosis).
fn overlay_scroll(key: &KeyEvent, scroll: u16) -> u16 {
    use crossterm::event::KeyCode;
    match key.code {
        KeyCode::Char('j') | KeyCode::Down => scroll.saturating_add(1),
        KeyCode::Char('k') | KeyCode::Up => scroll.saturating_sub(1),
        KeyCode::PageDown | KeyCode::Char(' ') => scroll.saturating_add(10),
        KeyCode::PageUp => scroll.saturating_sub(10),
        _ => scroll,
    }
}

fn on_action(app: &mut App, action: Action, effects: &mut Vec<Effect>) {
    match action {
        Action::Quit | Action::ForceQuit => quit(app, effects),
        Action::Help => app.overlay = Some(Overlay::Help { scroll: 0 }),
        Action::FocusNext => app.focus = app.focus.next(),
        Action::FocusPrev => app.focus = app.focus.prev(),
        Action::FocusComposer => app.focus = Focus::Composer,
        Action::FocusResponse => app.focus = Focus::Response,
        Action::FocusHistory => app.focus = Focus::History,
        Action::FocusRateLimits => app.focus = Focus::RateLimits,
        Action::FocusChecklist => app.focus = Focus::Checklist,
        Action::NextProfile if app.demo => app.tell(
            Tone::Info,
            "the demo has one profile; run claudetui without --demo for yours",
        ),
        Action::NextProfile => effects.push(Effect::SwitchProfile {
            current: app.profile.name.clone(),
        }),
        Action::Send => send(app, effects),
        Action::Cancel => cancel(app, effects),
        Action::Follow => follow(app),
        _ => on_pane_action(app, action, effects),
    }
    // Looking at the checklist is what its highlight asked for.
    if app.focus == Focus::Checklist {
        app.checklist.set_attention(false);
    }
}

/// `f`: the response viewer follows each new tapped exchange, or stops.
fn follow(app: &mut App) {
    let Some(tap) = app.tap.as_mut() else {
        return app.tell(
            Tone::Info,
            "no tap here: start the dashboard with --tap to see what other programs send",
        );
    };
    tap.follow = !tap.follow;
    let text = if tap.follow {
        "following: each new tapped exchange shows in the response viewer"
    } else {
        "stopped following; f follows the tap again"
    };
    app.tell(Tone::Info, text);
}

fn on_pane_action(app: &mut App, action: Action, effects: &mut Vec<Effect>) {
    match app.focus {
        Focus::Composer => app.composer.on_action(action),
        Focus::Response => app.response.on_action(action),
        Focus::History => {
            if let Some(intent) = app.history.on_action(action) {
                on_history_intent(app, intent, effects);
            }
        }
        Focus::RateLimits => app.limits.on_action(action),
        Focus::Checklist => {
            if let Some(steps) = app.checklist.on_action(action) {
                effects.push(Effect::RunChecks(steps));
            }
        }
    }
}

fn on_mouse(app: &mut App, mouse: MouseEvent) {
    let Some(pane) = app.areas.pane_at(mouse.column, mouse.row) else {
        return;
    };
    let delta = match mouse.kind {
        MouseEventKind::ScrollDown => 3,
        MouseEventKind::ScrollUp => -3,
        MouseEventKind::Down(_) => {
            app.focus = pane;
            if pane == Focus::Checklist {
                app.checklist.set_attention(false);
            }
            if pane == Focus::History {
                app.history.click(mouse.column, mouse.row);
            }
            return;
        }
        _ => return,
    };
    match pane {
        Focus::History => app.history.scroll_by(delta),
        Focus::Response => app.response.scroll_by(delta as i32),
        Focus::RateLimits => app.limits.on_action(if delta > 0 {
            Action::LimitsScrollDown
        } else {
            Action::LimitsScrollUp
        }),
        Focus::Checklist => app
            .checklist
            .on_action(if delta > 0 {
                Action::StepDown
            } else {
                Action::StepUp
            })
            .map_or((), |_| ()),
        Focus::Composer => {}
    }
}

fn on_paste(app: &mut App, text: &str, effects: &mut Vec<Effect>) {
    match app.focus {
        Focus::Composer => {
            if !app.composer.input_active() {
                app.composer.on_action(Action::Edit);
            }
            app.composer.on_paste(text);
        }
        Focus::History if app.history.input_active() => {
            let mut refilter = None;
            for c in text.chars().filter(|c| !c.is_control()) {
                let key = KeyEvent::from(crossterm::event::KeyCode::Char(c));
                refilter = app.history.on_input(key).or(refilter);
            }
            if let Some(intent) = refilter {
                on_history_intent(app, intent, effects);
            }
        }
        _ => {}
    }
}

/// Builds the composer's request; asks first when lint found errors.
fn send(app: &mut App, effects: &mut Vec<Effect>) {
    let body = app.composer.body();
    let mut request = match OutgoingRequest::for_profile(&app.profile, "POST", "/v1/messages", body)
    {
        Ok(request) => request,
        Err(error) => return app.tell(Tone::Error, format!("not sent: {error}")),
    };
    for header in app.composer.extra_headers() {
        request.set_header(&header.name, &header.value);
    }
    if let Err(error) = request.check() {
        return app.tell(Tone::Error, format!("not sent: {error}"));
    }
    if app.composer.has_errors() {
        let problems = app.composer.problems();
        app.overlay = Some(Overlay::Confirm(PendingSend {
            request: Box::new(request),
            problems: problem_lines(&problems),
        }));
        return;
    }
    dispatch(app, Box::new(request), effects);
}

fn problem_lines(problems: &[Problem]) -> Vec<String> {
    problems
        .iter()
        .filter(|p| p.is_error())
        .map(|p| p.api_message())
        .collect()
}

fn dispatch(app: &mut App, request: Box<OutgoingRequest>, effects: &mut Vec<Effect>) {
    let id = ExchangeId::new();
    app.tell(Tone::Info, format!("sending {id}…"));
    effects.push(Effect::Send { id, request });
}

fn cancel(app: &mut App, effects: &mut Vec<Effect>) {
    let ours = |id: &ExchangeId| app.in_flight.get(id).is_some_and(|f| !f.tapped);
    let shown = app.response.shown().filter(|id| ours(id)).cloned();
    if shown.is_none()
        && let Some(id) = app
            .response
            .shown()
            .filter(|id| app.in_flight.contains_key(*id))
    {
        return app.tell(
            Tone::Info,
            format!("{id} is another program's request (seen by the tap); it cannot be cancelled from here"),
        );
    }
    let newest = || app.in_flight.keys().filter(|id| ours(id)).max().cloned();
    match shown.or_else(newest) {
        Some(id) => effects.push(Effect::Cancel(id)),
        None => app.tell(Tone::Info, "nothing in flight to cancel"),
    }
}

fn on_engine(app: &mut App, event: Event, effects: &mut Vec<Effect>) {
    match event {
        Event::Started {
            id,
            request,
            attempt,
            retry_of,
            source,
            client,
        } => {
            // A retry takes over its first attempt's place in flight; the
            // viewer follows it when it was showing that exchange. What the
            // tap sees is followed while the user has not asked otherwise.
            let follow = match (&retry_of, source) {
                (Some(first), _) => {
                    app.in_flight.remove(first);
                    app.response.shown().is_none_or(|shown| shown == first)
                }
                // Another program's traffic (the tap; the recording mock
                // does not feed the dashboard, but would count the same).
                (None, crate::exchange::Source::Tap | crate::exchange::Source::Mock) => {
                    let tap = app.tap.as_mut();
                    let follow = tap.as_ref().is_none_or(|t| t.follow);
                    if let Some(tap) = tap {
                        tap.seen += 1;
                    }
                    follow
                }
                (None, crate::exchange::Source::Claudetui) => true,
            };
            let tapped = source != crate::exchange::Source::Claudetui;
            app.in_flight
                .insert(id.clone(), InFlight { attempt, tapped });
            let label = client
                .as_ref()
                .and_then(crate::exchange::Client::label)
                .map(CompactString::from);
            let model = request
                .json()
                .and_then(|b| b.get("model").and_then(|m| m.as_str()).map(Into::into));
            app.history.started(Row {
                id: id.clone(),
                started_at: app.now,
                profile: app.profile.name.as_str().into(),
                method: request.method.as_str().into(),
                path: request.path().into(),
                model,
                status: None,
                outcome: "in-flight".into(),
                total_ms: None,
                input_tokens: None,
                output_tokens: None,
                attempt,
                source,
                client: label.clone(),
            });
            if follow {
                let from = tapped
                    .then(|| label.map_or_else(|| "another program".to_owned(), |l| l.to_string()));
                app.response.begin_from(&id, &request, app.now, from);
            }
        }
        Event::Headers {
            id,
            status,
            headers,
            rate_limits,
        } => {
            app.response.on_headers(&id, status, &headers);
            app.limits.record_snapshot(&rate_limits, app.now);
        }
        Event::StreamDelta { id, at_ms, event } => app.response.on_delta(&id, at_ms, &event),
        Event::Retrying {
            id,
            next_attempt,
            wait,
        } => {
            app.retrying.insert(id.clone());
            app.history.set_outcome(&id, "retrying");
            app.tell(
                Tone::Warn,
                format!(
                    "retrying in {:.1} s (attempt {next_attempt})",
                    wait.as_secs_f64()
                ),
            );
        }
        Event::Finished(exchange) | Event::Failed(exchange) | Event::Cancelled(exchange) => {
            finished(app, *exchange, effects)
        }
        Event::StoreFailed(why) => app.tell(Tone::Error, format!("history not saved: {why}")),
    }
}

fn finished(app: &mut App, exchange: Exchange, effects: &mut Vec<Effect>) {
    let will_retry = app.retrying.remove(&exchange.id);
    app.history.finished(exchange.summary());
    app.response.finish(&exchange);
    app.limits.record_exchange(&exchange);
    if will_retry {
        // Not the end: the exchange stays in flight (and cancellable under
        // this id) until the next attempt starts.
        app.history.set_outcome(&exchange.id, "retrying");
        app.remember(exchange);
        return;
    }
    app.in_flight.remove(&exchange.id);
    app.checklist.set_latest(&exchange);
    match &exchange.outcome {
        Outcome::Ok => app.tell(Tone::Info, done_line(&exchange)),
        Outcome::Cancelled => app.tell(Tone::Warn, format!("{} cancelled", exchange.id)),
        Outcome::Failed(failure) => {
            app.tell(Tone::Error, failure_line(&exchange));
            recheck(app, failure.kind, effects);
        }
    }
    app.remember(exchange);
}

/// Re-runs the checklist steps a failure of `kind` points at, and draws
/// the user's eye to the checklist.
fn recheck(app: &mut App, kind: crate::api::errors::FailureKind, effects: &mut Vec<Effect>) {
    let steps: Vec<StepId> = doctor::steps_for_failure(kind);
    if !steps.is_empty() {
        app.checklist.set_attention(true);
        effects.push(Effect::RunChecks(steps));
    }
}

fn done_line(exchange: &Exchange) -> String {
    let status = exchange.status().map_or(String::new(), |s| s.to_string());
    let tokens = exchange.usage.as_ref().map_or(String::new(), |u| {
        format!(" · {}→{} tokens", u.input_tokens, u.output_tokens)
    });
    format!(
        "{status} ok in {}{tokens}",
        super::format::format_latency(exchange.timing.total_ms)
    )
}

/// `400 bad-request: messages.0.content: … — fix: …` in one line: the
/// server's own words (they name the field), then what to do.
fn failure_line(exchange: &Exchange) -> String {
    let Some(failure) = exchange.outcome.failure() else {
        return String::new();
    };
    let status = failure.status.map_or(String::new(), |s| format!("{s} "));
    let stage = if failure.mid_stream {
        " mid-stream"
    } else {
        ""
    };
    format!(
        "{status}{}{stage}: {} — fix: {}",
        failure.kind.slug(),
        crate::store::redact::redact_text(failure.message.trim()),
        crate::doctor::diagnose::fix_for(exchange)
    )
}

fn on_history_intent(app: &mut App, intent: HistoryIntent, effects: &mut Vec<Effect>) {
    let (purpose, id) = match intent {
        HistoryIntent::Refilter => {
            effects.push(Effect::CountHistory {
                generation: app.history.generation(),
                query: app.history.query(),
            });
            return;
        }
        HistoryIntent::Show(id) => (Purpose::Show, id),
        HistoryIntent::Replay(id) => (Purpose::Replay, id),
        HistoryIntent::LoadIntoComposer(id) => (Purpose::LoadIntoComposer, id),
        HistoryIntent::Diagnose(id) => (Purpose::Diagnose, id),
        HistoryIntent::CopyCurl(id) => (Purpose::CopyCurl, id),
        HistoryIntent::Mark(id) => {
            app.tell(
                Tone::Info,
                format!("marked {id}; D on another exchange compares it with this one"),
            );
            app.marked = Some(id);
            return;
        }
        HistoryIntent::Compare(to) => return compare(app, to, effects),
    };
    if purpose == Purpose::Show
        && let Some(tap) = app.tap.as_mut().filter(|t| t.follow)
    {
        // Looking at one on purpose: new traffic must not take it away.
        tap.follow = false;
        app.tell(Tone::Info, "stopped following the tap; f follows it again");
    }
    match app.recent(&id).cloned() {
        Some(exchange) => act_on(app, purpose, &exchange, effects),
        None if app.in_flight.contains_key(&id) => app.tell(
            Tone::Info,
            format!("{id} is still in flight; the response pane shows it when it ends"),
        ),
        None => effects.push(Effect::Load { purpose, id }),
    }
}

/// `D`: `to` against the marked exchange, or against the turn before it.
/// Done here when both are in memory; the store is asked otherwise.
fn compare(app: &mut App, to: ExchangeId, effects: &mut Vec<Effect>) {
    let from = app.marked.clone().filter(|marked| *marked != to);
    let Some(later) = app.recent(&to).cloned() else {
        return effects.push(Effect::Compare { from, to });
    };
    let earlier = match &from {
        Some(id) => app.recent(id).cloned(),
        None => {
            // Newest first, as the store would list them.
            let before: Vec<Exchange> = app
                .recent
                .iter()
                .rev()
                .filter(|e| e.started_at < later.started_at && same_client(e, &later))
                .cloned()
                .collect();
            crate::exchange::diff::previous_turn(&later, &before).cloned()
        }
    };
    match earlier {
        Some(earlier) => {
            app.overlay = Some(Overlay::Diff {
                diff: Box::new(crate::exchange::diff::diff(&earlier, &later)),
                scroll: 0,
            });
        }
        None => effects.push(Effect::Compare { from, to }),
    }
}

/// Two exchanges of one client session (or of one client without one).
fn same_client(a: &Exchange, b: &Exchange) -> bool {
    let (sa, sb) = (a.summary(), b.summary());
    match (&sa.session, &sb.session) {
        (Some(x), Some(y)) => x == y,
        _ => sa.source == sb.source && sa.client == sb.client,
    }
}

fn act_on(app: &mut App, purpose: Purpose, exchange: &Exchange, effects: &mut Vec<Effect>) {
    match purpose {
        Purpose::Show => app.response.show(exchange),
        Purpose::Replay => match OutgoingRequest::replay(&app.profile, &exchange.request) {
            Ok(request) => dispatch(app, Box::new(request), effects),
            Err(error) => app.tell(
                Tone::Error,
                format!("cannot replay {}: {error}", exchange.id),
            ),
        },
        Purpose::LoadIntoComposer => {
            let body = pretty(&exchange.request.body);
            app.composer
                .set_body(&body, &format!("exchange {}", exchange.id));
            let headers = extra_headers(app, &exchange.request);
            app.composer.set_extra_headers(&headers);
            app.focus = Focus::Composer;
            app.tell(
                Tone::Info,
                format!("loaded {} into the composer", exchange.id),
            );
        }
        Purpose::Diagnose => {
            app.response.show(exchange);
            app.checklist.set_latest(exchange);
            if let Some(failure) = exchange.outcome.failure() {
                recheck(app, failure.kind, effects);
            }
            app.overlay = Some(Overlay::Diagnosis {
                diagnosis: Box::new(crate::doctor::diagnose::diagnose(exchange)),
                scroll: 0,
            });
        }
        Purpose::CopyCurl => {
            effects.push(Effect::Copy(crate::store::export::to_curl(exchange)));
            app.tell(
                Tone::Info,
                "copied as curl (OSC 52); it reads the key from $ANTHROPIC_API_KEY",
            );
        }
    }
}

/// The recorded headers the profile would not send by itself.
fn extra_headers(
    app: &App,
    request: &crate::exchange::RecordedRequest,
) -> Vec<crate::api::types::Header> {
    OutgoingRequest::replayable_headers(request)
        .into_iter()
        .filter(|h| {
            let name = h.name.to_ascii_lowercase();
            match name.as_str() {
                "accept" | "content-type" => false,
                "anthropic-version" => h.value != app.profile.anthropic_version.value,
                _ => true,
            }
        })
        .collect()
}

/// The body re-indented for editing, or as it was when it is not JSON.
fn pretty(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| body.to_string())
}

#[cfg(test)]
mod tests;
