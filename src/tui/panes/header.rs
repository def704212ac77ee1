//! The header line: which profile, which server, which key (masked) and
//! where it came from, how many requests are in flight, and DEMO.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::PaneContext;
use crate::config::{Profile, Source, display_url};
use crate::tui::app::TapStatus;

/// `sk-ant-…a1b2 (env ANTHROPIC_API_KEY)`, or what to do when there is no key.
pub fn key_label(profile: &Profile) -> String {
    match &profile.credential {
        Some(credential) => format!(
            "{} ({})",
            credential.secret.masked(),
            short_source(&credential.source)
        ),
        None => "no key — set ANTHROPIC_API_KEY or api_key_env in the config".to_string(),
    }
}

fn short_source(source: &Source) -> String {
    match source {
        Source::Flag(flag) => format!("flag {flag}"),
        Source::Env(name) => format!("env {name}"),
        Source::File { profile, .. } => format!("config profile {profile}"),
        Source::Command(_) => "api_key_cmd".to_string(),
        Source::ClaudeCodeSettings { name, .. } => format!("Claude Code settings {name}"),
        Source::Default => "built-in".to_string(),
    }
}

/// What the header shows.
pub struct Header<'a> {
    pub profile: &'a Profile,
    pub demo: bool,
    pub in_flight: usize,
    pub tap: Option<&'a TapStatus>,
}

pub fn render(header: &Header, area: Rect, buf: &mut Buffer, ctx: &PaneContext) {
    let Header {
        profile,
        demo,
        in_flight,
        tap,
    } = *header;
    let theme = ctx.theme;
    let sep = || Span::styled("  │  ", theme.dim);
    let mut spans = vec![Span::styled(" claudetui ", theme.title_focused)];
    if demo {
        spans.push(Span::styled(" DEMO ", theme.badge));
        spans.push(Span::raw(" "));
    }
    if let Some(tap) = tap {
        // Where to point clients, and that traffic arrives.
        spans.push(Span::styled(
            format!(" TAP {} · {} seen ", tap.address, tap.seen),
            theme.badge,
        ));
        if !tap.follow {
            spans.push(Span::styled(" not following (f)", theme.dim));
        }
        spans.push(Span::raw("  "));
    }
    // Most telling first, so a narrow terminal cuts the URL, not the key.
    let key_style = if profile.credential.is_some() {
        theme.base
    } else {
        theme.warn
    };
    spans.extend([
        Span::styled("profile ", theme.dim),
        Span::raw(profile.name.clone()),
        sep(),
        Span::styled("key ", theme.dim),
        Span::styled(key_label(profile), key_style),
        sep(),
        match in_flight {
            0 => Span::styled("idle", theme.dim),
            n => Span::styled(format!("{n} in flight"), theme.info),
        },
        sep(),
        Span::raw(display_url(&profile.base_url.value)),
    ]);
    Paragraph::new(Line::from(spans)).render(area, buf);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Credential, CredentialKind, Secret, Sourced};
    use crate::tui::fixtures::TEST_KEY;

    fn draw(profile: &Profile, demo: bool, in_flight: usize) -> String {
        draw_with(profile, demo, in_flight, None)
    }

    fn draw_with(
        profile: &Profile,
        demo: bool,
        in_flight: usize,
        tap: Option<&TapStatus>,
    ) -> String {
        let header = Header {
            profile,
            demo,
            in_flight,
            tap,
        };
        crate::tui::fixtures::draw_line(120, |area, buf, ctx| render(&header, area, buf, ctx))
    }

    #[test]
    fn shows_the_masked_key_and_its_source_never_the_key() {
        let mut profile = Profile::builtin();
        profile.credential = Some(Credential {
            kind: CredentialKind::ApiKey,
            secret: Secret::new(TEST_KEY),
            source: Source::Env("ANTHROPIC_API_KEY".into()),
        });
        profile.base_url = Sourced::new("http://127.0.0.1:4747".into(), Source::Default);
        let text = draw(&profile, true, 2);
        assert!(!text.contains(TEST_KEY));
        insta::assert_snapshot!(text);
    }

    #[test]
    fn a_running_tap_shows_where_to_point_clients_and_what_it_saw() {
        let tap = TapStatus {
            address: "127.0.0.1:4748".into(),
            seen: 12,
            follow: false,
        };
        let text = draw_with(&Profile::builtin(), true, 0, Some(&tap));
        assert!(
            text.contains(" DEMO   TAP 127.0.0.1:4748 · 12 seen  not following (f)  profile"),
            "{text}"
        );
    }

    #[test]
    fn says_what_to_do_without_a_key() {
        let text = draw(&Profile::builtin(), false, 0);
        assert!(text.contains("no key — set ANTHROPIC_API_KEY"), "{text}");
        assert!(text.contains("idle"));
    }
}
