//! Random-looking identifiers in the API's shapes.

use rand::RngExt;

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const BASE64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// The fake organisation every response names in `anthropic-organization-id`.
pub const ORGANIZATION_ID: &str = "c1a0d7e5-4b2f-4e8a-9d3c-7f6e5a4b3c2d";

fn random_chars(alphabet: &[u8], len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| {
            let i = rng.random_range(0..alphabet.len());
            alphabet.get(i).copied().map_or('0', char::from)
        })
        .collect()
}

/// `req_` and 24 base62 characters, as in the `request-id` header.
pub fn request_id() -> String {
    format!("req_{}", random_chars(BASE62, 24))
}

/// `msg_01…`, as the API's message ids look.
pub fn message_id() -> String {
    format!("msg_01{}", random_chars(BASE62, 22))
}

/// `toolu_01…`, as the API's tool-use ids look.
pub fn tool_use_id() -> String {
    format!("toolu_01{}", random_chars(BASE62, 22))
}

/// `msgbatch_01…`, as the API's Message Batch ids look.
pub fn message_batch_id() -> String {
    format!("msgbatch_01{}", random_chars(BASE62, 22))
}

/// `file_011C…`, as the API's file ids look.
pub fn file_id() -> String {
    format!("file_011C{}", random_chars(BASE62, 20))
}

/// A thinking block's opaque signature (base64-looking).
pub fn signature() -> String {
    format!("{}==", random_chars(BASE64, 126))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_the_api_shapes() {
        let table = [
            (request_id(), "req_", 28),
            (message_id(), "msg_01", 28),
            (tool_use_id(), "toolu_01", 30),
            (message_batch_id(), "msgbatch_01", 33),
            (file_id(), "file_011C", 29),
        ];
        for (id, prefix, len) in table {
            assert!(id.starts_with(prefix), "{id}");
            assert_eq!(id.len(), len, "{id}");
            assert!(id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
        }
        assert_ne!(request_id(), request_id());
        assert!(signature().ends_with("=="));
    }
}
