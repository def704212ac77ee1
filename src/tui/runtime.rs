//! The event loop: terminal input, engine events, background answers and
//! a one-second tick go in as [`Msg`]s; `update` turns each into state and
//! [`Effect`]s, which are carried out here, off the UI's path (the engine
//! task, a store-reading thread, spawned tasks). Frames are drawn at most
//! every 16 ms, after every burst of messages has been applied, so a fast
//! stream costs one frame per 16 ms, not one per event.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{Local, Utc};
use crossterm::event::{Event as TermEvent, EventStream, KeyEventKind};
use futures_util::StreamExt;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::app::{App, Effect, Msg, Purpose};
use super::keymap::Keymap;
use super::panes::composer::{ComposerPane, Draft};
use super::panes::status_bar::Tone;
use super::terminal::{TerminalGuard, copy_osc52};
use super::theme::{ColorMode, Theme};
use super::{update, view};
use crate::config::{self, Env, Overrides, Paths, Profile};
use crate::doctor::{DoctorInput, StepReport};
use crate::engine::client::ClientSettings;
use crate::engine::{Command, Engine};
use crate::exchange::ExchangeId;
use crate::store::{ListQuery, Store};

const FRAME: Duration = Duration::from_millis(16);
/// How long one checklist step may take.
const CHECK_TIMEOUT: Duration = Duration::from_secs(10);
/// Messages applied before a frame is forced, so input stays responsive
/// under a flood of stream events.
const BURST: usize = 512;

/// Everything the dashboard needs, resolved by the caller.
pub struct Options {
    pub profile: Profile,
    pub demo: bool,
    pub keymap: Keymap,
    pub paths: Paths,
    pub env: Env,
    /// The command line's settings, kept when switching profiles.
    pub overrides: Overrides,
    /// The history database (a temporary one in demo mode); `None` runs
    /// without history.
    pub store_path: Option<PathBuf>,
    /// Where the composer's draft is kept.
    pub draft_path: PathBuf,
    /// What the composer starts with when there is no draft.
    pub sample: (String, String),
    pub retries: u32,
    /// The tap the dashboard shows (`--tap`): its address and its events.
    pub tap: Option<TapFeed>,
}

/// What the dashboard hears from a tap running beside it.
pub struct TapFeed {
    /// `127.0.0.1:4748`, for the header.
    pub address: String,
    pub events: mpsc::UnboundedReceiver<crate::engine::Event>,
}

