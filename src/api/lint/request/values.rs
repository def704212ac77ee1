//! Phase 2: each field's type and range, in pydantic's words.

use serde_json::{Map, Value};

use super::rules::EMPTY_TEXT_BLOCK;
use super::{
    At, Checker, FIELDS, MIN_THINKING_BUDGET, TOOL_NAME_MAX, TOOL_NAME_PATTERN, tag_mismatch, top,
};

const MESSAGE_BLOCK_TYPES: &[&str] = &[
    "text",
    "image",
    "document",
    "search_result",
    "thinking",
    "redacted_thinking",
    "tool_use",
    "tool_result",
    "server_tool_use",
    "web_search_tool_result",
    "web_fetch_tool_result",
    "code_execution_tool_result",
    "bash_code_execution_tool_result",
    "text_editor_code_execution_tool_result",
    "tool_search_tool_result",
    "container_upload",
    // Beta block types (`?beta=true` with the matching anthropic-beta header).
    "advisor_tool_result",
    "compaction",
    "fallback",
    "mcp_tool_listing",
    "mcp_tool_result",
    "mcp_tool_use",
    "tool_addition",
    "tool_removal",
];

const TOOL_RESULT_BLOCK_TYPES: &[&str] = &[
    "text",
    "image",
    "search_result",
    "document",
    "tool_reference",
    "browser_state",
];

/// Server tool types without a date suffix; dated ones (`web_search_20250305`)
/// are recognised by their shape.
const UNDATED_SERVER_TOOLS: &[&str] = &[
    "tool_search_tool_bm25",
    "tool_search_tool_regex",
    "mcp_toolset",
];

