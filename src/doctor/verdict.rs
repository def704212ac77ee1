//! Turning a step's problems and evidence into one [`StepReport`]: the
//! worst problem decides the state and gives the finding; every other
//! problem becomes an evidence line, and the fixes are kept in order.

use super::{StepId, StepReport, StepState};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Severity {
    Warn,
    Fail,
}

#[derive(Debug, Clone)]
struct Problem {
    severity: Severity,
    finding: String,
    fix: Option<String>,
}

/// What a step has found so far.
#[derive(Debug, Default)]
pub(super) struct Verdict {
    problems: Vec<Problem>,
    pub evidence: Vec<String>,
}

impl Verdict {
    pub fn evidence(&mut self, line: impl Into<String>) {
        self.evidence.push(line.into());
    }

    pub fn fail(&mut self, finding: impl Into<String>, fix: impl Into<String>) {
        self.problem(Severity::Fail, finding.into(), Some(fix.into()));
    }

    pub fn warn(&mut self, finding: impl Into<String>, fix: impl Into<String>) {
        self.problem(Severity::Warn, finding.into(), Some(fix.into()));
    }

    /// A warning whose words already say what to do (a profile warning).
    pub fn warn_without_fix(&mut self, finding: impl Into<String>) {
        self.problem(Severity::Warn, finding.into(), None);
    }

    fn problem(&mut self, severity: Severity, finding: String, fix: Option<String>) {
        self.problems.push(Problem {
            severity,
            finding,
            fix,
        });
    }

    /// The report: `passed` is the finding when nothing is wrong.
    pub fn report(self, id: StepId, passed: impl Into<String>) -> StepReport {
        let mut problems = self.problems;
        // Stable: among equals, the order the checks ran in is kept.
        problems.sort_by_key(|p| std::cmp::Reverse(p.severity));
        let Some(worst) = problems.first() else {
            return StepReport {
                id,
                state: StepState::Pass,
                finding: passed.into(),
                evidence: self.evidence,
                fix: None,
                duration: None,
            };
        };
        let state = match worst.severity {
            Severity::Fail => StepState::Fail,
            Severity::Warn => StepState::Warn,
        };
        let finding = match problems.len() {
            1 => worst.finding.clone(),
            n => format!("{} (and {} more)", worst.finding, n - 1),
        };
        let mut evidence: Vec<String> = problems
            .iter()
            .skip(1)
            .map(|p| {
                let mark = match p.severity {
                    Severity::Fail => StepState::Fail.icon(),
                    Severity::Warn => StepState::Warn.icon(),
                };
                format!("{mark} {}", p.finding)
            })
            .collect();
        evidence.extend(self.evidence);
        let mut fixes: Vec<&str> = Vec::new();
        for fix in problems.iter().filter_map(|p| p.fix.as_deref()) {
            if !fixes.contains(&fix) {
                fixes.push(fix);
            }
        }
        StepReport {
            id,
            state,
            finding,
            evidence,
            fix: (!fixes.is_empty()).then(|| fixes.join(" ")),
            duration: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_wrong_is_a_pass_with_the_evidence() {
        let mut v = Verdict::default();
        v.evidence("key: sk-ant-…a1b2");
        let r = v.report(StepId::Configuration, "all good");
        assert_eq!(r.state, StepState::Pass);
        assert_eq!(r.finding, "all good");
        assert_eq!(r.evidence, ["key: sk-ant-…a1b2"]);
        assert_eq!(r.fix, None);
    }

    #[test]
    fn the_worst_problem_leads_and_fixes_are_not_repeated() {
        let mut v = Verdict::default();
        v.evidence("e1");
        v.warn("w1", "fix A");
        v.fail("f1", "fix B");
        v.warn("w2", "fix A");
        v.warn_without_fix("w3");
        let r = v.report(StepId::Configuration, "unused");
        assert_eq!(r.state, StepState::Fail);
        assert_eq!(r.finding, "f1 (and 3 more)");
        assert_eq!(r.evidence, ["! w1", "! w2", "! w3", "e1"]);
        assert_eq!(r.fix.as_deref(), Some("fix B fix A"));
    }
}
