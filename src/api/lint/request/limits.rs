//! Phase 5: limits the API enforces across the whole request, caught
//! before sending: cache breakpoints, image sizes and formats, the
//! context window with `max_tokens`, a model id with stray spaces.

use serde_json::Value;

use super::super::tokens::estimate_fields;
use super::{At, Checker, top};
use crate::api::lint::Endpoint;

/// The API's limit on `cache_control` breakpoints in one request.
pub const MAX_CACHE_BREAKPOINTS: usize = 4;

/// The API's limit on one base64 image, decoded.
pub const MAX_IMAGE_BYTES: usize = 5 * 1024 * 1024;

impl Checker<'_> {
    pub(super) fn limit_rules(&mut self) {
        self.model_spaces();
        self.cache_breakpoints();
        self.images();
        self.context_with_max_tokens();
    }

    /// `"model": "claude-sonnet-4-5 "`: the API looks the id up as typed.
    fn model_spaces(&mut self) {
        let Some(id) = self.model_id() else { return };
        if id != id.trim() && !id.trim().is_empty() {
            self.error(
                &top("model"),
                format!("{id:?} has spaces or a line break around it"),
                format!("Use \"{}\" without the surrounding whitespace.", id.trim()),
            );
        }
    }

    /// Every block that carries `cache_control`, in the order the API
    /// counts them (tools, system, messages).
    fn cache_breakpoints(&mut self) {
        let mut marked: Vec<At> = Vec::new();
        let mut visit = |at: At, blocks: &[Value]| {
            for (i, block) in blocks.iter().enumerate() {
                if block.get("cache_control").is_some_and(|c| !c.is_null()) {
                    marked.push(at.idx(i));
                }
            }
        };
        if let Some(tools) = self.present("tools").and_then(Value::as_array) {
            visit(top("tools"), tools);
        }
        if let Some(system) = self.present("system").and_then(Value::as_array) {
            visit(top("system"), system);
        }
        if let Some(messages) = self.present("messages").and_then(Value::as_array) {
            for (i, message) in messages.iter().enumerate() {
                if let Some(content) = message.get("content").and_then(Value::as_array) {
                    visit(top("messages").idx(i).key("content"), content);
                }
            }
        }
        if marked.len() > MAX_CACHE_BREAKPOINTS {
            let at = marked[MAX_CACHE_BREAKPOINTS].key("cache_control");
            self.error_at(
                &At::default(),
                &at,
                format!(
                    "A maximum of {MAX_CACHE_BREAKPOINTS} blocks with cache_control may be provided. Found {}.",
                    marked.len()
                ),
                format!(
                    "Keep at most {MAX_CACHE_BREAKPOINTS} cache_control breakpoints (one at the end of what stays the same is usually enough): remove {}.",
                    marked.len() - MAX_CACHE_BREAKPOINTS
                ),
            );
        }
    }

    /// Base64 images: at most 5 MB decoded, and bytes of the declared type.
    fn images(&mut self) {
        let Some(messages) = self.present("messages").and_then(Value::as_array) else {
            return;
        };
        for (i, message) in messages.iter().enumerate() {
            let Some(content) = message.get("content").and_then(Value::as_array) else {
                continue;
            };
            for (j, block) in content.iter().enumerate() {
                let at = top("messages").idx(i).key("content").idx(j);
                self.image_limits(&at, block);
            }
        }
    }

    fn image_limits(&mut self, at: &At, block: &Value) {
        if block.get("type").and_then(Value::as_str) != Some("image") {
            return;
        }
        let Some(source) = block.get("source") else {
            return;
        };
        if source.get("type").and_then(Value::as_str) != Some("base64") {
            return;
        }
        let Some(data) = source.get("data").and_then(Value::as_str) else {
            return;
        };
        let data_at = at.key("source").key("data");
        let api_path = format!("{}.image.source.base64", at.dotted());
        let bytes = decoded_len(data);
        if bytes > MAX_IMAGE_BYTES {
            self.error_at(
                &At::default(),
                &data_at,
                format!("{api_path}: image exceeds 5 MB maximum: {bytes} bytes > {MAX_IMAGE_BYTES} bytes"),
                "Shrink the image (scale it down or re-encode it as JPEG) below 5 MB, or send it by URL or through the Files API.",
            );
        }
        let declared = source.get("media_type").and_then(Value::as_str);
        let real = crate::api::images::sniff_base64(data);
        if real.is_none() && bytes <= MAX_IMAGE_BYTES {
            // No signature of the four formats the API decodes: an empty
            // or corrupt file, or an HTML page saved as .png.
            self.error_at(
                &At::default(),
                &data_at,
                format!("{api_path}.data: Could not process image"),
                "Its first bytes are no JPEG, PNG, GIF or WebP (an empty or corrupt file, or a page saved under an image name): send a real image, or drop the block.",
            );
            return;
        }
        if let (Some(declared), Some(real)) = (declared, real)
            && declared != real
        {
            self.error_at(
                &At::default(),
                &data_at,
                format!("{api_path}.data: Image does not match the provided media type {declared}"),
                format!("Its bytes are {real}: set media_type to \"{real}\", or convert the image to {declared}."),
            );
        }
    }

    /// The estimated input plus `max_tokens` against the context window.
    /// The input is estimated, so this is a warning; over the window on
    /// input alone is the error `context_rule` gives.
    fn context_with_max_tokens(&mut self) {
        let Some(spec) = self.model else { return };
        if self.options.endpoint != Endpoint::Messages {
            return;
        }
        let Some(max_tokens) = self.present("max_tokens").and_then(Value::as_u64) else {
            return;
        };
        if self.present("messages").and_then(Value::as_array).is_none() {
            return;
        }
        let input = estimate_fields(self.body);
        let window = spec.context_window;
        if input <= window && input.saturating_add(max_tokens) > window {
            self.warning(
                &top("max_tokens"),
                400,
                format!(
                    "input length and `max_tokens` exceed context limit: about {input} + {max_tokens} > {window}"
                ),
                format!(
                    "Lower max_tokens to {} or less (the input is about {input} tokens by estimate; POST /v1/messages/count_tokens counts it exactly), or shorten the input.",
                    window - input
                ),
            );
        }
    }
}

/// How many bytes base64 `data` decodes to, without decoding it.
fn decoded_len(data: &str) -> usize {
    let significant = data.bytes().filter(|b| !b.is_ascii_whitespace()).count();
    let padding = data
        .trim_end()
        .bytes()
        .rev()
        .take_while(|b| *b == b'=')
        .count();
    (significant / 4 * 3 + (significant % 4).saturating_sub(1)).saturating_sub(padding)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoded_length_counts_padding() {
        assert_eq!(decoded_len("aGVsbG8="), 5);
        assert_eq!(decoded_len("aGVsbG8h"), 6);
        assert_eq!(decoded_len("aGk="), 2);
        assert_eq!(decoded_len("aGVs\nbG8="), 5);
    }
}
