//! The doctor's steps against the embedded server (and against addresses
//! where nothing answers): every verdict, the fix it shows, and that no
//! report ever holds the key.

mod common;

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use claudetui::api::errors::FailureKind;
use claudetui::config::{Env, Overrides, Paths, resolve_profile};
use claudetui::doctor::{
    CheckRun, ClaudeCodeEnv, DoctorInput, StepId, StepReport, StepState, implemented, run_step,
    spawn_run,
};
use common::{Fixture, TEST_KEY, key_body};

const TIMEOUT: Duration = Duration::from_secs(5);

/// The input as the program would resolve it: the key in
/// `ANTHROPIC_API_KEY` (when given), the base URL from `--base-url`.
fn input(fixture: &Fixture, base_url: &str, key: Option<&str>, timeout: Duration) -> DoctorInput {
    let paths = Paths {
        config_file: fixture.config_file(),
        data_dir: fixture.data_dir(),
    };
    let env = Env::from_pairs(key.map(|k| ("ANTHROPIC_API_KEY", k)));
    let overrides = Overrides {
        base_url: Some(base_url.to_owned()),
        ..Overrides::default()
    };
    let profile = resolve_profile(&paths, &overrides, &env).expect("the profile resolves");
    DoctorInput {
        profile,
        paths,
        env,
        timeout,
        // No Claude Code files in the fixture's home: that step is skipped.
        claude_code: ClaudeCodeEnv::at(fixture.home.path(), fixture.home.path()),
        recent: Vec::new(),
        request: None,
    }
}

/// Runs every implemented step the way the dashboard does and returns the
/// final report of each.
fn run_all(fixture: &Fixture, input: DoctorInput) -> BTreeMap<StepId, StepReport> {
    fixture.runtime.block_on(async move {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        spawn_run(implemented().to_vec(), Arc::new(input), tx);
        let mut finals = BTreeMap::new();
        let mut running = 0;
        let deadline = TIMEOUT * 3;
        while finals.len() < implemented().len() {
            let report = tokio::time::timeout(deadline, rx.recv())
                .await
                .expect("every step reports within its timeout")
                .expect("the runner keeps the channel open until every step reported");
            if report.state == StepState::Running {
                assert!(finals.is_empty(), "Running reports come first");
                running += 1;
            } else {
                assert!(report.duration.is_some(), "{report:#?}");
                finals.insert(report.id, report);
            }
        }
        assert_eq!(running, implemented().len());
        finals
    })
}

/// No text of any report holds the key, and neither does its JSON.
fn assert_no_key(reports: &BTreeMap<StepId, StepReport>) {
    for report in reports.values() {
        for text in report.texts() {
            assert!(!text.contains(key_body()), "the key leaked: {text}");
        }
        let json = serde_json::to_string(report).unwrap();
        assert!(!json.contains(key_body()), "the key leaked: {json}");
    }
}

fn state(reports: &BTreeMap<StepId, StepReport>, id: StepId) -> StepState {
    reports[&id].state
}

fn fix(reports: &BTreeMap<StepId, StepReport>, id: StepId) -> &str {
    reports[&id]
        .fix
        .as_deref()
        .unwrap_or_else(|| panic!("{id:?} shows no fix: {:#?}", reports[&id]))
}

#[test]
fn a_good_key_passes_every_step() {
    let fixture = Fixture::start("default");
    let reports = run_all(
        &fixture,
        input(&fixture, &fixture.base_url, Some(TEST_KEY), TIMEOUT),
    );
    for id in implemented() {
        // No Claude Code files in the fixture's home: that step is skipped.
        let expected = if *id == StepId::ClaudeCode {
            StepState::Skipped
        } else {
            StepState::Pass
        };
        assert_eq!(state(&reports, *id), expected, "{:#?}", reports[id]);
        assert!(reports[id].fix.is_none());
    }
    let auth = &reports[&StepId::Authentication].finding;
    assert!(
        auth.starts_with("key accepted (sk-ant-…AAA-k9Zq")
            || auth.starts_with("key accepted (sk-ant-…k9Zq"),
        "{auth}"
    );
    assert!(
        auth.contains("environment variable ANTHROPIC_API_KEY"),
        "{auth}"
    );
    let reach = &reports[&StepId::Reachability];
    assert!(reach.finding.contains("/v1/models → 200"), "{reach:#?}");
    assert!(
        reach
            .evidence
            .iter()
            .any(|e| e.contains("/api/hello → 200")),
        "{reach:#?}"
    );
    assert!(
        reach.evidence.iter().any(|e| e.contains("body: {")),
        "{reach:#?}"
    );
    assert_no_key(&reports);
}

#[test]
fn a_refused_key_fails_authentication_with_the_servers_words() {
    let fixture = Fixture::start("invalid-key");
    let reports = run_all(
        &fixture,
        input(&fixture, &fixture.base_url, Some(TEST_KEY), TIMEOUT),
    );
    assert_eq!(state(&reports, StepId::Configuration), StepState::Pass);
    assert_eq!(state(&reports, StepId::Reachability), StepState::Pass);
    let auth = &reports[&StepId::Authentication];
    assert_eq!(auth.state, StepState::Fail, "{auth:#?}");
    assert!(
        auth.finding.contains("401 invalid x-api-key"),
        "{}",
        auth.finding
    );
    assert_eq!(
        fix(&reports, StepId::Authentication),
        FailureKind::Authentication.fix()
    );
    assert_no_key(&reports);
}