/// The next event of the tap, or never when there is none.
async fn next_tapped(
    events: &mut Option<mpsc::UnboundedReceiver<crate::engine::Event>>,
) -> Option<crate::engine::Event> {
    match events {
        Some(events) => events.recv().await,
        None => std::future::pending().await,
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DashboardError {
    #[error(
        "cannot take over the terminal: {0}. Run claudetui in an interactive terminal (not through a pipe)"
    )]
    Terminal(#[source] std::io::Error),
    #[error("cannot start the request engine: {0}")]
    Engine(#[source] std::io::Error),
}

/// Runs the dashboard until the user quits. Call inside a tokio runtime.
pub async fn run(mut options: Options) -> Result<(), DashboardError> {
    let tap = options.tap.take();
    // Before the first frame: a SIGTERM from then on is a clean quit.
    let mut signals = Signals::new();
    let (store, recovery) = open_store(options.store_path.as_deref());
    let (engine, mut engine_events) = Engine::spawn(store).map_err(DashboardError::Engine)?;
    let (msg_tx, mut msg_rx) = mpsc::unbounded_channel::<Msg>();
    let reader = options
        .store_path
        .as_deref()
        .and_then(|path| StoreReader::spawn(path, msg_tx.clone()));
    let mut app = initial_app(&options);
    let mut tap_events = tap.map(|feed| {
        app.tap = Some(super::app::TapStatus {
            address: feed.address,
            seen: 0,
            follow: true,
        });
        feed.events
    });
    if reader.is_none() {
        app.history = super::panes::history::HistoryPane::new(app.now, *Local::now().offset())
            .without_store();
    }
    if let Some(recovery) = recovery {
        app.tell(Tone::Warn, recovery);
    }
    let guard = TerminalGuard::enter().map_err(DashboardError::Terminal)?;
    let mut terminal = Terminal::new(CrosstermBackend::new(std::io::stdout()))
        .map_err(DashboardError::Terminal)?;
    draw(&mut terminal, &mut app)?;
    let (check_tx, mut check_rx) = mpsc::unbounded_channel::<StepReport>();
    let drafts = DraftWriter::spawn(options.draft_path.clone(), msg_tx.clone());
    let services = Services {
        engine,
        reader,
        msg_tx,
        check_tx,
        paths: options.paths.clone(),
        env: options.env.clone(),
        overrides: options.overrides.clone(),
        drafts,
        retries: options.retries,
        demo: options.demo,
    };
    let startup = update::startup(&mut app);
    services.carry_out(startup, &mut app);
    let mut input = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut next_frame = Instant::now() + FRAME;
    let mut dirty = false;
    while !app.quitting {
        let msg = tokio::select! {
            Some(event) = input.next() => match event {
                Ok(event) => match from_terminal(event) {
                    Some(msg) => msg,
                    None => continue,
                },
                Err(_) => Msg::Terminate,
            },
            Some(event) = engine_events.recv() => Msg::Engine(Box::new(event)),
            Some(event) = next_tapped(&mut tap_events) => Msg::Engine(Box::new(event)),
            Some(msg) = msg_rx.recv() => msg,
            Some(report) = check_rx.recv() => Msg::Check(report),
            _ = tick.tick() => Msg::Tick(Utc::now()),
            _ = signals.next() => Msg::Terminate,
            _ = tokio::time::sleep_until(next_frame), if dirty => {
                frame(&services, &mut terminal, &mut app);
                dirty = false;
                next_frame = Instant::now() + FRAME;
                continue;
            }
        };
        apply(&services, &mut app, msg);
        // A burst (a fast stream) is applied before the next frame.
        for _ in 0..BURST {
            let tapped = || tap_events.as_mut().and_then(|rx| rx.try_recv().ok());
            let Some(event) = engine_events.try_recv().ok().or_else(tapped) else {
                break;
            };
            apply(&services, &mut app, Msg::Engine(Box::new(event)));
        }
        dirty = true;
        if Instant::now() >= next_frame {
            frame(&services, &mut terminal, &mut app);
            dirty = false;
            next_frame = Instant::now() + FRAME;
        }
    }
    // The terminal goes back first, so the user is not left looking at a
    // frozen screen while the last exchanges are written.
    drop(guard);
    services.engine.command(Command::CancelAll);
    let _ = tokio::time::timeout(Duration::from_secs(2), services.engine.flush()).await;
    services.drafts.finish().await;
    Ok(())
}

/// Draws a frame. A terminal that cannot be written to any more (it hung
/// up) ends the session the way quitting does, draft saved.
fn frame(services: &Services, terminal: &mut Term, app: &mut App) {
    if let Err(error) = draw(terminal, app) {
        tracing::warn!(%error, "the terminal cannot be drawn on; leaving");
        apply(services, app, Msg::Terminate);
    }
}

fn apply(services: &Services, app: &mut App, msg: Msg) {
    app.now = Utc::now();
    let effects = update::update(app, msg);
    services.carry_out(effects, app);
}

type Term = Terminal<CrosstermBackend<std::io::Stdout>>;

fn draw(terminal: &mut Term, app: &mut App) -> Result<(), DashboardError> {
    app.now = Utc::now();
    terminal
        .draw(|frame| view::view(app, frame))
        .map_err(DashboardError::Terminal)?;
    Ok(())
}

fn from_terminal(event: TermEvent) -> Option<Msg> {
    match event {
        // Key releases (kitty protocol, Windows) would double every key.
        TermEvent::Key(key) if key.kind != KeyEventKind::Release => Some(Msg::Key(key)),
        TermEvent::Mouse(mouse) => Some(Msg::Mouse(mouse)),
        TermEvent::Paste(text) => Some(Msg::Paste(text)),
        TermEvent::Resize(w, h) => Some(Msg::Resize(w, h)),
        _ => None,
    }
}

pub fn initial_app(options: &Options) -> App {
    let composer = match load_draft(&options.draft_path) {
        Some(draft) => ComposerPane::restore(draft),
        None => ComposerPane::new(&options.sample.1, &options.sample.0),
    };
    let theme = Theme::new(ColorMode::detect(|name| {
        options.env.get(name).map(str::to_owned)
    }));
    App::new(
        options.profile.clone(),
        options.demo,
        options.keymap.clone(),
        theme,
        composer,
        Utc::now(),
        *Local::now().offset(),
    )
}

fn open_store(path: Option<&std::path::Path>) -> (Option<Store>, Option<String>) {
    let Some(path) = path else {
        return (None, None);
    };
    match Store::open(path) {
        Ok((store, recovery)) => {
            // The writer lives as long as the dashboard; see `without_mmap`.
            let _ = store.without_mmap();
            (Some(store), recovery.map(|r| r.to_string()))
        }
        Err(error) => (
            None,
            Some(format!("history is off for this session: {error}")),
        ),
    }
}

fn load_draft(path: &std::path::Path) -> Option<Draft> {
    let text = std::fs::read_to_string(path).ok()?;
    match serde_json::from_str(&text) {
        Ok(draft) => Some(draft),
        Err(error) => {
            tracing::warn!(%error, path = %path.display(), "the saved draft could not be read");
            None
        }
    }
}

/// Writes the draft next to itself first, so a crash mid-write never
/// leaves half a draft.
pub fn save_draft(path: &std::path::Path, draft: &Draft) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let text = serde_json::to_string_pretty(draft).map_err(std::io::Error::other)?;
    let temporary = path.with_extension("json.tmp");
    std::fs::write(&temporary, text)?;
    std::fs::rename(&temporary, path)
}

/// Who carries out effects.
struct Services {
    engine: Engine,
    reader: Option<StoreReader>,
    msg_tx: mpsc::UnboundedSender<Msg>,
    check_tx: mpsc::UnboundedSender<StepReport>,
    paths: Paths,
    env: Env,
    overrides: Overrides,
    drafts: DraftWriter,
    retries: u32,
    demo: bool,
}

/// Writes drafts one at a time, off the UI thread; when several arrive
/// while one is written, only the newest is written next.
struct DraftWriter {
    latest: tokio::sync::watch::Sender<Option<Draft>>,
    task: tokio::task::JoinHandle<()>,
}

impl DraftWriter {
    fn spawn(path: PathBuf, errors: mpsc::UnboundedSender<Msg>) -> DraftWriter {
        let (latest, mut changes) = tokio::sync::watch::channel(None::<Draft>);
        let task = tokio::spawn(async move {
            while changes.changed().await.is_ok() {
                let Some(draft) = changes.borrow_and_update().clone() else {
                    continue;
                };
                let at = path.clone();
                let written = tokio::task::spawn_blocking(move || save_draft(&at, &draft)).await;
                if let Ok(Err(error)) = written {
                    tracing::warn!(%error, path = %path.display(), "the draft was not saved");
                    let _ = errors.send(Msg::DraftNotSaved(error.to_string()));
                }
            }
        });
        DraftWriter { latest, task }
    }

    fn save(&self, draft: Draft) {
        self.latest.send_replace(Some(draft));
    }

    /// Writes what is pending and stops.
    async fn finish(self) {
        drop(self.latest);
        let _ = tokio::time::timeout(Duration::from_secs(2), self.task).await;
    }
}

impl Services {
    fn carry_out(&self, effects: Vec<Effect>, app: &mut App) {
        for effect in effects {
            self.carry_out_one(effect, app);
        }
    }

    fn carry_out_one(&self, effect: Effect, app: &mut App) {
        match effect {
            Effect::Send { id, request } => self.engine.command(Command::Send {
                id,
                request,
                retries: self.retries,
            }),
            Effect::Cancel(id) => self.engine.cancel(&id),
            Effect::Copy(text) => {
                if let Err(error) = copy_osc52(&text) {
                    app.tell(Tone::Error, format!("could not copy: {error}"));
                }
            }
            Effect::Load { purpose, id } => self.read(Read::Exchange { purpose, id }, app),
            Effect::CountHistory { generation, query } => {
                self.read(Read::Count { generation, query }, app)
            }
            Effect::LoadPage(page) => self.read(
                Read::Page {
                    generation: page.generation,
                    page: page.page,
                    query: page.query,
                },
                app,
            ),
            Effect::RunChecks(steps) => {
                let input = Arc::new(DoctorInput {
                    profile: app.profile.clone(),
                    paths: self.paths.clone(),
                    env: self.env.clone(),
                    timeout: CHECK_TIMEOUT,
                    // The demo stays off the network: Claude Code's own set-up
                    // is not looked at there.
                    claude_code: crate::doctor::ClaudeCodeEnv {
                        home: if self.demo {
                            None
                        } else {
                            crate::doctor::ClaudeCodeEnv::from_env(&self.env).home
                        },
                        ..crate::doctor::ClaudeCodeEnv::from_env(&self.env)
                    },
                    // This session's exchanges, newest first, and what the
                    // composer holds now.
                    recent: app.recent.iter().rev().cloned().collect(),
                    request: Some(crate::doctor::DoctorRequest {
                        origin: "the composer".into(),
                        body: app.composer.body(),
                    }),
                });
                crate::doctor::spawn_run(steps, input, self.check_tx.clone())
            }
            Effect::Compare { from, to } => self.read(Read::Compare { from, to }, app),
            Effect::SwitchProfile { current } => self.switch_profile(current),
            Effect::FetchModels => fetch_models(app.profile.clone(), self.msg_tx.clone()),
            Effect::SaveDraft(draft) => self.drafts.save(draft),
            Effect::Quit => app.quitting = true,
        }
    }

    /// Resolving may run `api_key_cmd`, so it happens off the UI thread.
    fn switch_profile(&self, current: String) {
        let (paths, env, tx) = (self.paths.clone(), self.env.clone(), self.msg_tx.clone());
        let mut overrides = self.overrides.clone();
        tokio::task::spawn_blocking(move || {
            let result = next_profile(&paths, &mut overrides, &env, &current);
            let _ = tx.send(Msg::Profile(result.map(Box::new)));
        });
    }

    fn read(&self, read: Read, app: &mut App) {
        match &self.reader {
            Some(reader) => reader.ask(read),
            None => {
                if let Read::Exchange { id, .. } = read {
                    app.tell(
                        Tone::Warn,
                        format!("{id} is not in memory and history is off"),
                    );
                }
            }
        }
    }
}

fn next_profile(
    paths: &Paths,
    overrides: &mut Overrides,
    env: &Env,
    current: &str,
) -> Result<Profile, String> {
    let names = config::profile_names(&paths.config_file).map_err(|e| e.to_string())?;
    let next = match names.iter().position(|n| n == current) {
        Some(i) => names[(i + 1) % names.len()].clone(),
        None => names.first().cloned().ok_or_else(|| {
            format!(
                "{} defines no profiles to switch to; add [profiles.NAME] tables (see config.example.toml)",
                paths.config_file.display()
            )
        })?,
    };
    if next == current {
        return Err(format!(
            "{current} is the only profile in {}",
            paths.config_file.display()
        ));
    }
    overrides.profile = Some(next);
    config::resolve_profile(paths, overrides, env).map_err(|e| e.to_string())
}

/// Lists the models the server offers, for the composer's model field.
fn fetch_models(profile: Profile, tx: mpsc::UnboundedSender<Msg>) {
    tokio::spawn(async move {
        let result = models(&profile).await;
        let _ = tx.send(Msg::Models(result));
    });
}

async fn models(profile: &Profile) -> Result<Vec<String>, String> {
    let request = crate::engine::OutgoingRequest::for_profile(
        profile,
        "GET",
        "/v1/models?limit=1000",
        String::new(),
    )
    .map_err(|e| e.to_string())?;
    let client = ClientSettings::for_profile(profile)
        .for_url(&request.url)
        .build()
        .map_err(|e| e.to_string())?;
    let mut builder = client.get(&request.url).timeout(Duration::from_secs(15));
    for header in request.headers.iter() {
        builder = builder.header(header.name.as_str(), header.value.as_str());
    }
    if let Some(credential) = &profile.credential {
        let header = credential.header();
        builder = builder.header(header.name.as_str(), header.value.as_str());
    }
    let response = builder
        .send()
        .await
        .map_err(|e| crate::config::display_url(&e.to_string()))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("GET /v1/models answered {status}"));
    }
    let list: crate::api::types::ModelList = response
        .json()
        .await
        .map_err(|e| format!("GET /v1/models sent something else than a model list: {e}"))?;
    Ok(list.data.into_iter().map(|m| m.id).collect())
}

