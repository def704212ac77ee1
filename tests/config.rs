//! Configuration: precedence, every environment name, key sources, errors
//! that say where, and secrets that never show. The process environment is
//! never touched: every case builds its own `Env`.

use std::path::Path;

use claudetui::config::{
    ConfigError, CredentialKind, Env, Overrides, Paths, Profile, Source, resolve_paths,
    resolve_profile,
};

const KEY: &str = "sk-ant-api03-CONFIGTESTKEY0123456789abcdefghijkl-mnop";
const FILE_KEY: &str = "sk-ant-api03-FILEKEY9876543210zyxwvutsrqponmlkjih-WXYZ";

struct Setup {
    dir: tempfile::TempDir,
}

impl Setup {
    fn new(config: &str) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        if !config.is_empty() {
            std::fs::write(dir.path().join("config.toml"), config).unwrap();
        }
        Setup { dir }
    }

    fn paths(&self) -> Paths {
        Paths {
            config_file: self.dir.path().join("config.toml"),
            data_dir: self.dir.path().join("data"),
        }
    }

    fn resolve(&self, overrides: &Overrides, env: &[(&str, &str)]) -> Result<Profile, ConfigError> {
        resolve_profile(
            &self.paths(),
            overrides,
            &Env::from_pairs(env.iter().copied()),
        )
    }

    fn ok(&self, overrides: &Overrides, env: &[(&str, &str)]) -> Profile {
        self.resolve(overrides, env)
            .unwrap_or_else(|e| panic!("{e}"))
    }
}

fn flag_profile(name: &str) -> Overrides {
    Overrides {
        profile: Some(name.into()),
        ..Overrides::default()
    }
}

const WORK: &str = r#"
active_profile = "work"
[profiles.work]
base_url = "https://gateway.example.com/"
default_model = "claude-haiku-4-5"
anthropic_version = "2026-10-21"
anthropic_beta = ["a-2025-01-01", "b-2025-02-02"]
timeout_secs = 42
"#;

#[test]
fn defaults_without_file_or_environment() {
    let p = Setup::new("").ok(&Overrides::default(), &[]);
    assert_eq!(p.name, "default");
    assert_eq!(p.base_url.value, "https://api.anthropic.com");
    assert_eq!(p.base_url.source, Source::Default);
    assert_eq!(p.anthropic_version.value, "2023-06-01");
    assert_eq!(p.default_model.value, "claude-sonnet-4-6");
    assert_eq!(p.timeout.as_secs(), 600);
    assert!(p.credential.is_none());
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
}

#[test]
fn the_file_fills_in_and_trailing_slashes_go() {
    let s = Setup::new(WORK);
    let p = s.ok(&Overrides::default(), &[]);
    assert_eq!(p.name, "work");
    assert_eq!(p.base_url.value, "https://gateway.example.com");
    assert!(matches!(&p.base_url.source, Source::File { profile, .. } if profile == "work"));
    assert_eq!(p.default_model.value, "claude-haiku-4-5");
    assert_eq!(p.anthropic_version.value, "2026-10-21");
    assert_eq!(p.anthropic_beta, ["a-2025-01-01", "b-2025-02-02"]);
    assert_eq!(p.timeout.as_secs(), 42);
}

