//! The `Ctrl-O` overlay: pick an embedded sample, or type a path to read a
//! request from disk. Reading a file is I/O on the UI thread, accepted
//! here because it is small (capped at the API's 32 MB body limit) and
//! the user asked for it; every failure is a message, never a panic, and
//! the composer keeps its text.

use std::io;
use std::path::{Path, PathBuf};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Widget};

use crate::tui::samples::{self, Sample};
use crate::tui::theme::Theme;

/// The largest file the composer opens: the API rejects larger bodies.
pub const MAX_FILE_BYTES: u64 = 32 * 1024 * 1024;

/// Why a file could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("type a path, or pick a sample")]
    NoPath,
    #[error("{path}: no such file")]
    NotFound { path: String },
    #[error("{path} is a directory: type the path of a file")]
    Directory { path: String },
    #[error("{path} is not a regular file (a device, a pipe or a socket): type the path of a file")]
    NotAFile { path: String },
    #[error("{path} is {size} bytes; a request body can be at most 32 MB")]
    TooLarge { path: String, size: u64 },
    #[error("{path} is not UTF-8 text (first bad byte at offset {offset})")]
    NotUtf8 { path: String, offset: usize },
    #[error("could not read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: io::Error,
    },
}

/// Reads the request at `input` (relative to the current directory, `~`
/// for the home directory): its text and the origin to show for it.
pub fn read_request_file(input: &str) -> Result<(String, String), OpenError> {
    let input = input.trim();
    if input.is_empty() {
        return Err(OpenError::NoPath);
    }
    let path = expand_home(input, home_dir().as_deref());
    let shown = path.display().to_string();
    let io_error = |source: io::Error| match source.kind() {
        io::ErrorKind::NotFound => OpenError::NotFound {
            path: shown.clone(),
        },
        _ => OpenError::Io {
            path: shown.clone(),
            source,
        },
    };
    let meta = std::fs::metadata(&path).map_err(io_error)?;
    if meta.is_dir() {
        return Err(OpenError::Directory { path: shown });
    }
    // A FIFO or a device (`/dev/zero`, `/dev/tty`) would block or never end.
    if !meta.is_file() {
        return Err(OpenError::NotAFile { path: shown });
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(OpenError::TooLarge {
            path: shown,
            size: meta.len(),
        });
    }
    // The file may grow between the check and the read: never more than
    // the limit is read.
    let mut bytes = Vec::new();
    std::fs::File::open(&path)
        .and_then(|file| {
            io::Read::read_to_end(&mut io::Read::take(file, MAX_FILE_BYTES + 1), &mut bytes)
        })
        .map_err(io_error)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(OpenError::TooLarge {
            path: shown,
            size: bytes.len() as u64,
        });
    }
    let text = String::from_utf8(bytes).map_err(|e| OpenError::NotUtf8 {
        path: shown.clone(),
        offset: e.utf8_error().valid_up_to(),
    })?;
    Ok((text, input.to_owned()))
}

fn home_dir() -> Option<PathBuf> {
    directories::BaseDirs::new().map(|dirs| dirs.home_dir().to_path_buf())
}

/// `~` and `~/…` become the home directory; anything else is as typed.
fn expand_home(input: &str, home: Option<&Path>) -> PathBuf {
    match (input.strip_prefix('~'), home) {
        (Some(""), Some(home)) => home.to_path_buf(),
        (Some(rest), Some(home)) if rest.starts_with('/') || rest.starts_with('\\') => {
            home.join(&rest[1..])
        }
        _ => PathBuf::from(input),
    }
}

/// What a key in the picker asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PickerOutcome {
    Stay,
    Close,
    LoadSample(&'static Sample),
    /// The path as typed.
    LoadFile(String),
}

/// The picker's state: which row is selected (the samples, then the path
/// line) and the path typed so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Picker {
    selected: usize,
    path: String,
    error: Option<String>,
}

impl Picker {
    /// A picker with the sample the composer holds (if any) selected.
    pub fn new(origin: &str) -> Self {
        Picker {
            selected: samples::all()
                .iter()
                .position(|s| s.name == origin)
                .unwrap_or(0),
            ..Picker::default()
        }
    }

