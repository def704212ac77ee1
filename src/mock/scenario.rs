//! Scenarios: what the embedded server injects. (Being written.)

#[derive(Debug, Clone, Default)]
pub struct Scenario {
    pub name: String,
}