/// flag > env > file > default, and with --profile: flag > file > env.
#[test]
fn precedence_table() {
    let s = Setup::new(WORK);
    let env = [
        ("ANTHROPIC_BASE_URL", "https://env.example.com"),
        ("ANTHROPIC_MODEL", "claude-opus-4-6"),
    ];
    let flags = Overrides {
        base_url: Some("https://flag.example.com".into()),
        model: Some("claude-sonnet-4-6".into()),
        ..Overrides::default()
    };
    type Case<'a> = (
        &'a str,
        Overrides,
        &'a [(&'a str, &'a str)],
        &'a str,
        &'a str,
    );
    let cases: [Case; 5] = [
        (
            "file only",
            Overrides::default(),
            &[],
            "https://gateway.example.com",
            "claude-haiku-4-5",
        ),
        (
            "env beats file",
            Overrides::default(),
            &env,
            "https://env.example.com",
            "claude-opus-4-6",
        ),
        (
            "flag beats env",
            flags.clone(),
            &env,
            "https://flag.example.com",
            "claude-sonnet-4-6",
        ),
        (
            "--profile: file beats env",
            flag_profile("work"),
            &env,
            "https://gateway.example.com",
            "claude-haiku-4-5",
        ),
        (
            "--profile: flag still beats file",
            Overrides {
                profile: Some("work".into()),
                ..flags
            },
            &env,
            "https://flag.example.com",
            "claude-sonnet-4-6",
        ),
    ];
    for (name, overrides, env, base_url, model) in cases {
        let p = s.ok(&overrides, env);
        assert_eq!(p.base_url.value, base_url, "{name}");
        assert_eq!(p.default_model.value, model, "{name}");
    }
}

#[test]
fn shadowing_is_reported_both_ways() {
    let s = Setup::new(WORK);
    let env = [("ANTHROPIC_BASE_URL", "https://env.example.com")];
    let p = s.ok(&Overrides::default(), &env);
    let warning = p
        .warnings
        .iter()
        .find(|w| w.starts_with("base URL"))
        .expect("a warning");
    assert!(
        warning.contains("ANTHROPIC_BASE_URL") && warning.contains("--profile work"),
        "{warning}"
    );
    let p = s.ok(&flag_profile("work"), &env);
    let warning = p
        .warnings
        .iter()
        .find(|w| w.starts_with("base URL"))
        .expect("a warning");
    assert!(warning.contains("chosen with --profile"), "{warning}");
}

#[test]
fn profile_selection_and_unknown_profiles() {
    let s = Setup::new(WORK);
    assert_eq!(
        s.ok(&Overrides::default(), &[("CLAUDETUI_PROFILE", "default")])
            .name,
        "default"
    );
    let err = s
        .resolve(&flag_profile("wrok"), &[])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("`wrok`") && err.contains("`work`") && err.contains("--profile"),
        "{err}"
    );
    let err = s
        .resolve(&Overrides::default(), &[("CLAUDETUI_PROFILE", "nope")])
        .unwrap_err()
        .to_string();
    assert!(err.contains("CLAUDETUI_PROFILE"), "{err}");
    let err = Setup::new("")
        .resolve(&flag_profile("work"), &[])
        .unwrap_err()
        .to_string();
    assert!(err.contains("there is no config file"), "{err}");
}

#[test]
fn keys_from_the_environment() {
    let s = Setup::new("");
    let p = s.ok(&Overrides::default(), &[("ANTHROPIC_API_KEY", KEY)]);
    let c = p.credential.unwrap();
    assert_eq!((c.kind, c.secret.expose()), (CredentialKind::ApiKey, KEY));
    assert_eq!(c.source, Source::Env("ANTHROPIC_API_KEY".into()));

    let p = s.ok(&Overrides::default(), &[("ANTHROPIC_AUTH_TOKEN", KEY)]);
    assert_eq!(p.credential.unwrap().kind, CredentialKind::Bearer);

    let p = s.ok(
        &Overrides::default(),
        &[
            ("ANTHROPIC_API_KEY", KEY),
            ("ANTHROPIC_AUTH_TOKEN", FILE_KEY),
        ],
    );
    assert_eq!(p.credential.unwrap().secret.expose(), KEY);
    assert!(
        p.warnings
            .iter()
            .any(|w| w.contains("both ANTHROPIC_API_KEY and ANTHROPIC_AUTH_TOKEN")),
        "{:?}",
        p.warnings
    );

    let p = s.ok(&Overrides::default(), &[("ANTHROPIC_API_KEY", "")]);
    assert!(p.credential.is_none(), "an empty variable counts as unset");
}