    fn path_row(&self) -> usize {
        samples::all().len()
    }

    /// Shown in the picker until the next key.
    pub fn set_error(&mut self, message: String) {
        self.error = Some(message);
    }

    pub fn on_key(&mut self, key: KeyEvent) -> PickerOutcome {
        self.error = None;
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        match key.code {
            KeyCode::Esc => return PickerOutcome::Close,
            KeyCode::Char('o') if ctrl => return PickerOutcome::Close,
            KeyCode::Char('u') if ctrl => self.path.clear(),
            KeyCode::Up => self.selected = self.selected.saturating_sub(1),
            KeyCode::Down => self.selected = (self.selected + 1).min(self.path_row()),
            KeyCode::Home => self.selected = 0,
            KeyCode::End => self.selected = self.path_row(),
            KeyCode::Tab | KeyCode::BackTab => {
                self.selected = if self.selected == self.path_row() {
                    0
                } else {
                    self.path_row()
                };
            }
            KeyCode::Enter => return self.choose(),
            KeyCode::Backspace => {
                self.path.pop();
                self.selected = self.path_row();
            }
            KeyCode::Char(c) if !ctrl && !alt => {
                self.path.push(c);
                self.selected = self.path_row();
            }
            _ => {}
        }
        PickerOutcome::Stay
    }

    /// Pasted text goes to the path (its first line: a path has no breaks).
    pub fn on_paste(&mut self, text: &str) {
        self.path
            .push_str(text.lines().next().unwrap_or_default().trim_end());
        self.selected = self.path_row();
    }

    fn choose(&mut self) -> PickerOutcome {
        match samples::all().get(self.selected) {
            Some(sample) => PickerOutcome::LoadSample(sample),
            None if self.path.trim().is_empty() => {
                self.error = Some(OpenError::NoPath.to_string());
                PickerOutcome::Stay
            }
            None => PickerOutcome::LoadFile(self.path.clone()),
        }
    }