impl Checker<'_> {
    // ----- phase 2: each field's type and range ----------------------------

    pub(super) fn field_values(&mut self) {
        for field in FIELDS {
            if !self.is_known_field(field.name) {
                continue;
            }
            if let Some(value) = self.body.get(field.name) {
                self.field_value(field.name, &top(field.name), value);
            }
        }
    }

    fn field_value(&mut self, name: &str, at: &At, value: &Value) {
        match name {
            "max_tokens" => self.max_tokens(at, value),
            "messages" => self.messages(at, value),
            "model" => self.model_name(at, value),
            "cache_control" => self.cache_control(at, value),
            "container" => self.container(at, value),
            "metadata" => self.metadata(at, value),
            "output_config" => self.output_config(at, value),
            "service_tier" => self.service_tier(at, value),
            "speed" => self.speed(at, value),
            "stop_sequences" => self.stop_sequences(at, value),
            "stream" => self.stream(at, value),
            "system" => self.system(at, value),
            "temperature" => self.temperature(at, value),
            "thinking" => self.thinking(at, value),
            "tool_choice" => self.tool_choice(at, value),
            "tools" => self.tools(at, value),
            "top_k" => self.top_k(at, value),
            "top_p" => self.top_p(at, value),
            "user_profile_id" | "workspace_id" => self.string_field(at, value),
            "inference_geo" | "fallback_credit_token" => self.string_or_null(at, value),
            "mcp_servers" => self.list_field(at, value),
            "fallbacks" => {}
            _ => self.object_or_null(at, value),
        }
    }

    fn string_field(&mut self, at: &At, value: &Value) {
        self.string(at, value);
    }

    fn string_or_null(&mut self, at: &At, value: &Value) {
        if !value.is_null() {
            self.string(at, value);
        }
    }

    fn object_or_null(&mut self, at: &At, value: &Value) {
        if !value.is_null() {
            self.object(at, value, "Use a JSON object.");
        }
    }

    fn list_field(&mut self, at: &At, value: &Value) {
        self.list(at, value, "Use a JSON list [...].");
    }

    fn max_tokens(&mut self, at: &At, value: &Value) {
        let Some(n) = self.int(at, value) else { return };
        if n < 0 {
            self.error(
                at,
                "Input should be greater than or equal to 0",
                "Use a positive number such as 1024.",
            );
        } else if n == 0 {
            self.warning(at, 200, "0 only warms the prompt cache; nothing is generated", "With 0 the API only warms the prompt cache and generates nothing; use a positive number to get an answer.");
        }
    }

    fn model_name(&mut self, at: &At, value: &Value) {
        if !value.is_string() {
            self.error(
                at,
                "Input should be a valid string",
                "Use a model id in quotes, e.g. \"claude-sonnet-4-6\".",
            );
        }
    }

    fn metadata(&mut self, at: &At, value: &Value) {
        let Some(map) = self.object(at, value, "Use {\"user_id\": \"an opaque id\"}.") else {
            return;
        };
        for (key, value) in map {
            if key == "user_id" {
                self.string_or_null(&at.key(key), value);
            } else {
                self.error(
                    &at.key(key),
                    "Extra inputs are not permitted",
                    "metadata takes only \"user_id\".",
                );
            }
        }
    }

    fn service_tier(&mut self, at: &At, value: &Value) {
        self.literal(
            at,
            value,
            &["auto", "standard_only"],
            "Use \"auto\" (priority capacity when available) or \"standard_only\".",
        );
    }

    fn speed(&mut self, at: &At, value: &Value) {
        if !value.is_null() {
            self.literal(
                at,
                value,
                &["standard", "fast"],
                "Use \"standard\" or \"fast\".",
            );
        }
    }

    fn stop_sequences(&mut self, at: &At, value: &Value) {
        let fix = if value.is_string() {
            "Wrap the string in a list: [\"…\"]."
        } else {
            "Use a list of strings."
        };
        let Some(items) = self.list(at, value, fix) else {
            return;
        };
        for (i, item) in items.iter().enumerate() {
            self.string(&at.idx(i), item);
        }
    }

    fn stream(&mut self, at: &At, value: &Value) {
        self.boolean(at, value);
    }

    fn temperature(&mut self, at: &At, value: &Value) {
        if value.is_null() {
            return;
        }
        if let Some(t) = self.number(at, value) {
            self.range(
                at,
                t,
                0.0,
                Some(1.0),
                "Anthropic's temperature runs from 0.0 to 1.0 (OpenAI's runs to 2.0).",
            );
        }
    }

    fn top_p(&mut self, at: &At, value: &Value) {
        if value.is_null() {
            return;
        }
        if let Some(p) = self.number(at, value) {
            self.range(at, p, 0.0, Some(1.0), "top_p runs from 0.0 to 1.0.");
        }
    }

    fn top_k(&mut self, at: &At, value: &Value) {
        if value.is_null() {
            return;
        }
        if let Some(k) = self.int(at, value) {
            self.range(
                at,
                k as f64,
                0.0,
                None,
                "top_k is a count of tokens: 0 or more.",
            );
        }
    }

    fn cache_control(&mut self, at: &At, value: &Value) {
        if value.is_null() {
            return;
        }
        let Some(map) = self.object(at, value, "Use {\"type\": \"ephemeral\"}.") else {
            return;
        };
        if let Some(kind) = self.required(at, map, "type", "Add \"type\": \"ephemeral\".") {
            self.literal(&at.key("type"), kind, &["ephemeral"], "Use \"ephemeral\".");
        }
        if let Some(ttl) = map.get("ttl") {
            self.literal(&at.key("ttl"), ttl, &["5m", "1h"], "Use \"5m\" or \"1h\".");
        }
    }

    fn container(&mut self, at: &At, value: &Value) {
        if !(value.is_null() || value.is_string() || value.is_object()) {
            self.error(
                at,
                "Input should be a valid string",
                "Use a container id, or an object.",
            );
        }
    }

    fn output_config(&mut self, at: &At, value: &Value) {
        let Some(map) = self.object(
            at,
            value,
            "Use {\"effort\": \"high\"} and/or {\"format\": {…}}.",
        ) else {
            return;
        };
        if let Some(effort) = map.get("effort").filter(|v| !v.is_null()) {
            self.literal(
                &at.key("effort"),
                effort,
                &["low", "medium", "high", "xhigh", "max"],
                "Pick one of the effort levels.",
            );
        }
        if let Some(format) = map.get("format").filter(|v| !v.is_null()) {
            let at = at.key("format");
            let Some(format) = self.object(
                &at,
                format,
                "Use {\"type\": \"json_schema\", \"schema\": {…}}.",
            ) else {
                return;
            };
            if self
                .tag(
                    &at,
                    format,
                    &["json_schema"],
                    "Use {\"type\": \"json_schema\", \"schema\": {…}}.",
                )
                .is_some()
                && let Some(schema) = self.required(
                    &at,
                    format,
                    "schema",
                    "Add \"schema\": a JSON schema object.",
                )
            {
                self.object(&at.key("schema"), schema, "The schema is a JSON object.");
            }
        }
    }

    fn system(&mut self, at: &At, value: &Value) {
        match value {
            Value::String(_) => {}
            Value::Array(blocks) => {
                for (i, block) in blocks.iter().enumerate() {
                    self.system_block(&at.idx(i), block);
                }
            }
            Value::Object(_) => {
                self.error(at, "Input should be a valid list", "Wrap the block in a list: \"system\": [{\"type\": \"text\", \"text\": \"…\"}], or use a plain string.");
            }
            _ => {
                self.error(
                    at,
                    "Input should be a valid string",
                    "Use a string, or a list of {\"type\": \"text\", \"text\": \"…\"} blocks.",
                );
            }
        }
    }

    fn system_block(&mut self, at: &At, block: &Value) {
        let Some(map) = self.object(
            at,
            block,
            "Each system block is {\"type\": \"text\", \"text\": \"…\"}.",
        ) else {
            return;
        };
        if self
            .tag(
                at,
                map,
                &["text"],
                "System blocks are text only: {\"type\": \"text\", \"text\": \"…\"}.",
            )
            .is_none()
        {
            return;
        }
        if let Some(text) = self.required(at, map, "text", "Add \"text\": the instructions.")
            && self.string(&at.key("text"), text) == Some("")
            // A system-role message's blocks are checked with the messages.
            && at.0.first() == top("system").0.first()
        {
            // unverified: the path the API names for a system block.
            self.error_at(
                &top("system"),
                &at.key("text"),
                EMPTY_TEXT_BLOCK,
                "Remove the empty system block or give it text.",
            );
        }
        if let Some(cache) = map.get("cache_control") {
            self.cache_control(&at.key("cache_control"), cache);
        }
    }

    fn thinking(&mut self, at: &At, value: &Value) {
        let fix = "Use {\"type\": \"adaptive\"}, {\"type\": \"enabled\", \"budget_tokens\": 2048} or {\"type\": \"disabled\"}.";
        let Some(map) = self.object(at, value, fix) else {
            return;
        };
        let Some(kind) = self.tag(
            at,
            map,
            &["enabled", "disabled", "adaptive", "between_tools"],
            fix,
        ) else {
            return;
        };
        if let Some(display) = map.get("display").filter(|v| !v.is_null()) {
            self.literal(
                &at.key("display"),
                display,
                &["summarized", "omitted"],
                "Use \"summarized\" or \"omitted\".",
            );
        }
        if kind != "enabled" {
            return;
        }
        let budget_at = at.key("budget_tokens");
        let Some(budget) = self.required(
            at,
            map,
            "budget_tokens",
            "Add \"budget_tokens\": at least 1024 and less than max_tokens.",
        ) else {
            return;
        };
        if let Some(budget) = self.int(&budget_at, budget)
            && budget < MIN_THINKING_BUDGET
        {
            self.error(
                &budget_at,
                "Input should be greater than or equal to 1024",
                "Set budget_tokens to 1024 or more (and keep max_tokens above it).",
            );
        }
    }

    fn tool_choice(&mut self, at: &At, value: &Value) {
        let fix = match value.as_str() {
            Some("required") => "OpenAI's \"required\" is {\"type\": \"any\"} here.".to_string(),
            Some(s) => format!("Use an object: {{\"type\": \"{s}\"}}."),
            None => "Use {\"type\": \"auto\"}, {\"type\": \"any\"}, {\"type\": \"none\"} or {\"type\": \"tool\", \"name\": \"…\"}.".to_string(),
        };
        let Some(map) = self.object(at, value, &fix) else {
            return;
        };
        let tags = ["auto", "any", "tool", "none"];
        let Some(kind) = self.tag(
            at,
            map,
            &tags,
            "Use \"auto\", \"any\", \"tool\" (with \"name\") or \"none\".",
        ) else {
            return;
        };
        if kind == "tool"
            && let Some(name) = self.required(at, map, "name", "Add \"name\": the tool to force.")
        {
            self.string(&at.key("name"), name);
        }
        if let Some(flag) = map.get("disable_parallel_tool_use") {
            self.boolean(&at.key("disable_parallel_tool_use"), flag);
        }
    }

    fn tools(&mut self, at: &At, value: &Value) {
        let Some(tools) = self.list(at, value, "Use a list of tool definitions.") else {
            return;
        };
        for (i, tool) in tools.iter().enumerate() {
            self.tool(&at.idx(i), tool);
        }
    }

    fn tool(&mut self, at: &At, tool: &Value) {
        let Some(map) = self.object(
            at,
            tool,
            "A tool is {\"name\", \"description\", \"input_schema\"}.",
        ) else {
            return;
        };
        match map.get("type") {
            None | Some(Value::Null) => self.custom_tool(&at.key("custom"), at, map),
            Some(Value::String(kind)) if kind == "custom" => {
                self.custom_tool(&at.key("custom"), at, map)
            }
            Some(Value::String(kind)) if is_server_tool(kind) => {}
            Some(Value::String(kind)) => {
                let fix = if kind == "function" || map.contains_key("function") {
                    self.with_openai_hint("OpenAI's {\"type\": \"function\", \"function\": {…}} becomes {\"name\", \"description\", \"input_schema\"} here.")
                } else {
                    "Leave \"type\" out for your own tools; server tools use a dated type such as \"web_search_20250305\".".to_string()
                };
                let expected = [
                    "custom",
                    "bash_20250124",
                    "code_execution_20250825",
                    "memory_20250818",
                    "text_editor_20250728",
                    "web_fetch_20250910",
                    "web_search_20250305",
                ];
                self.error(at, tag_mismatch(kind, &expected), fix);
            }
            Some(_) => self.error(
                &at.key("type"),
                "Input should be a valid string",
                "Leave \"type\" out for your own tools.",
            ),
        }
    }

    /// A custom tool: the API reports its fields under `tools.N.custom`.
    fn custom_tool(&mut self, path: &At, at: &At, map: &Map<String, Value>) {
        let openai = map.contains_key("function");
        match map.get("name") {
            None => {
                let fix = if openai {
                    self.with_openai_hint("Move name, description and parameters (as input_schema) out of \"function\".")
                } else {
                    "Add \"name\": letters, digits, _ or -.".to_string()
                };
                self.error_at(&path.key("name"), &at.key("name"), "Field required", fix);
            }
            Some(Value::String(name)) if !valid_tool_name(name) => {
                let fix = format!(
                    "Use only letters, digits, _ and -, at most {TOOL_NAME_MAX} characters (\"{}\").",
                    suggest_tool_name(name)
                );
                self.error_at(
                    &path.key("name"),
                    &at.key("name"),
                    format!("String should match pattern '{TOOL_NAME_PATTERN}'"),
                    fix,
                );
            }
            Some(Value::String(_)) => {}
            Some(_) => self.error_at(
                &path.key("name"),
                &at.key("name"),
                "Input should be a valid string",
                "Use a string.",
            ),
        }
        if let Some(description) = map.get("description")
            && !description.is_string()
        {
            self.error_at(
                &path.key("description"),
                &at.key("description"),
                "Input should be a valid string",
                "Use a string.",
            );
        }
        match map.get("input_schema") {
            None => {
                let fix = if map.contains_key("parameters") || openai {
                    self.with_openai_hint("Rename OpenAI's \"parameters\" to \"input_schema\".")
                } else {
                    "Add \"input_schema\": {\"type\": \"object\", \"properties\": {…}}.".to_string()
                };
                self.error_at(
                    &path.key("input_schema"),
                    &at.key("input_schema"),
                    "Field required",
                    fix,
                );
            }
            Some(Value::Object(schema)) => match schema.get("type") {
                // unverified: the path and wording for a schema without "type".
                None => self.error_at(
                    &path.key("input_schema").key("type"),
                    &at.key("input_schema"),
                    "Field required",
                    "Add \"type\": \"object\" to the schema.",
                ),
                Some(kind) if kind.as_str() != Some("object") => self.error_at(
                    &path.key("input_schema").key("type"),
                    &at.key("input_schema").key("type"),
                    "Input should be 'object'",
                    "A tool's input is always an object: \"type\": \"object\".",
                ),
                Some(_) => {}
            },
            Some(_) => self.error_at(
                &path.key("input_schema"),
                &at.key("input_schema"),
                "Input should be a valid dictionary",
                "Use a JSON schema object.",
            ),
        }
    }

    fn messages(&mut self, at: &At, value: &Value) {
        let Some(messages) = self.list(
            at,
            value,
            "Use a list: [{\"role\": \"user\", \"content\": \"…\"}].",
        ) else {
            return;
        };
        if messages.is_empty() {
            // unverified: wording.
            self.error(
                at,
                "at least one message is required",
                "Add a user message: [{\"role\": \"user\", \"content\": \"Hello\"}].",
            );
        }
        for (i, message) in messages.iter().enumerate() {
            self.message(&at.idx(i), message);
        }
    }

    fn message(&mut self, at: &At, message: &Value) {
        let Some(map) = self.object(
            at,
            message,
            "A message is {\"role\": \"user\", \"content\": \"…\"}.",
        ) else {
            return;
        };
        let role = match self.required(at, map, "role", "Add \"role\": \"user\" or \"assistant\".")
        {
            Some(role) => self.role(&at.key("role"), role),
            None => None,
        };
        if let Some(content) = self.required(
            at,
            map,
            "content",
            "Add \"content\": a string or a list of blocks.",
        ) {
            self.content(&at.key("content"), content, role.unwrap_or("user"));
        }
        for key in map.keys().filter(|k| *k != "role" && *k != "content") {
            let fix = match key.as_str() {
                "tool_calls" => self.with_openai_hint("Tool calls are \"tool_use\" blocks inside an assistant message's content."),
                "tool_call_id" => self.with_openai_hint("Send a tool's result as a user message with a {\"type\": \"tool_result\", \"tool_use_id\": …} block."),
                "name" => self.with_openai_hint("Messages have no \"name\"; remove it."),
                "cache_control" => "Put cache_control on a content block, not on the message.".to_string(),
                _ => "A message has only \"role\" and \"content\".".to_string(),
            };
            self.error(&at.key(key), "Extra inputs are not permitted", fix);
        }
    }

    fn role<'v>(&mut self, at: &At, role: &'v Value) -> Option<&'v str> {
        match role.as_str() {
            Some(r @ ("user" | "assistant" | "system")) => Some(r),
            other => {
                let fix = match other {
                    Some("tool" | "function") => self.with_openai_hint(
                        "Send a tool's result as a \"user\" message with a \"tool_result\" block.",
                    ),
                    Some("developer") => self.with_openai_hint(
                        "Put developer instructions in the top-level \"system\" field.",
                    ),
                    Some("model" | "ai" | "bot") => {
                        "The model's turns have role \"assistant\".".to_string()
                    }
                    Some("human") => "The person's turns have role \"user\".".to_string(),
                    _ => "Use \"user\" or \"assistant\".".to_string(),
                };
                self.error(at, "Input should be 'user' or 'assistant'", fix);
                None
            }
        }
    }

    fn content(&mut self, at: &At, content: &Value, role: &str) {
        match content {
            Value::String(_) => {}
            Value::Array(blocks) => {
                for (i, block) in blocks.iter().enumerate() {
                    if role == "system" {
                        self.system_block(&at.idx(i), block);
                    } else {
                        self.block(&at.idx(i), block);
                    }
                }
            }
            Value::Object(_) => self.error(
                at,
                "Input should be a valid list",
                "Wrap the block in a list: \"content\": [{…}], or use a plain string.",
            ),
            _ => self.error(
                at,
                "Input should be a valid list",
                "Use a string or a list of content blocks.",
            ),
        }
    }

    fn block(&mut self, at: &At, block: &Value) {
        let Some(map) = self.object(
            at,
            block,
            "A content block is an object such as {\"type\": \"text\", \"text\": \"…\"}.",
        ) else {
            return;
        };
        let fix = match map.get("type").and_then(Value::as_str) {
            Some("image_url" | "input_image") => self.with_openai_hint("Images are {\"type\": \"image\", \"source\": {\"type\": \"base64\" | \"url\", …}}."),
            Some("input_text" | "output_text") => self.with_openai_hint("Text is {\"type\": \"text\", \"text\": \"…\"}."),
            Some("tool_call" | "function_call") => self.with_openai_hint("Tool calls are {\"type\": \"tool_use\", \"id\", \"name\", \"input\"}."),
            _ => "Use a block type the Messages API knows, such as \"text\", \"image\", \"document\", \"tool_use\" or \"tool_result\".".to_string(),
        };
        let Some(kind) = self.tag(at, map, MESSAGE_BLOCK_TYPES, &fix) else {
            return;
        };
        match kind {
            "text" => self.required_string(at, map, "text", "Add \"text\"."),
            "image" => self.image(at, map),
            "document" => self.document(at, map),
            "tool_use" => self.tool_use(at, map),
            "tool_result" => self.tool_result(at, map),
            "thinking" => {
                self.required_string(
                    at,
                    map,
                    "thinking",
                    "Send the thinking block back exactly as the API returned it.",
                );
                self.required_string(at, map, "signature", "Send the thinking block back exactly as the API returned it, signature included.");
            }
            "redacted_thinking" => self.required_string(
                at,
                map,
                "data",
                "Send the redacted_thinking block back exactly as the API returned it.",
            ),
            _ => {}
        }
        if let Some(cache) = map.get("cache_control") {
            self.cache_control(&at.key("cache_control"), cache);
        }
    }

    fn required_string(&mut self, at: &At, map: &Map<String, Value>, key: &str, fix: &str) {
        if let Some(value) = self.required(at, map, key, fix) {
            self.string(&at.key(key), value);
        }
    }

    fn image(&mut self, at: &At, map: &Map<String, Value>) {
        let fix = "Use \"source\": {\"type\": \"base64\", \"media_type\": \"image/png\", \"data\": \"…\"} or {\"type\": \"url\", \"url\": \"https://…\"}.";
        let Some(source) = self.required(at, map, "source", fix) else {
            return;
        };
        let at = at.key("source");
        let Some(source) = self.object(&at, source, fix) else {
            return;
        };
        match self.tag(&at, source, &["base64", "url", "file"], fix) {
            Some("base64") => {
                if let Some(media) = self.required(
                    &at,
                    source,
                    "media_type",
                    "Add \"media_type\", e.g. \"image/png\".",
                ) {
                    self.literal(
                        &at.key("media_type"),
                        media,
                        &["image/jpeg", "image/png", "image/gif", "image/webp"],
                        "Images must be JPEG, PNG, GIF or WebP.",
                    );
                }
                self.base64_data(&at, source);
            }
            Some("url") => {
                self.required_string(&at, source, "url", "Add \"url\": an https:// address.")
            }
            Some("file") => self.required_string(
                &at,
                source,
                "file_id",
                "Add \"file_id\" from the Files API.",
            ),
            _ => {}
        }
    }

    fn base64_data(&mut self, at: &At, source: &Map<String, Value>) {
        let Some(data) = self.required(at, source, "data", "Add \"data\": the base64 bytes.")
        else {
            return;
        };
        if let Some(data) = self.string(&at.key("data"), data)
            && data.starts_with("data:")
        {
            self.warning(
                &at.key("data"),
                400,
                "data is a data: URL",
                "Send only the base64 part after the comma, and put the type in \"media_type\".",
            );
        }
    }

    fn document(&mut self, at: &At, map: &Map<String, Value>) {
        let fix = "Use \"source\": {\"type\": \"base64\", \"media_type\": \"application/pdf\", \"data\": \"…\"}, {\"type\": \"text\", …}, {\"type\": \"url\", …} or {\"type\": \"file\", …}.";
        let Some(source) = self.required(at, map, "source", fix) else {
            return;
        };
        let at = at.key("source");
        let Some(source) = self.object(&at, source, fix) else {
            return;
        };
        match self.tag(
            &at,
            source,
            &["base64", "text", "content", "url", "file"],
            fix,
        ) {
            Some("base64") => {
                if let Some(media) = self.required(
                    &at,
                    source,
                    "media_type",
                    "Add \"media_type\": \"application/pdf\".",
                ) {
                    self.literal(
                        &at.key("media_type"),
                        media,
                        &["application/pdf"],
                        "Base64 documents are PDFs.",
                    );
                }
                self.base64_data(&at, source);
            }
            Some("text") => {
                self.required_string(&at, source, "data", "Add \"data\": the document's text.")
            }
            Some("url") => {
                self.required_string(&at, source, "url", "Add \"url\": an https:// address.")
            }
            Some("file") => self.required_string(
                &at,
                source,
                "file_id",
                "Add \"file_id\" from the Files API.",
            ),
            _ => {}
        }
    }

    fn tool_use(&mut self, at: &At, map: &Map<String, Value>) {
        self.required_string(
            at,
            map,
            "id",
            "Send the tool_use block back exactly as the API returned it.",
        );
        self.required_string(
            at,
            map,
            "name",
            "Send the tool_use block back exactly as the API returned it.",
        );
        if let Some(input) = self.required(
            at,
            map,
            "input",
            "Add \"input\": the tool's arguments as an object.",
        ) {
            let fix = if input.is_string() {
                "\"input\" is an object, not a JSON string: parse it first."
            } else {
                "Use an object."
            };
            self.object(&at.key("input"), input, fix);
        }
    }

    fn tool_result(&mut self, at: &At, map: &Map<String, Value>) {
        self.required_string(
            at,
            map,
            "tool_use_id",
            "Add \"tool_use_id\": the id of the tool_use block this answers.",
        );
        if let Some(flag) = map.get("is_error") {
            self.boolean(&at.key("is_error"), flag);
        }
        let Some(content) = map.get("content") else {
            return;
        };
        let at = at.key("content");
        match content {
            Value::String(_) => {}
            Value::Array(blocks) => {
                for (i, block) in blocks.iter().enumerate() {
                    let block_at = at.idx(i);
                    let Some(block) = self.object(
                        &block_at,
                        block,
                        "A block such as {\"type\": \"text\", \"text\": \"…\"}.",
                    ) else {
                        continue;
                    };
                    if self.tag(
                        &block_at,
                        block,
                        TOOL_RESULT_BLOCK_TYPES,
                        "A tool result holds text, image, document or search_result blocks.",
                    ) == Some("text")
                    {
                        self.required_string(&block_at, block, "text", "Add \"text\".");
                    }
                }
            }
            _ => self.error(
                &at,
                "Input should be a valid list",
                "Use a string or a list of blocks; serialise other values to a string first.",
            ),
        }
    }
}

fn is_server_tool(kind: &str) -> bool {
    if UNDATED_SERVER_TOOLS.contains(&kind) {
        return true;
    }
    // `<name>_YYYYMMDD`
    match kind.rsplit_once('_') {
        Some((name, date)) => {
            !name.is_empty() && date.len() == 8 && date.bytes().all(|b| b.is_ascii_digit())
        }
        None => false,
    }
}

fn valid_tool_name(name: &str) -> bool {
    (1..=TOOL_NAME_MAX).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn suggest_tool_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(TOOL_NAME_MAX)
        .collect();
    if cleaned.is_empty() {
        "my_tool".into()
    } else {
        cleaned
    }
}