#[test]
fn keys_from_the_profile() {
    let s = Setup::new(
        r#"
[profiles.envkey]
api_key_env = "WORK_KEY"
auth_header = "bearer"
[profiles.cmd]
api_key_cmd = "printf '%s\n' \"$SECRET_FOR_CMD\""
[profiles.broken]
api_key_cmd = "echo vault locked >&2; exit 4"
[profiles.token]
auth_token_env = "GW_TOKEN"
[profiles.missing]
api_key_env = "NOT_SET_ANYWHERE"
"#,
    );
    let p = s.ok(&flag_profile("envkey"), &[("WORK_KEY", KEY)]);
    let c = p.credential.unwrap();
    assert_eq!(
        (c.kind, c.source),
        (CredentialKind::Bearer, Source::Env("WORK_KEY".into()))
    );

    let p = s.ok(&flag_profile("cmd"), &[("SECRET_FOR_CMD", KEY)]);
    let c = p.credential.unwrap();
    assert_eq!(c.secret.expose(), KEY, "the trailing newline is trimmed");
    assert!(matches!(c.source, Source::Command(_)));

    let err = s
        .resolve(&flag_profile("broken"), &[])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("exited with 4") && err.contains("vault locked"),
        "{err}"
    );

    let p = s.ok(&flag_profile("token"), &[("GW_TOKEN", KEY)]);
    assert_eq!(p.credential.unwrap().kind, CredentialKind::Bearer);

    let err = s
        .resolve(&flag_profile("missing"), &[])
        .unwrap_err()
        .to_string();
    assert!(err.contains("NOT_SET_ANYWHERE"), "{err}");
}

#[test]
fn an_explicit_profile_key_beats_the_environment_and_says_so() {
    let s = Setup::new("[profiles.work]\napi_key_env = \"WORK_KEY\"\n");
    let env = [("ANTHROPIC_API_KEY", KEY), ("WORK_KEY", FILE_KEY)];
    let p = s.ok(&flag_profile("work"), &env);
    assert_eq!(p.credential.unwrap().secret.expose(), FILE_KEY);
    assert!(
        p.warnings.iter().any(|w| w.starts_with("API key")),
        "{:?}",
        p.warnings
    );

    let s = Setup::new("active_profile = \"work\"\n[profiles.work]\napi_key_cmd = \"exit 1\"\n");
    let p = s.ok(&Overrides::default(), &[("ANTHROPIC_API_KEY", KEY)]);
    assert_eq!(
        p.credential.unwrap().secret.expose(),
        KEY,
        "the env wins and the command is not run"
    );
    assert!(
        p.warnings.iter().any(|w| w.contains("api_key_cmd")),
        "{:?}",
        p.warnings
    );
}

#[test]
fn two_key_settings_in_one_profile_is_an_error() {
    let s = Setup::new("[profiles.x]\napi_key_env = \"A\"\napi_key_cmd = \"b\"\n");
    let err = s.resolve(&flag_profile("x"), &[]).unwrap_err().to_string();
    assert!(err.contains("api_key_env and api_key_cmd"), "{err}");
}

#[cfg(unix)]
#[test]
fn a_plain_key_in_a_readable_file_is_flagged() {
    use std::os::unix::fs::PermissionsExt;
    let s = Setup::new(&format!("[profiles.x]\napi_key = \"{FILE_KEY}\"\n"));
    let file = s.paths().config_file;
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let p = s.ok(&flag_profile("x"), &[]);
    assert_eq!(p.credential.as_ref().unwrap().secret.expose(), FILE_KEY);
    let warning = p
        .warnings
        .iter()
        .find(|w| w.contains("chmod 600"))
        .expect("warned");
    assert!(warning.contains("644"), "{warning}");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert!(s.ok(&flag_profile("x"), &[]).warnings.is_empty());
}