/// Reads the store on a thread of its own, so a slow disk never stalls a
/// frame. Asked with [`Read`]s, answers with [`Msg`]s.
struct StoreReader {
    tx: std::sync::mpsc::Sender<Read>,
}

enum Read {
    Count {
        generation: u64,
        query: ListQuery,
    },
    Page {
        generation: u64,
        page: usize,
        query: ListQuery,
    },
    Exchange {
        purpose: Purpose,
        id: ExchangeId,
    },
    Compare {
        from: Option<ExchangeId>,
        to: ExchangeId,
    },
}

impl StoreReader {
    fn spawn(path: &std::path::Path, out: mpsc::UnboundedSender<Msg>) -> Option<StoreReader> {
        let (store, _) = Store::open(path).ok()?;
        if let Err(error) = store.without_mmap() {
            tracing::warn!(%error, "the history reader maps the file");
        }
        let (tx, rx) = std::sync::mpsc::channel::<Read>();
        std::thread::Builder::new()
            .name("history-reader".into())
            .spawn(move || {
                while let Ok(read) = rx.recv() {
                    if out.send(answer(&store, read)).is_err() {
                        break;
                    }
                }
            })
            .ok()?;
        Some(StoreReader { tx })
    }

    fn ask(&self, read: Read) {
        let _ = self.tx.send(read);
    }
}

