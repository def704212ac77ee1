//! The dashboard's state, the messages that change it and the effects it
//! asks for. `update` (in `update.rs`) is the only thing that changes an
//! [`App`]; the runtime carries out [`Effect`]s, which is where all I/O
//! happens, and feeds what comes back in as [`Msg`]s.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, FixedOffset, Utc};
use crossterm::event::{KeyEvent, MouseEvent};
use ratatui::layout::Rect;

use super::keymap::{Context, Keymap};
use super::panes::checklist::ChecklistPane;
use super::panes::composer::{ComposerPane, Draft};
use super::panes::history::{HistoryPane, PageRequest};
use super::panes::rate_limits::RateLimitsPane;
use super::panes::response::ResponsePane;
use super::panes::status_bar::{Message, Tone};
use super::theme::Theme;
use crate::config::Profile;
use crate::doctor::{StepId, StepReport};
use crate::engine::{Event, OutgoingRequest};
use crate::exchange::{Exchange, ExchangeId, ExchangeSummary};

/// The panes that can have the focus, in `Tab` order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Focus {
    Composer,
    Response,
    History,
    RateLimits,
    Checklist,
}

impl Focus {
    pub const ALL: [Focus; 5] = [
        Focus::Composer,
        Focus::Response,
        Focus::History,
        Focus::RateLimits,
        Focus::Checklist,
    ];

    pub fn context(self) -> Context {
        match self {
            Focus::Composer => Context::Composer,
            Focus::Response => Context::Response,
            Focus::History => Context::History,
            Focus::RateLimits => Context::RateLimits,
            Focus::Checklist => Context::Checklist,
        }
    }

    pub fn next(self) -> Focus {
        let i = Focus::ALL.iter().position(|f| *f == self).unwrap_or(0);
        Focus::ALL[(i + 1) % Focus::ALL.len()]
    }

    pub fn prev(self) -> Focus {
        let i = Focus::ALL.iter().position(|f| *f == self).unwrap_or(0);
        Focus::ALL[(i + Focus::ALL.len() - 1) % Focus::ALL.len()]
    }
}

/// What an exchange loaded from the store is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Show,
    Replay,
    LoadIntoComposer,
    Diagnose,
    CopyCurl,
}

/// Everything that can happen to the dashboard.
#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Paste(String),
    Resize(u16, u16),
    /// A second passed (countdowns tick; the draft may be saved).
    Tick(DateTime<Utc>),
    Engine(Box<Event>),
    /// `GET /v1/models` answered (the ids), or why it could not.
    Models(Result<Vec<String>, String>),
    Check(StepReport),
    /// How many stored exchanges match the filter of `generation`.
    HistoryCount {
        generation: u64,
        result: Result<usize, String>,
    },
    HistoryPage {
        generation: u64,
        page: usize,
        result: Result<Vec<ExchangeSummary>, String>,
    },
    /// An exchange read from the store for `purpose`.
    Loaded {
        purpose: Purpose,
        id: ExchangeId,
        result: Result<Option<Box<Exchange>>, String>,
    },
    /// The profile switched to, resolved.
    Profile(Result<Box<Profile>, String>),
    /// Two exchanges compared (`D`), or why they could not be.
    Compared(Result<Box<crate::exchange::diff::ExchangeDiff>, String>),
    /// Writing the draft failed; it is tried again on the next tick.
    DraftNotSaved(String),
    /// SIGTERM, SIGHUP, SIGINT: leave cleanly.
    Terminate,
}

impl Msg {
    pub fn engine(event: Event) -> Msg {
        Msg::Engine(Box::new(event))
    }
}

/// What `update` asks the runtime to do.
#[derive(Debug)]
pub enum Effect {
    Send {
        id: ExchangeId,
        request: Box<OutgoingRequest>,
    },
    Cancel(ExchangeId),
    /// Put text on the clipboard with OSC 52 (works over SSH).
    Copy(String),
    Load {
        purpose: Purpose,
        id: ExchangeId,
    },
    CountHistory {
        generation: u64,
        query: crate::store::ListQuery,
    },
    LoadPage(PageRequest),
    RunChecks(Vec<StepId>),
    /// Compare `to` with `from`, or with the turn before it when `from` is
    /// `None`, reading what is not in memory from the store.
    Compare {
        from: Option<ExchangeId>,
        to: ExchangeId,
    },
    FetchModels,
    /// Resolve the config file's next profile after `current`.
    SwitchProfile {
        current: String,
    },
    SaveDraft(Draft),
    Quit,
}

/// A request that failed lint, held until the user says send anyway.
#[derive(Debug)]
pub struct PendingSend {
    pub request: Box<OutgoingRequest>,
    /// The problems, one line each, as shown in the dialog.
    pub problems: Vec<String>,
}

#[derive(Debug)]
pub enum Overlay {
    Help {
        scroll: u16,
    },
    /// `d` on an exchange: what went wrong, in plain words.
    Diagnosis {
        diagnosis: Box<crate::doctor::diagnose::Diagnosis>,
        scroll: u16,
    },
    Confirm(PendingSend),
    /// `D`: what changed between two exchanges.
    Diff {
        diff: Box<crate::exchange::diff::ExchangeDiff>,
        scroll: u16,
    },
}