#[test]
fn copy_paste_mistakes_in_keys_are_warned_about_not_fixed() {
    let s = Setup::new("");
    for (bad, phrase) in [
        (format!("{KEY}\n"), "newline"),
        (format!(" {KEY}"), "spaces"),
        (format!("\"{KEY}\""), "quotes"),
    ] {
        let p = s.ok(&Overrides::default(), &[("ANTHROPIC_API_KEY", &bad)]);
        assert_eq!(p.credential.unwrap().secret.expose(), bad, "sent as given");
        assert!(
            p.warnings
                .iter()
                .any(|w| w.contains(phrase) && w.contains("reject")),
            "{phrase}: {:?}",
            p.warnings
        );
    }
}

#[test]
fn base_urls_are_checked() {
    let s = Setup::new("");
    let err = s
        .resolve(
            &Overrides::default(),
            &[("ANTHROPIC_BASE_URL", "api.anthropic.com")],
        )
        .unwrap_err();
    assert!(err.to_string().contains("ANTHROPIC_BASE_URL"), "{err}");
    let err = s
        .resolve(&Overrides::default(), &[("ANTHROPIC_BASE_URL", "ftp://x")])
        .unwrap_err();
    assert!(matches!(err, ConfigError::InvalidBaseUrl { .. }));
    let p = s.ok(
        &Overrides::default(),
        &[("ANTHROPIC_BASE_URL", "https://gw.example.com/v1/")],
    );
    assert_eq!(p.base_url.value, "https://gw.example.com/v1");
    assert!(
        p.warnings.iter().any(|w| w.contains("/v1/v1/messages")),
        "{:?}",
        p.warnings
    );
}

#[test]
fn proxies_from_every_spelling_and_the_file() {
    let s = Setup::new("[profiles.p]\nproxy = \"proxy.file:3128\"\nno_proxy = \"file.internal\"\n");
    let p = s.ok(
        &Overrides::default(),
        &[
            ("https_proxy", "http://lower:1"),
            ("HTTP_PROXY", "http://upper:2"),
            ("ALL_PROXY", "socks5://all:3"),
            ("no_proxy", "a,b"),
        ],
    );
    assert_eq!(p.proxy.https.as_ref().unwrap().value, "http://lower:1");
    assert_eq!(
        p.proxy.https.as_ref().unwrap().source,
        Source::Env("https_proxy".into())
    );
    assert_eq!(p.proxy.http.as_ref().unwrap().value, "http://upper:2");
    assert_eq!(p.proxy.all.as_ref().unwrap().value, "socks5://all:3");
    assert_eq!(p.proxy.no_proxy.as_ref().unwrap().value, "a,b");

    let p = s.ok(&flag_profile("p"), &[("HTTPS_PROXY", "http://env:1")]);
    assert_eq!(
        p.proxy.https.as_ref().unwrap().value,
        "http://proxy.file:3128",
        "a scheme is added"
    );
    assert_eq!(p.proxy.no_proxy.as_ref().unwrap().value, "file.internal");

    let flag = Overrides {
        proxy: Some("http://flag:9".into()),
        ..Overrides::default()
    };
    assert_eq!(
        s.ok(&flag, &[("HTTPS_PROXY", "http://env:1")])
            .proxy
            .https
            .unwrap()
            .value,
        "http://flag:9"
    );

    let err = s
        .resolve(&Overrides::default(), &[("HTTPS_PROXY", "ftp://nope")])
        .unwrap_err();
    assert!(matches!(err, ConfigError::InvalidProxy { .. }), "{err}");
}

#[test]
fn proxy_passwords_never_show() {
    let s = Setup::new("");
    let p = s.ok(
        &Overrides::default(),
        &[("HTTPS_PROXY", "http://bob:hunter2secret@proxy:3128")],
    );
    assert!(!format!("{p:?}").contains("hunter2secret"));
}