fn answer(store: &Store, read: Read) -> Msg {
    match read {
        Read::Count { generation, query } => Msg::HistoryCount {
            generation,
            result: store.count(&query).map_err(|e| e.to_string()),
        },
        Read::Page {
            generation,
            page,
            query,
        } => Msg::HistoryPage {
            generation,
            page,
            result: store.list(&query).map_err(|e| e.to_string()),
        },
        Read::Compare { from, to } => {
            Msg::Compared(compare(store, from.as_ref(), &to).map(Box::new))
        }
        Read::Exchange { purpose, id } => Msg::Loaded {
            purpose,
            result: store
                .get(id.as_str())
                .map(|found| found.map(Box::new))
                .map_err(|e| e.to_string()),
            id,
        },
    }
}

/// `to` against `from`, or against the turn before it, from the store.
fn compare(
    store: &Store,
    from: Option<&ExchangeId>,
    to: &ExchangeId,
) -> Result<crate::exchange::diff::ExchangeDiff, String> {
    let load = |id: &ExchangeId| {
        store
            .get(id.as_str())
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("{id} is not in the history (yet)"))
    };
    let later = load(to)?;
    let earlier = match from {
        Some(id) => load(id)?,
        None => store
            .previous_turn(&later)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("nothing came before {to} to compare it with; m marks one"))?,
    };
    Ok(crate::exchange::diff::diff(&earlier, &later))
}