/// The tap running inside the dashboard (`--tap`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TapStatus {
    /// Where clients point `ANTHROPIC_BASE_URL` (`127.0.0.1:4748`).
    pub address: String,
    /// Requests it has seen this session.
    pub seen: u64,
    /// The response viewer follows each new tapped exchange.
    pub follow: bool,
}

/// An exchange this session started and that has not ended.
#[derive(Debug, Clone)]
pub struct InFlight {
    pub attempt: u32,
    /// Seen by the tap: another program's request, not ours to cancel.
    pub tapped: bool,
}

/// Screen areas of the last frame, for the mouse.
#[derive(Debug, Clone, Copy, Default)]
pub struct Areas {
    pub composer: Rect,
    pub response: Rect,
    pub history: Rect,
    pub rate_limits: Rect,
    pub checklist: Rect,
}

impl Areas {
    pub fn pane_at(&self, x: u16, y: u16) -> Option<Focus> {
        let hit = |r: Rect| x >= r.x && x < r.right() && y >= r.y && y < r.bottom();
        [
            (self.composer, Focus::Composer),
            (self.response, Focus::Response),
            (self.history, Focus::History),
            (self.rate_limits, Focus::RateLimits),
            (self.checklist, Focus::Checklist),
        ]
        .into_iter()
        .find(|(r, _)| hit(*r))
        .map(|(_, f)| f)
    }
}

/// The dashboard's whole state.
pub struct App {
    pub profile: Profile,
    pub demo: bool,
    pub keymap: Keymap,
    pub theme: Theme,
    pub focus: Focus,
    pub overlay: Option<Overlay>,
    pub composer: ComposerPane,
    pub response: ResponsePane,
    pub history: HistoryPane,
    pub limits: RateLimitsPane,
    pub checklist: ChecklistPane,
    pub in_flight: HashMap<ExchangeId, InFlight>,
    /// The tap, when the dashboard runs one.
    pub tap: Option<TapStatus>,
    /// The exchange `m` marked, for `D` to compare with.
    pub marked: Option<ExchangeId>,
    /// Attempts that failed and will be retried: their `Failed` is not
    /// the end of the exchange.
    pub retrying: HashSet<ExchangeId>,
    /// Full exchanges of this session, for show/replay without the store.
    pub recent: Vec<Exchange>,
    pub message: Option<Message>,
    /// When `message` was set.
    pub message_at: DateTime<Utc>,
    pub now: DateTime<Utc>,
    pub areas: Areas,
    /// The composer's revision when the draft was last saved.
    pub saved_revision: u64,
    /// The last frame was too small for the panes: only quitting works.
    pub too_small: bool,
    pub quitting: bool,
}

/// How long an error stays on the status bar against other news.
pub const ERROR_KEPT_SECS: i64 = 10;

/// How many finished exchanges are kept whole in memory.
pub const RECENT_KEPT: usize = 64;

impl App {
    pub fn new(
        profile: Profile,
        demo: bool,
        keymap: Keymap,
        theme: Theme,
        mut composer: ComposerPane,
        now: DateTime<Utc>,
        offset: FixedOffset,
    ) -> App {
        // Lint checks against the version that will be sent.
        composer.set_profile_headers(
            Some(profile.anthropic_version.value.clone()),
            profile.anthropic_beta.clone(),
        );
        let saved_revision = composer.revision();
        // Warnings from resolving the profile (a plain key in a readable
        // file, a shadowed setting) are the first thing to read.
        let message = profile.warnings.first().map(|w| Message {
            tone: Tone::Warn,
            text: w.clone(),
        });
        App {
            profile,
            demo,
            keymap,
            theme,
            focus: Focus::Composer,
            overlay: None,
            composer,
            response: ResponsePane::new(),
            history: HistoryPane::new(now, offset),
            limits: RateLimitsPane::new(),
            checklist: ChecklistPane::new(),
            in_flight: HashMap::new(),
            tap: None,
            marked: None,
            retrying: HashSet::new(),
            recent: Vec::new(),
            message,
            message_at: now,
            now,
            areas: Areas::default(),
            saved_revision,
            too_small: false,
            quitting: false,
        }
    }

    /// Puts a message on the status bar. An error stays for at least
    /// [`ERROR_KEPT_SECS`] against later news that is not an error, so the
    /// last error can be read.
    pub fn tell(&mut self, tone: Tone, text: impl Into<String>) {
        let error_showing = self.message.as_ref().is_some_and(|m| {
            m.tone == Tone::Error && (self.now - self.message_at).num_seconds() < ERROR_KEPT_SECS
        });
        if error_showing && tone != Tone::Error {
            return;
        }
        self.message = Some(Message {
            tone,
            text: text.into(),
        });
        self.message_at = self.now;
    }

    pub fn recent(&self, id: &ExchangeId) -> Option<&Exchange> {
        self.recent.iter().rev().find(|e| &e.id == id)
    }

    pub fn remember(&mut self, exchange: Exchange) {
        self.recent.retain(|e| e.id != exchange.id);
        self.recent.push(exchange);
        if self.recent.len() > RECENT_KEPT {
            self.recent.remove(0);
        }
    }
}