    /// Draws the overlay over `area` (the composer's inside).
    pub fn render(&self, area: Rect, buf: &mut Buffer, theme: &Theme) {
        if area.is_empty() {
            return;
        }
        Clear.render(area, buf);
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.accent)
            .title(Span::styled(" Open a sample or a file ", theme.title))
            .title_bottom(Span::styled(" ↑↓ Enter Esc ", theme.dim));
        let inner = block.inner(area);
        block.render(area, buf);
        if inner.is_empty() {
            return;
        }
        let list_rows = usize::from(inner.height.saturating_sub(1));
        // Scrolled so the selected sample is on screen.
        let last_sample = self.selected.min(self.path_row().saturating_sub(1));
        let offset = (last_sample + 1).saturating_sub(list_rows);
        let mut lines: Vec<Line> = samples::all()
            .iter()
            .enumerate()
            .skip(offset)
            .take(list_rows)
            .map(|(i, s)| self.sample_line(i, s, theme))
            .collect();
        if let (Some(error), Some(last)) = (&self.error, lines.last_mut()) {
            *last = Line::from(Span::styled(format!("✗ {error}"), theme.error));
        }
        for (row, line) in lines.iter().enumerate() {
            buf.set_line(inner.x, inner.y + row as u16, line, inner.width);
        }
        // The path line always sits on the last row.
        let path = self.path_line(usize::from(inner.width), theme);
        buf.set_line(inner.x, inner.bottom() - 1, &path, inner.width);
    }

    fn sample_line(&self, index: usize, sample: &Sample, theme: &Theme) -> Line<'static> {
        let selected = index == self.selected;
        let (marker, name_style) = if selected {
            ("› ", theme.selected)
        } else {
            ("  ", theme.base)
        };
        Line::from(vec![
            Span::styled(marker, theme.accent),
            Span::styled(sample.name, name_style),
            Span::styled(format!("  {}", sample.description), theme.dim),
        ])
    }

    fn path_line(&self, width: usize, theme: &Theme) -> Line<'static> {
        const LABEL: &str = "or type a path: ";
        let selected = self.selected == self.path_row();
        let room = width.saturating_sub(LABEL.chars().count() + 3);
        // The end of a long path is the part being typed.
        let skip = self.path.chars().count().saturating_sub(room);
        let tail: String = self.path.chars().skip(skip).collect();
        let mut spans = vec![
            Span::styled(if selected { "› " } else { "  " }, theme.accent),
            Span::styled(LABEL, if selected { theme.accent } else { theme.dim }),
            Span::styled(tail, theme.base),
        ];
        if selected {
            spans.push(Span::styled(" ", theme.selected));
        }
        Line::from(spans)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn arrows_pick_a_sample_and_enter_loads_it() {
        let mut picker = Picker::new("hello.json");
        assert_eq!(picker.on_key(key(KeyCode::Down)), PickerOutcome::Stay);
        assert_eq!(
            picker.on_key(key(KeyCode::Enter)),
            PickerOutcome::LoadSample(&samples::all()[1])
        );
        let mut picker = Picker::new("tool-use.json");
        assert_eq!(
            picker.on_key(key(KeyCode::Enter)),
            PickerOutcome::LoadSample(samples::find("tool-use.json").expect("listed"))
        );
    }

    #[test]
    fn typing_goes_to_the_path_and_enter_loads_the_file() {
        let mut picker = Picker::new("x");
        for c in "~/a.jsonx".chars() {
            picker.on_key(key(KeyCode::Char(c)));
        }
        picker.on_key(key(KeyCode::Backspace));
        assert_eq!(
            picker.on_key(key(KeyCode::Enter)),
            PickerOutcome::LoadFile("~/a.json".into())
        );
        picker.on_key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
        assert_eq!(picker.on_key(key(KeyCode::Enter)), PickerOutcome::Stay);
        assert!(picker.error.is_some(), "an empty path says what to do");
        assert_eq!(picker.on_key(key(KeyCode::Esc)), PickerOutcome::Close);
    }

    #[test]
    fn home_is_expanded_only_at_the_start() {
        let home = Path::new("/home/u");
        assert_eq!(expand_home("~", Some(home)), PathBuf::from("/home/u"));
        assert_eq!(
            expand_home("~/r/a.json", Some(home)),
            PathBuf::from("/home/u/r/a.json")
        );
        assert_eq!(expand_home("~bob/a", Some(home)), PathBuf::from("~bob/a"));
        assert_eq!(expand_home("a/~/b", Some(home)), PathBuf::from("a/~/b"));
        assert_eq!(expand_home("~/a", None), PathBuf::from("~/a"));
    }

    #[test]
    fn reading_reports_each_failure_clearly() {
        let dir = tempfile::tempdir().expect("tempdir");
        let good = dir.path().join("good.json");
        std::fs::write(&good, "{\"a\": 1}\n").expect("write");
        let bad = dir.path().join("bad.bin");
        std::fs::write(&bad, [b'{', 0xff, 0xfe, b'}']).expect("write");
        let path = |p: &Path| p.display().to_string();

        let (text, origin) = read_request_file(&path(&good)).expect("reads");
        assert_eq!((text.as_str(), origin), ("{\"a\": 1}\n", path(&good)));

        let missing = read_request_file(&path(&dir.path().join("nope.json")))
            .expect_err("missing")
            .to_string();
        assert!(missing.ends_with("nope.json: no such file"), "{missing}");
        let not_utf8 = read_request_file(&path(&bad))
            .expect_err("binary")
            .to_string();
        assert!(
            not_utf8.contains("not UTF-8 text (first bad byte at offset 1)"),
            "{not_utf8}"
        );
        let directory = read_request_file(&path(dir.path()))
            .expect_err("dir")
            .to_string();
        assert!(directory.contains("is a directory"), "{directory}");
        assert!(matches!(read_request_file("  "), Err(OpenError::NoPath)));
        // A device would never end; it is refused, not read.
        #[cfg(unix)]
        assert!(matches!(
            read_request_file("/dev/zero"),
            Err(OpenError::NotAFile { .. })
        ));
    }
}