#[test]
fn a_region_block_is_called_that_with_the_supported_countries() {
    let fixture = Fixture::start("region-block");
    let reports = run_all(
        &fixture,
        input(&fixture, &fixture.base_url, Some(TEST_KEY), TIMEOUT),
    );
    let reach = &reports[&StepId::Reachability];
    assert_eq!(reach.state, StepState::Fail, "{reach:#?}");
    assert!(
        reach.finding.contains("Request not allowed"),
        "{}",
        reach.finding
    );
    assert!(reach.finding.contains("region"), "{}", reach.finding);
    let fix = fix(&reports, StepId::Reachability);
    assert!(fix.contains("supported-countries"), "{fix}");
    assert!(fix.contains("HTTPS_PROXY"), "{fix}");
    // The mock blocks Messages only: the key itself was accepted by
    // GET /v1/models, and the step says so rather than blaming the key.
    assert_eq!(state(&reports, StepId::Authentication), StepState::Pass);
    assert_no_key(&reports);
}

#[test]
fn no_key_says_where_to_put_one() {
    let fixture = Fixture::start("default");
    let reports = run_all(&fixture, input(&fixture, &fixture.base_url, None, TIMEOUT));
    for id in [StepId::Configuration, StepId::Authentication] {
        assert_eq!(state(&reports, id), StepState::Fail, "{:#?}", reports[&id]);
        let fix = fix(&reports, id);
        assert!(
            fix.contains("ANTHROPIC_API_KEY") && fix.contains("ANTHROPIC_AUTH_TOKEN"),
            "{fix}"
        );
        assert!(
            fix.contains(&fixture.config_file().display().to_string()),
            "{fix}"
        );
    }
    // The server still answers (401 without a key): it is reachable.
    assert_eq!(state(&reports, StepId::Reachability), StepState::Pass);
}

#[test]
fn connection_refused_is_named_and_authentication_is_skipped() {
    let fixture = Fixture::start("default");
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let base = format!("http://127.0.0.1:{port}");
    let reports = run_all(&fixture, input(&fixture, &base, Some(TEST_KEY), TIMEOUT));
    let reach = &reports[&StepId::Reachability];
    assert_eq!(reach.state, StepState::Fail, "{reach:#?}");
    assert!(
        reach.finding.contains("connection refused"),
        "{}",
        reach.finding
    );
    assert!(
        reach.finding.contains(&format!("127.0.0.1:{port}")),
        "{}",
        reach.finding
    );
    assert_eq!(
        fix(&reports, StepId::Reachability),
        FailureKind::ConnectionRefused.fix()
    );
    assert!(
        reach
            .evidence
            .iter()
            .any(|e| e.contains(FailureKind::ConnectionRefused.explanation()))
    );
    let auth = &reports[&StepId::Authentication];
    assert_eq!(auth.state, StepState::Skipped, "{auth:#?}");
    assert!(
        auth.finding.contains("could not be reached"),
        "{}",
        auth.finding
    );
    assert_eq!(state(&reports, StepId::Configuration), StepState::Pass);
    assert_no_key(&reports);
}

#[test]
fn an_unresolvable_host_fails_reachability_within_the_timeout() {
    let fixture = Fixture::start("default");
    // `.invalid` never resolves; should this machine's resolver hang
    // instead of answering, the short timeout must end the step.
    let timeout = Duration::from_secs(2);
    let input = input(
        &fixture,
        "http://nonexistent.invalid",
        Some(TEST_KEY),
        timeout,
    );
    let reports = run_all(&fixture, input);
    let reach = &reports[&StepId::Reachability];
    assert_eq!(reach.state, StepState::Fail, "{reach:#?}");
    let resolved = reach.finding.contains("does not resolve");
    let timed_out = reach.finding.contains("did not answer within 2 s");
    assert!(resolved || timed_out, "{}", reach.finding);
    assert!(
        reach.finding.contains("nonexistent.invalid"),
        "{}",
        reach.finding
    );
    let fix = fix(&reports, StepId::Reachability);
    if resolved {
        assert_eq!(fix, FailureKind::Dns.fix());
    } else {
        assert!(fix.contains("network path"), "{fix}");
    }
    assert!(reach.duration.unwrap() < timeout + Duration::from_secs(2));
    assert_ne!(state(&reports, StepId::Authentication), StepState::Pass);
    assert_no_key(&reports);
}

