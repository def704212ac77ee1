//! Export one exchange as a curl command or HAR 1.2. (Being written.)

use crate::exchange::Exchange;

pub fn to_curl(_exchange: &Exchange) -> String {
    todo!()
}

pub fn to_har(_exchanges: &[Exchange]) -> serde_json::Value {
    todo!()
}
