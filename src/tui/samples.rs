//! The sample requests shipped in `assets/requests/`, embedded in the
//! binary so the composer can offer them anywhere (`Ctrl-O`). Each is a
//! valid Messages request except the one named broken on purpose, which
//! shows what lint and a 400 look like.

/// One embedded sample request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    /// The file name under `assets/requests/`; also the composer's origin.
    pub name: &'static str,
    /// One line saying what the sample shows (JSON has no comments, so the
    /// description lives here).
    pub description: &'static str,
    pub body: &'static str,
}

macro_rules! samples {
    ($( $file:literal => $description:literal ),* $(,)?) => {
        static SAMPLES: &[Sample] = &[$(
            Sample {
                name: $file,
                description: $description,
                body: include_str!(concat!("../../assets/requests/", $file)),
            }
        ),*];
    };
}

samples! {
    "hello.json" => "Say hello: the smallest streaming request",
    "streaming-system.json" => "Streaming with a system prompt and a temperature",
    "tool-use.json" => "Tool use: a weather tool with an input_schema",
    "extended-thinking.json" => "Extended thinking: budget_tokens below max_tokens",
    "tool-result-conversation.json" => "Multi-turn: tool_use answered by a tool_result",
    "broken-on-purpose.json" => "Broken on purpose: a max_token typo and empty content (lint, 400)",
}

/// Every sample, the default first.
pub fn all() -> &'static [Sample] {
    SAMPLES
}

/// The sample the composer starts with.
pub fn default_sample() -> &'static Sample {
    &SAMPLES[0]
}

/// The sample with this file name.
pub fn find(name: &str) -> Option<&'static Sample> {
    SAMPLES.iter().find(|s| s.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::lint::{self, Severity};

    fn problems(sample: &Sample) -> Vec<lint::Problem> {
        let value = lint::parse_json(sample.body)
            .unwrap_or_else(|e| panic!("{} is not valid JSON: {e}", sample.name));
        lint::validate_messages_request(&value)
    }

    #[test]
    fn every_sample_but_the_broken_one_passes_lint() {
        for sample in all().iter().filter(|s| s.name != "broken-on-purpose.json") {
            let errors: Vec<_> = problems(sample)
                .into_iter()
                .filter(|p| p.severity == Severity::Error)
                .collect();
            assert!(errors.is_empty(), "{}: {errors:#?}", sample.name);
        }
    }

    #[test]
    fn the_broken_sample_has_the_expected_errors() {
        let sample = find("broken-on-purpose.json").expect("listed");
        let messages: Vec<String> = problems(sample)
            .iter()
            .filter(|p| p.is_error())
            .map(lint::Problem::api_message)
            .collect();
        let has = |text: &str| messages.iter().any(|m| m.contains(text));
        assert!(has("max_tokens: Field required"), "{messages:#?}");
        assert!(
            has("max_token: Extra inputs are not permitted"),
            "{messages:#?}"
        );
        assert!(has("non-empty"), "{messages:#?}");
    }

    #[test]
    fn names_are_unique_and_descriptions_one_line() {
        for (i, sample) in all().iter().enumerate() {
            assert!(!sample.description.contains('\n'));
            assert!(all()[..i].iter().all(|s| s.name != sample.name));
        }
        assert_eq!(default_sample().name, "hello.json");
    }

    #[test]
    fn the_thinking_sample_uses_a_model_with_manual_thinking() {
        use crate::api::models::{self, ThinkingModes};
        let sample = find("extended-thinking.json").expect("listed");
        let value: serde_json::Value = serde_json::from_str(sample.body).expect("json");
        let spec = models::lookup(value["model"].as_str().unwrap_or_default()).expect("known");
        assert!(matches!(
            spec.thinking,
            ThinkingModes::Manual | ThinkingModes::ManualAndAdaptive
        ));
        assert!(value["thinking"]["budget_tokens"].as_u64() < value["max_tokens"].as_u64());
    }
}