/// SIGTERM, SIGHUP and SIGINT (from `kill`; Ctrl-C itself arrives as a
/// key in raw mode), as one stream.
struct Signals {
    #[cfg(unix)]
    streams: Vec<tokio::signal::unix::Signal>,
}

impl Signals {
    fn new() -> Signals {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let kinds = [
                SignalKind::terminate(),
                SignalKind::hangup(),
                SignalKind::interrupt(),
            ];
            Signals {
                streams: kinds.into_iter().filter_map(|k| signal(k).ok()).collect(),
            }
        }
        #[cfg(not(unix))]
        Signals {}
    }

    async fn next(&mut self) {
        #[cfg(unix)]
        {
            if self.streams.is_empty() {
                return std::future::pending().await;
            }
            let waits = self.streams.iter_mut().map(|s| Box::pin(s.recv()));
            let _ = futures_util::future::select_all(waits).await;
        }
        #[cfg(not(unix))]
        std::future::pending::<()>().await
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::fixtures::TEST_KEY;

    #[test]
    fn a_saved_draft_comes_back_without_its_secrets() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data").join("draft.json");
        let mut composer = ComposerPane::new(r#"{"model": "claude-sonnet-4-6"}"#, "test");
        composer.set_extra_headers(&[
            crate::api::types::Header::new("x-api-key", TEST_KEY),
            crate::api::types::Header::new("anthropic-beta", "tools-2024-04-04"),
        ]);
        save_draft(&path, &composer.draft()).unwrap();
        let written = std::fs::read_to_string(&path).unwrap();
        assert!(!written.contains(&TEST_KEY[10..]), "{written}");
        assert!(!path.with_extension("json.tmp").exists());
        let restored = ComposerPane::restore(load_draft(&path).unwrap());
        assert!(restored.body().contains("claude-sonnet-4-6"));
        let names: Vec<String> = restored
            .extra_headers()
            .into_iter()
            .map(|h| h.name)
            .collect();
        assert_eq!(names, ["anthropic-beta"]);
    }

    #[test]
    fn an_unreadable_draft_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("draft.json");
        std::fs::write(&path, "{ not json").unwrap();
        assert!(load_draft(&path).is_none());
        assert!(load_draft(&dir.path().join("missing.json")).is_none());
    }

    #[test]
    fn next_profile_cycles_through_the_config_files_profiles() {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths {
            config_file: dir.path().join("config.toml"),
            data_dir: dir.path().join("data"),
        };
        let env = Env::from_pairs::<&str, &str>([]);
        let mut overrides = Overrides::default();
        let missing = next_profile(&paths, &mut overrides, &env, "default").unwrap_err();
        assert!(missing.contains("defines no profiles"), "{missing}");
        std::fs::write(
            &paths.config_file,
            "[profiles.a]\nbase_url = \"http://127.0.0.1:1\"\n[profiles.b]\nbase_url = \"http://127.0.0.1:2\"\n",
        )
        .unwrap();
        assert_eq!(
            next_profile(&paths, &mut overrides, &env, "default")
                .unwrap()
                .name,
            "a"
        );
        assert_eq!(
            next_profile(&paths, &mut overrides, &env, "a")
                .unwrap()
                .name,
            "b"
        );
        assert_eq!(
            next_profile(&paths, &mut overrides, &env, "b")
                .unwrap()
                .name,
            "a"
        );
    }
}