#[test]
fn custom_headers_from_env_and_file() {
    let s =
        Setup::new("[profiles.h]\n[profiles.h.headers]\nx-team = \"file\"\nx-only-file = \"1\"\n");
    let env = [(
        "ANTHROPIC_CUSTOM_HEADERS",
        "X-Team: env\nbroken line\nX-Only-Env: 2",
    )];
    let p = s.ok(&Overrides::default(), &[env[0], ("CLAUDETUI_PROFILE", "h")]);
    let find = |name: &str| {
        p.custom_headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.clone())
    };
    assert_eq!(find("x-team").as_deref(), Some("env"));
    assert_eq!(find("x-only-file").as_deref(), Some("1"));
    assert_eq!(find("x-only-env").as_deref(), Some("2"));
    assert!(
        p.warnings.iter().any(|w| w.contains("line 2")),
        "{:?}",
        p.warnings
    );

    let p = s.ok(&flag_profile("h"), &env);
    assert_eq!(
        p.custom_headers
            .iter()
            .find(|h| h.name == "x-team")
            .unwrap()
            .value,
        "file"
    );
}

#[test]
fn ca_file_must_exist() {
    let s = Setup::new("");
    let err = s
        .resolve(
            &Overrides::default(),
            &[("SSL_CERT_FILE", "/no/such/ca.pem")],
        )
        .unwrap_err();
    assert!(err.to_string().contains("SSL_CERT_FILE"), "{err}");
    let pem = s.dir.path().join("ca.pem");
    std::fs::write(&pem, "pem").unwrap();
    let p = s.ok(
        &Overrides::default(),
        &[("SSL_CERT_FILE", pem.to_str().unwrap())],
    );
    assert_eq!(p.ca_file.unwrap().value, pem);
}

#[test]
fn parse_errors_name_file_line_column_and_key() {
    let s = Setup::new("[profiles.work]\nbase_url = \"https://x\"\ntimeout_secs = \"ten\"\n");
    let err = s
        .resolve(&Overrides::default(), &[("CLAUDETUI_PROFILE", "work")])
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("config.toml"), "{text}");
    assert!(text.contains("line 3, column 16"), "{text}");
    assert!(text.contains("profiles.work.timeout_secs"), "{text}");
    assert!(text.contains("config.example.toml"), "{text}");
}

#[test]
fn a_zero_timeout_is_refused() {
    let s = Setup::new("[profiles.t]\ntimeout_secs = 0\n");
    assert!(matches!(
        s.resolve(&flag_profile("t"), &[]),
        Err(ConfigError::InvalidTimeout { .. })
    ));
}

/// Every error, warning and Debug form, with keys everywhere: none shows one.
#[test]
fn no_message_or_debug_output_contains_a_key() {
    let s = Setup::new(&format!(
        "[profiles.x]\napi_key = \"{FILE_KEY}\"\n[profiles.x.headers]\nx-gateway-token = \"{KEY}\"\n[profiles.bad]\n{KEY}\n"
    ));
    let mut shown = Vec::new();
    let bad_file = s.resolve(&flag_profile("x"), &[]).unwrap_err();
    shown.push(bad_file.to_string());
    shown.push(format!("{bad_file:?}"));

    let s = Setup::new(&format!(
        "[profiles.x]\napi_key = \"{FILE_KEY}\\n\"\n[profiles.x.headers]\nx-gateway-token = \"{KEY}\"\n"
    ));
    let p = s.ok(
        &flag_profile("x"),
        &[("ANTHROPIC_CUSTOM_HEADERS", &format!("Bad Header: {KEY}"))],
    );
    shown.push(format!("{p:?}"));
    shown.extend(p.warnings.clone());
    let cmd = Setup::new(&format!(
        "[profiles.c]\napi_key_cmd = \"printf {KEY}; exit 2\"\n"
    ));
    shown.push(
        cmd.resolve(&flag_profile("c"), &[])
            .unwrap_err()
            .to_string(),
    );
    let env = Env::from_pairs([("ANTHROPIC_API_KEY", KEY)]);
    shown.push(format!("{env:?}"));
    for text in shown {
        for key in [KEY, FILE_KEY] {
            assert!(!text.contains(&key[13..45]), "a key shows in:\n{text}");
        }
    }
}

