//! Scenarios: what the embedded server injects. (Being written.)

use super::MockError;

#[derive(Debug, Clone, Default)]
pub struct Scenario {
    pub name: String,
}

impl Scenario {
    pub fn builtin_names() -> Vec<&'static str> {
        todo!()
    }
    pub fn load(_name_or_path: &str) -> Result<Scenario, MockError> {
        todo!()
    }
    pub fn describe(&self) -> String {
        todo!()
    }
}