#[test]
fn a_base_url_ending_in_v1_explains_the_doubling() {
    let fixture = Fixture::start("default");
    let base = format!("{}/v1", fixture.base_url);
    let reports = run_all(&fixture, input(&fixture, &base, Some(TEST_KEY), TIMEOUT));
    let config = &reports[&StepId::Configuration];
    assert_eq!(config.state, StepState::Warn, "{config:#?}");
    assert!(
        config.finding.contains("/v1/v1/messages"),
        "{}",
        config.finding
    );
    assert!(fix(&reports, StepId::Configuration).contains("Drop the /v1"));
    // Said once, though resolution warned about it too.
    let mentions = config.texts().filter(|t| t.contains("/v1/v1")).count();
    assert_eq!(mentions, 1, "{config:#?}");
    let reach = &reports[&StepId::Reachability];
    assert_eq!(reach.state, StepState::Warn, "{reach:#?}");
    assert!(
        reach
            .finding
            .contains("/v1/v1/models?limit=1000 answered 404"),
        "{}",
        reach.finding
    );
    assert_eq!(
        fix(&reports, StepId::Reachability),
        FailureKind::PathNotFound.fix()
    );
    assert_no_key(&reports);
}

#[test]
fn a_key_with_a_trailing_newline_fails_before_anything_is_sent() {
    let fixture = Fixture::start("default");
    let key = format!("{TEST_KEY}\n");
    let reports = run_all(
        &fixture,
        input(&fixture, &fixture.base_url, Some(&key), TIMEOUT),
    );
    let config = &reports[&StepId::Configuration];
    assert_eq!(config.state, StepState::Fail, "{config:#?}");
    assert!(
        config.finding.contains("ends with a newline"),
        "{}",
        config.finding
    );
    assert!(fix(&reports, StepId::Configuration).contains("without the trailing newline"));
    let auth = &reports[&StepId::Authentication];
    assert_eq!(auth.state, StepState::Fail, "{auth:#?}");
    assert!(auth.finding.contains("cannot be sent"), "{}", auth.finding);
    assert!(fix(&reports, StepId::Authentication).contains("without spaces, quotes or a newline"));
    // The unauthenticated probe still shows the server answers.
    assert_eq!(state(&reports, StepId::Reachability), StepState::Pass);
    assert_no_key(&reports);
}

#[test]
fn a_quoted_key_fails_configuration() {
    let fixture = Fixture::start("default");
    let key = format!("\"{TEST_KEY}\"");
    let reports = run_all(
        &fixture,
        input(&fixture, &fixture.base_url, Some(&key), TIMEOUT),
    );
    let config = &reports[&StepId::Configuration];
    assert_eq!(config.state, StepState::Fail, "{config:#?}");
    assert!(
        config.finding.contains("wrapped in quotes"),
        "{}",
        config.finding
    );
    assert!(fix(&reports, StepId::Configuration).contains("without the quotes"));
    assert_no_key(&reports);
}

#[test]
fn run_step_and_check_run_work_one_step_at_a_time() {
    let fixture = Fixture::start("invalid-key");
    let input = input(&fixture, &fixture.base_url, Some(TEST_KEY), TIMEOUT);
    let alone = fixture
        .runtime
        .block_on(run_step(StepId::Authentication, &input));
    assert_eq!(alone.state, StepState::Fail);
    let run = CheckRun::new(Arc::new(input));
    let (reach, auth) = fixture.runtime.block_on(async {
        tokio::join!(
            run.run_step(StepId::Reachability),
            run.run_step(StepId::Authentication)
        )
    });
    assert_eq!(reach.state, StepState::Pass);
    assert_eq!(auth.state, StepState::Fail);
    assert_eq!(auth.finding, alone.finding);
    // A step this version does not check (if any is left) is skipped,
    // with the reason.
    if let Some(later) = StepId::ALL.iter().find(|id| !implemented().contains(id)) {
        let later = fixture.runtime.block_on(run.run_step(*later));
        assert_eq!(later.state, StepState::Skipped);
        assert!(later.finding.contains("not checked"), "{}", later.finding);
    }
}

#[test]
fn recent_exchanges_given_by_the_caller_are_judged_for_billing_and_rate_limits() {
    let fixture = Fixture::start("credit-balance");
    fixture.send(&["-"], common::HELLO).expect_code(1);
    let (store, _) = claudetui::store::Store::open(&fixture.data_dir().join("history.db"))
        .expect("the history store opens");
    let recent = store
        .load(&claudetui::store::ListQuery {
            limit: Some(200),
            ..Default::default()
        })
        .expect("history loads");
    assert_eq!(recent.len(), 1);
    let mut with_history = input(&fixture, &fixture.base_url, Some(TEST_KEY), TIMEOUT);
    with_history.recent = recent;
    let reports = run_all(&fixture, with_history);
    let billing = &reports[&StepId::Billing];
    assert_eq!(billing.state, StepState::Fail, "{billing:#?}");
    assert!(
        billing.finding.starts_with("billing, not the request"),
        "{}",
        billing.finding
    );
    assert!(fix(&reports, StepId::Billing).starts_with(FailureKind::Billing.fix()));
    assert_no_key(&reports);
    // Without the history, nothing points at billing: the probe's own
    // requests do not hit the fault.
    let reports = run_all(
        &fixture,
        input(&fixture, &fixture.base_url, Some(TEST_KEY), TIMEOUT),
    );
    assert_eq!(state(&reports, StepId::Billing), StepState::Pass);
}