#[test]
fn paths_follow_flag_then_env_then_platform() {
    let env = Env::from_pairs([
        ("CLAUDETUI_CONFIG", "/env/c.toml"),
        ("CLAUDETUI_DATA_DIR", "/env/data"),
    ]);
    let p = resolve_paths(None, None, &env).unwrap();
    assert_eq!(
        (p.config_file.as_path(), p.data_dir.as_path()),
        (Path::new("/env/c.toml"), Path::new("/env/data"))
    );
    let p = resolve_paths(
        Some(Path::new("/flag/c.toml")),
        Some(Path::new("/flag/d")),
        &env,
    )
    .unwrap();
    assert_eq!(
        (p.config_file.as_path(), p.data_dir.as_path()),
        (Path::new("/flag/c.toml"), Path::new("/flag/d"))
    );
    assert_eq!(p.history_db(), Path::new("/flag/d/history.db"));
}

#[test]
fn the_example_config_is_valid_and_complete() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config.example.toml"))
        .unwrap();
    let s = Setup::new(&text);
    let p = s.ok(&Overrides::default(), &[("ANTHROPIC_API_KEY", KEY)]);
    assert_eq!(p.name, "direct");
    for field in [
        "active_profile",
        "base_url",
        "api_key_env",
        "api_key_cmd",
        "api_key",
        "auth_token_env",
        "auth_header",
        "anthropic_version",
        "anthropic_beta",
        "default_model",
        "timeout_secs",
        "proxy",
        "no_proxy",
        "ca_file",
        "headers",
        "[keys]",
    ] {
        assert!(
            text.contains(field),
            "config.example.toml does not document {field}"
        );
    }
    // Its [keys] table is one the dashboard accepts.
    let path = s.dir.path().join("config.toml");
    let keys = claudetui::config::key_settings(&path).unwrap();
    assert_eq!(keys["replay"], vec!["r".to_string()]);
    claudetui::tui::keymap::Keymap::with_overrides(&keys, "config.example.toml").unwrap();
}

#[test]
fn a_relative_ca_file_is_found_next_to_the_config_file_and_tilde_is_home() {
    let s = Setup::new(
        "[profiles.r]\nca_file = \"certs/ca.pem\"\n[profiles.t]\nca_file = \"~/ca.pem\"\n",
    );
    std::fs::create_dir_all(s.dir.path().join("certs")).unwrap();
    std::fs::write(s.dir.path().join("certs/ca.pem"), "pem").unwrap();
    std::fs::write(s.dir.path().join("ca.pem"), "pem").unwrap();
    let p = s.ok(&flag_profile("r"), &[]);
    assert_eq!(p.ca_file.unwrap().value, s.dir.path().join("certs/ca.pem"));
    let home = s.dir.path().to_str().unwrap();
    let p = s.ok(&flag_profile("t"), &[("HOME", home)]);
    assert_eq!(p.ca_file.unwrap().value, s.dir.path().join("ca.pem"));
}

#[test]
fn all_proxy_from_the_environment_beats_the_file_without_profile() {
    let s = Setup::new("active_profile = \"p\"\n[profiles.p]\nproxy = \"http://file:1\"\n");
    let p = s.ok(&Overrides::default(), &[("ALL_PROXY", "socks5://env:2")]);
    assert_eq!(p.proxy.https.unwrap().value, "socks5://env:2");
    let p = s.ok(&flag_profile("p"), &[("ALL_PROXY", "socks5://env:2")]);
    assert_eq!(p.proxy.https.unwrap().value, "http://file:1");
}

#[test]
fn base_url_messages_mask_a_password() {
    let s = Setup::new("");
    let p = s.ok(
        &Overrides::default(),
        &[(
            "ANTHROPIC_BASE_URL",
            "https://user:hunter2secret@gw.example.com/v1",
        )],
    );
    assert!(
        p.warnings.iter().all(|w| !w.contains("hunter2secret")),
        "{:?}",
        p.warnings
    );
    let err = s
        .resolve(
            &Overrides::default(),
            &[("ANTHROPIC_BASE_URL", "ftp://user:hunter2secret@x")],
        )
        .unwrap_err();
    assert!(!err.to_string().contains("hunter2secret"), "{err}");
}
