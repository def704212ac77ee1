use serde_json::{Value, json};

use super::*;

/// A valid body for a model that accepts most things (manual thinking,
/// temperature, prefill), so each case changes one thing.
fn base() -> Value {
    json!({
        "model": "claude-haiku-4-5",
        "max_tokens": 1024,
        "messages": [{"role": "user", "content": "Hello"}]
    })
}

fn with(patch: Value) -> Value {
    let mut body = base();
    if let (Some(body), Some(patch)) = (body.as_object_mut(), patch.as_object()) {
        for (key, value) in patch {
            body.insert(key.clone(), value.clone());
        }
    }
    body
}

fn without(key: &str) -> Value {
    let mut body = base();
    body.as_object_mut().unwrap().remove(key);
    body
}

fn user(content: Value) -> Value {
    json!({"role": "user", "content": content})
}

fn assistant(content: Value) -> Value {
    json!({"role": "assistant", "content": content})
}

fn messages(list: Vec<Value>) -> Value {
    with(json!({ "messages": list }))
}

fn weather_tool() -> Value {
    json!({"name": "get_weather", "description": "Weather", "input_schema": {"type": "object", "properties": {}}})
}

/// One rule: a body that breaks it, and the problem the API reports.
struct Case {
    rule: &'static str,
    body: Value,
    severity: Severity,
    status: u16,
    path: &'static str,
    api_message: String,
}

fn error(
    rule: &'static str,
    body: Value,
    path: &'static str,
    api_message: impl Into<String>,
) -> Case {
    Case {
        rule,
        body,
        severity: Severity::Error,
        status: 400,
        path,
        api_message: api_message.into(),
    }
}

fn warning(
    rule: &'static str,
    body: Value,
    status: u16,
    path: &'static str,
    api_message: impl Into<String>,
) -> Case {
    Case {
        rule,
        body,
        severity: Severity::Warning,
        status,
        path,
        api_message: api_message.into(),
    }
}

fn cases() -> Vec<Case> {
    let tool_use =
        |id: &str| json!({"type": "tool_use", "id": id, "name": "get_weather", "input": {}});
    let tool_result =
        |id: &str| json!({"type": "tool_result", "tool_use_id": id, "content": "sunny"});
    let thinking = |budget: Value| json!({"type": "enabled", "budget_tokens": budget});
    vec![
        // The body's shape and required fields.
        error(
            "body not an object",
            json!([1, 2]),
            "",
            "Input should be a valid dictionary or object to extract fields from",
        ),
        error(
            "body a string",
            json!("hello"),
            "",
            "Input should be a valid dictionary or object to extract fields from",
        ),
        error(
            "max_tokens missing",
            without("max_tokens"),
            "max_tokens",
            "max_tokens: Field required",
        ),
        error(
            "messages missing",
            without("messages"),
            "messages",
            "messages: Field required",
        ),
        error(
            "model missing",
            without("model"),
            "model",
            "model: Field required",
        ),
        // Unknown fields.
        error(
            "openai field",
            with(json!({"frequency_penalty": 0.5})),
            "frequency_penalty",
            "frequency_penalty: Extra inputs are not permitted",
        ),
        error(
            "misspelt field",
            with(json!({"max_token": 5})),
            "max_token",
            "max_token: Extra inputs are not permitted",
        ),
        // max_tokens.
        error(
            "max_tokens a string",
            with(json!({"max_tokens": "lots"})),
            "max_tokens",
            "max_tokens: Input should be a valid integer",
        ),
        error(
            "max_tokens null",
            with(json!({"max_tokens": null})),
            "max_tokens",
            "max_tokens: Input should be a valid integer",
        ),
        error(
            "max_tokens fractional",
            with(json!({"max_tokens": 10.5})),
            "max_tokens",
            "max_tokens: Input should be a valid integer, got a number with a fractional part",
        ),
        error(
            "max_tokens negative",
            with(json!({"max_tokens": -1})),
            "max_tokens",
            "max_tokens: Input should be greater than or equal to 0",
        ),
        error(
            "max_tokens above the model's limit",
            with(json!({"model": "claude-haiku-4-5-20251001", "max_tokens": 100000})),
            "max_tokens",
            "max_tokens: 100000 > 64000, which is the maximum allowed number of output tokens for claude-haiku-4-5-20251001",
        ),
        error(
            "max_tokens above the limit, alias names its snapshot",
            with(json!({"model": "claude-haiku-4-5", "max_tokens": 64001})),
            "max_tokens",
            "max_tokens: 64001 > 64000, which is the maximum allowed number of output tokens for claude-haiku-4-5-20251001",
        ),
        warning(
            "max_tokens zero",
            with(json!({"max_tokens": 0})),
            200,
            "max_tokens",
            "max_tokens: 0 only warms the prompt cache; nothing is generated",
        ),
        // model.
        error(
            "model not a string",
            with(json!({"model": 4})),
            "model",
            "model: Input should be a valid string",
        ),
        warning(
            "model unknown",
            with(json!({"model": "claude-3-opus-2024"})),
            404,
            "model",
            "model: claude-3-opus-2024",
        ),
        warning(
            "model retired",
            with(json!({"model": "claude-sonnet-4-20250514"})),
            404,
            "model",
            "model: claude-sonnet-4-20250514",
        ),
        // Sampling.
        error(
            "temperature above 1",
            with(json!({"temperature": 1.5})),
            "temperature",
            "temperature: Input should be less than or equal to 1",
        ),
        error(
            "temperature below 0",
            with(json!({"temperature": -0.5})),
            "temperature",
            "temperature: Input should be greater than or equal to 0",
        ),
        error(
            "temperature a string",
            with(json!({"temperature": "0.5"})),
            "temperature",
            "temperature: Input should be a valid number",
        ),
        error(
            "top_p above 1",
            with(json!({"top_p": 2})),
            "top_p",
            "top_p: Input should be less than or equal to 1",
        ),
        error(
            "top_k negative",
            with(json!({"top_k": -1})),
            "top_k",
            "top_k: Input should be greater than or equal to 0",
        ),
        error(
            "top_k fractional",
            with(json!({"top_k": 2.5})),
            "top_k",
            "top_k: Input should be a valid integer, got a number with a fractional part",
        ),
        error(
            "temperature with top_p on a model that forbids both",
            with(json!({"temperature": 0.5, "top_p": 0.9})),
            "",
            "`temperature` and `top_p` cannot both be specified for this model. Please use only one.",
        ),
        warning(
            "temperature with top_p on an unknown model",
            with(json!({"model": "claude-next", "temperature": 0.5, "top_p": 0.9})),
            200,
            "top_p",
            "top_p: temperature and top_p are both set",
        ),
        error(
            "temperature on a model without sampling",
            with(json!({"model": "claude-opus-4-8", "temperature": 0.2})),
            "",
            "`temperature` is deprecated for this model.",
        ),
        error(
            "top_k on a model without sampling",
            with(json!({"model": "claude-sonnet-5", "top_k": 5})),
            "",
            "`top_k` is deprecated for this model.",
        ),
        // stop_sequences, stream, metadata, service_tier.
        error(
            "stop_sequences a string",
            with(json!({"stop_sequences": "END"})),
            "stop_sequences",
            "stop_sequences: Input should be a valid list",
        ),
        error(
            "stop_sequences with a number",
            with(json!({"stop_sequences": ["END", 7]})),
            "stop_sequences.1",
            "stop_sequences.1: Input should be a valid string",
        ),
        error(
            "stream a string",
            with(json!({"stream": "true"})),
            "stream",
            "stream: Input should be a valid boolean",
        ),
        error(
            "metadata not an object",
            with(json!({"metadata": "me"})),
            "metadata",
            "metadata: Input should be a valid dictionary",
        ),
        error(
            "metadata.user_id a number",
            with(json!({"metadata": {"user_id": 42}})),
            "metadata.user_id",
            "metadata.user_id: Input should be a valid string",
        ),
        error(
            "metadata extra key",
            with(json!({"metadata": {"email": "a@b.c"}})),
            "metadata.email",
            "metadata.email: Extra inputs are not permitted",
        ),
        error(
            "service_tier unknown",
            with(json!({"service_tier": "priority"})),
            "service_tier",
            "service_tier: Input should be 'auto' or 'standard_only'",
        ),
        // system.
        error(
            "system a number",
            with(json!({"system": 42})),
            "system",
            "system: Input should be a valid string",
        ),
        error(
            "system a bare block",
            with(json!({"system": {"type": "text", "text": "Be brief."}})),
            "system",
            "system: Input should be a valid list",
        ),
        error(
            "system block not text",
            with(json!({"system": [{"type": "image"}]})),
            "system.0",
            "system.0: Input tag 'image' found using 'type' does not match any of the expected tags: 'text'",
        ),
        error(
            "system block without text",
            with(json!({"system": [{"type": "text"}]})),
            "system.0.text",
            "system.0.text: Field required",
        ),
        error(
            "system block with empty text",
            with(json!({"system": [{"type": "text", "text": ""}]})),
            "system",
            "system: text content blocks must be non-empty",
        ),
        // messages.
        error(
            "messages empty",
            messages(vec![]),
            "messages",
            "messages: at least one message is required",
        ),
        error(
            "messages a string",
            with(json!({"messages": "Hello"})),
            "messages",
            "messages: Input should be a valid list",
        ),
        error(
            "message not an object",
            messages(vec![json!("Hello")]),
            "messages.0",
            "messages.0: Input should be a valid dictionary",
        ),
        error(
            "role missing",
            messages(vec![json!({"content": "Hello"})]),
            "messages.0.role",
            "messages.0.role: Field required",
        ),
        error(
            "role unknown",
            messages(vec![json!({"role": "bot", "content": "Hello"})]),
            "messages.0.role",
            "messages.0.role: Input should be 'user' or 'assistant'",
        ),
        error(
            "role tool (OpenAI)",
            messages(vec![
                user(json!("Hi")),
                json!({"role": "tool", "content": "42"}),
            ]),
            "messages.1.role",
            "messages.1.role: Input should be 'user' or 'assistant'",
        ),
        error(
            "content missing",
            messages(vec![json!({"role": "user"})]),
            "messages.0.content",
            "messages.0.content: Field required",
        ),
        error(
            "content a number",
            messages(vec![user(json!(5))]),
            "messages.0.content",
            "messages.0.content: Input should be a valid list",
        ),
        error(
            "content empty string",
            messages(vec![user(json!(""))]),
            "messages.0",
            "messages.0: all messages must have non-empty content except for the optional final assistant message",
        ),
        error(
            "content empty list",
            messages(vec![
                user(json!("Hi")),
                assistant(json!([])),
                user(json!("Again")),
            ]),
            "messages.1",
            "messages.1: all messages must have non-empty content except for the optional final assistant message",
        ),
        error(
            "empty text block",
            messages(vec![user(json!([{"type": "text", "text": ""}]))]),
            "messages",
            "messages: text content blocks must be non-empty",
        ),
        error(
            "text block without text",
            messages(vec![user(json!([{"type": "text"}]))]),
            "messages.0.content.0.text",
            "messages.0.content.0.text: Field required",
        ),
        error(
            "block without type",
            messages(vec![user(json!([{"text": "Hi"}]))]),
            "messages.0.content.0",
            "messages.0.content.0: Unable to extract tag using discriminator 'type'",
        ),
        error(
            "block of an OpenAI type",
            messages(vec![user(
                json!([{"type": "image_url", "image_url": {"url": "https://x/y.png"}}]),
            )]),
            "messages.0.content.0",
            format!(
                "messages.0.content.0: Input tag 'image_url' found using 'type' does not match any of the expected tags: {}",
                request_block_tags()
            ),
        ),
        error(
            "image with an unsupported media type",
            messages(vec![user(
                json!([{"type": "image", "source": {"type": "base64", "media_type": "image/bmp", "data": "AAAA"}}]),
            )]),
            "messages.0.content.0.source.media_type",
            "messages.0.content.0.source.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'",
        ),
        error(
            "image without source",
            messages(vec![user(json!([{"type": "image"}]))]),
            "messages.0.content.0.source",
            "messages.0.content.0.source: Field required",
        ),
        error(
            "tool_use input as a string",
            messages(vec![
                user(json!("Hi")),
                assistant(
                    json!([{"type": "tool_use", "id": "t1", "name": "get_weather", "input": "{}"}]),
                ),
                user(json!([tool_result("t1")])),
            ]),
            "messages.1.content.0.input",
            "messages.1.content.0.input: Input should be a valid dictionary",
        ),
        error(
            "message with OpenAI tool_calls",
            messages(vec![
                user(json!("Hi")),
                json!({"role": "assistant", "content": "ok", "tool_calls": []}),
                user(json!("Go")),
            ]),
            "messages.1.tool_calls",
            "messages.1.tool_calls: Extra inputs are not permitted",
        ),
        error(
            "tool_result without a matching tool_use",
            messages(vec![
                user(json!("Hi")),
                assistant(json!([tool_use("toolu_1")])),
                user(json!([tool_result("toolu_1")])),
                assistant(json!("Done")),
                user(json!([tool_result("toolu_9")])),
            ]),
            "messages.4.content.0",
            "messages.4.content.0: unexpected `tool_use_id` found in `tool_result` blocks: toolu_9. Each `tool_result` block must have a corresponding `tool_use` block in the previous message.",
        ),
        error(
            "tool_use without a tool_result after it",
            messages(vec![
                user(json!("Hi")),
                assistant(json!([tool_use("toolu_1")])),
                user(json!("What now?")),
            ]),
            "messages.1",
            "messages.1: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_1. Each `tool_use` block must have a corresponding `tool_result` block in the next message.",
        ),
        error(
            "prefill on a model without prefill",
            with(
                json!({"model": "claude-opus-4-8", "messages": [user(json!("Hi")), assistant(json!("Sure:"))]}),
            ),
            "",
            "This model does not support assistant message prefill. The conversation must end with a user message.",
        ),
        error(
            "prefill ending in whitespace",
            messages(vec![user(json!("Hi")), assistant(json!("The answer is "))]),
            "messages",
            "messages: final assistant content cannot end with trailing whitespace",
        ),
        error(
            "content only whitespace",
            messages(vec![user(json!(" \n "))]),
            "messages",
            "messages: text content blocks must contain non-whitespace text",
        ),
        error(
            "tool_use in a user message",
            messages(vec![user(json!([tool_use("toolu_1")]))]),
            "messages.0.content.0",
            "messages.0.content.0: `tool_use` blocks can only be in `assistant` messages",
        ),
        error(
            "tool_result in an assistant message",
            messages(vec![
                user(json!("Hi")),
                assistant(json!([tool_result("toolu_1")])),
            ]),
            "messages.1.content.0",
            "messages.1.content.0: `tool_result` blocks can only be in `user` messages",
        ),
        warning(
            "thinking in a user message",
            messages(vec![user(json!([
                {"type": "thinking", "thinking": "Hmm.", "signature": "sig"},
                {"type": "text", "text": "Hi"}
            ]))]),
            400,
            "messages.0.content.0",
            "messages.0.content.0: `thinking` blocks belong in `assistant` messages",
        ),
        warning(
            "a lone assistant message",
            messages(vec![assistant(json!("Hello"))]),
            200,
            "messages.0.role",
            "messages.0.role: the first message has role \"assistant\"",
        ),
        warning(
            "conversation starting with the assistant",
            messages(vec![
                assistant(json!("Hello, how can I help?")),
                user(json!("Hi")),
            ]),
            200,
            "messages.0.role",
            "messages.0.role: the first message has role \"assistant\"",
        ),
        error(
            "system message on a model without them",
            messages(vec![
                user(json!("Hi")),
                json!({"role": "system", "content": "Be brief."}),
                user(json!("Go")),
            ]),
            "",
            "role 'system' is not supported on this model",
        ),
        warning(
            "leading system message (OpenAI shape)",
            with(
                json!({"model": "claude-opus-4-8", "messages": [{"role": "system", "content": "Be brief."}, user(json!("Hi"))]}),
            ),
            400,
            "messages.0.role",
            "messages.0.role: a system message must immediately follow a user message",
        ),
        // tools and tool_choice.
        error(
            "tools not a list",
            with(json!({"tools": weather_tool()})),
            "tools",
            "tools: Input should be a valid list",
        ),
        error(
            "tool name with a space",
            with(json!({"tools": [{"name": "get weather", "input_schema": {"type": "object"}}]})),
            "tools.0.custom.name",
            "tools.0.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'",
        ),
        error(
            "tool without a name",
            with(json!({"tools": [{"input_schema": {"type": "object"}}]})),
            "tools.0.custom.name",
            "tools.0.custom.name: Field required",
        ),
        error(
            "tool without input_schema",
            with(json!({"tools": [{"name": "get_weather"}]})),
            "tools.0.custom.input_schema",
            "tools.0.custom.input_schema: Field required",
        ),
        error(
            "tool schema not an object type",
            with(json!({"tools": [{"name": "get_weather", "input_schema": {"type": "string"}}]})),
            "tools.0.custom.input_schema.type",
            "tools.0.custom.input_schema.type: Input should be 'object'",
        ),
        error(
            "OpenAI function tool",
            with(
                json!({"tools": [{"type": "function", "function": {"name": "get_weather", "parameters": {}}}]}),
            ),
            "tools.0",
            "tools.0: Input tag 'function' found using 'type' does not match any of the expected tags: 'custom', 'bash_20250124', 'code_execution_20250825', 'memory_20250818', 'text_editor_20250728', 'web_fetch_20250910', 'web_search_20250305'",
        ),
        error(
            "duplicate tool names",
            with(json!({"tools": [weather_tool(), weather_tool()]})),
            "tools",
            "tools: Tool names must be unique.",
        ),
        error(
            "tool_choice a string",
            with(json!({"tools": [weather_tool()], "tool_choice": "auto"})),
            "tool_choice",
            "tool_choice: Input should be a valid dictionary",
        ),
        error(
            "tool_choice with an unknown type",
            with(json!({"tools": [weather_tool()], "tool_choice": {"type": "required"}})),
            "tool_choice",
            "tool_choice: Input tag 'required' found using 'type' does not match any of the expected tags: 'auto', 'any', 'tool', 'none'",
        ),
        error(
            "tool_choice tool without name",
            with(json!({"tools": [weather_tool()], "tool_choice": {"type": "tool"}})),
            "tool_choice.name",
            "tool_choice.name: Field required",
        ),
        error(
            "tool_choice naming an unknown tool",
            with(
                json!({"tools": [weather_tool()], "tool_choice": {"type": "tool", "name": "get_time"}}),
            ),
            "tool_choice.name",
            "tool_choice.name: Tool 'get_time' not found in tools",
        ),
        error(
            "tool_choice any without tools",
            with(json!({"tool_choice": {"type": "any"}})),
            "tool_choice",
            "tool_choice: `tool_choice` may only be specified while providing tools.",
        ),
        error(
            "forced tool use on a model without it",
            with(
                json!({"model": "claude-opus-5-5", "tools": [weather_tool()], "tool_choice": {"type": "any"}}),
            ),
            "tool_choice.type",
            "tool_choice.type: Forced tool use is not supported for this model.",
        ),
        // thinking.
        error(
            "thinking not an object",
            with(json!({"thinking": true})),
            "thinking",
            "thinking: Input should be a valid dictionary",
        ),
        error(
            "thinking with an unknown type",
            with(json!({"thinking": {"type": "on"}})),
            "thinking",
            "thinking: Input tag 'on' found using 'type' does not match any of the expected tags: 'enabled', 'disabled', 'adaptive', 'between_tools'",
        ),
        error(
            "thinking without budget",
            with(json!({"thinking": {"type": "enabled"}})),
            "thinking.budget_tokens",
            "thinking.budget_tokens: Field required",
        ),
        error(
            "thinking budget below 1024",
            with(json!({"thinking": thinking(json!(500))})),
            "thinking.budget_tokens",
            "thinking.budget_tokens: Input should be greater than or equal to 1024",
        ),
        error(
            "max_tokens not above the thinking budget",
            with(json!({"max_tokens": 2048, "thinking": thinking(json!(4096))})),
            "",
            "`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size",
        ),
        error(
            "manual thinking on an adaptive-only model",
            with(
                json!({"model": "claude-opus-4-8", "max_tokens": 8000, "thinking": thinking(json!(2048))}),
            ),
            "",
            "\"thinking.type.enabled\" is not supported for this model. Use \"thinking.type.adaptive\" and \"output_config.effort\" to control thinking behavior.",
        ),
        error(
            "adaptive thinking on a manual-only model",
            with(json!({"thinking": {"type": "adaptive"}})),
            "",
            "adaptive thinking is not supported on this model",
        ),
        error(
            "thinking disabled where it is always on",
            with(json!({"model": "claude-opus-5-5", "thinking": {"type": "disabled"}})),
            "",
            "\"thinking.type.disabled\" is not supported for this model.",
        ),
        warning(
            "manual thinking where it is deprecated",
            with(
                json!({"model": "claude-sonnet-4-6", "max_tokens": 8000, "thinking": thinking(json!(2048))}),
            ),
            200,
            "thinking.type",
            "thinking.type: manual extended thinking is deprecated on this model",
        ),
        error(
            "thinking with a temperature",
            with(
                json!({"max_tokens": 8000, "temperature": 0.3, "thinking": thinking(json!(2048))}),
            ),
            "",
            "`temperature` may only be set to 1 when thinking is enabled.",
        ),
        error(
            "thinking with forced tool use",
            with(
                json!({"max_tokens": 8000, "thinking": thinking(json!(2048)), "tools": [weather_tool()], "tool_choice": {"type": "any"}}),
            ),
            "",
            "Thinking may not be enabled when tool_choice forces tool use.",
        ),
        // Other fields.
        error(
            "speed unknown",
            with(json!({"speed": "turbo"})),
            "speed",
            "speed: Input should be 'standard' or 'fast'",
        ),
        error(
            "output_config.effort unknown",
            with(json!({"output_config": {"effort": "extreme"}})),
            "output_config.effort",
            "output_config.effort: Input should be 'low', 'medium', 'high', 'xhigh' or 'max'",
        ),
        error(
            "cache_control ttl unknown",
            with(json!({"cache_control": {"type": "ephemeral", "ttl": "1d"}})),
            "cache_control.ttl",
            "cache_control.ttl: Input should be '5m' or '1h'",
        ),
        // Limits across the request (the wording of real 400s).
        error(
            "more than 4 cache breakpoints",
            with(json!({
                "system": [cached("a"), cached("b"), cached("c")],
                "messages": [user(json!([cached("d"), cached("e")]))]
            })),
            "",
            "A maximum of 4 blocks with cache_control may be provided. Found 5.",
        ),
        error(
            "image over 5 MB",
            messages(vec![user(json!([image(
                "image/png",
                &"A".repeat(7_000_000)
            )]))]),
            "",
            "messages.0.content.0.image.source.base64: image exceeds 5 MB maximum: 5250000 bytes > 5242880 bytes",
        ),
        error(
            "image bytes of another type",
            messages(vec![user(json!([image("image/png", JPEG_BASE64)]))]),
            "",
            "messages.0.content.0.image.source.base64.data: Image does not match the provided media type image/png",
        ),
        error(
            "image bytes of no image format",
            messages(vec![user(json!([image(
                "image/png",
                "PCFET0NUWVBFIGh0bWw+"
            )]))]),
            "",
            "messages.0.content.0.image.source.base64.data: Could not process image",
        ),
        error(
            "model id with spaces",
            with(json!({"model": "claude-haiku-4-5 "})),
            "model",
            "model: \"claude-haiku-4-5 \" has spaces or a line break around it",
        ),
    ]
}

/// The start of a real JPEG file, base64.
const JPEG_BASE64: &str = "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/";

fn cached(text: &str) -> Value {
    json!({"type": "text", "text": text, "cache_control": {"type": "ephemeral"}})
}

fn image(media_type: &str, data: &str) -> Value {
    json!({"type": "image", "source": {"type": "base64", "media_type": media_type, "data": data}})
}

#[test]
fn limits_stay_quiet_within_them() {
    let four = with(json!({
        "system": [cached("a"), cached("b")],
        "messages": [user(json!([cached("c"), cached("d")]))]
    }));
    assert_eq!(validate_messages_request(&four), Vec::<Problem>::new());
    let jpeg = messages(vec![user(json!([image("image/jpeg", JPEG_BASE64)]))]);
    assert_eq!(validate_messages_request(&jpeg), Vec::<Problem>::new());
}

#[test]
fn input_and_max_tokens_over_the_window_is_a_warning_with_the_largest_that_fits() {
    let text = "word ".repeat(180_000 * 4 / 5);
    let body = with(json!({
        "max_tokens": 64000,
        "messages": [user(json!(text))]
    }));
    let problems = validate_messages_request(&body);
    let warning = problems
        .iter()
        .find(|p| p.path == "max_tokens")
        .unwrap_or_else(|| panic!("{problems:#?}"));
    assert_eq!(warning.severity, Severity::Warning);
    assert!(
        warning
            .message
            .starts_with("input length and `max_tokens` exceed context limit: about "),
        "{}",
        warning.message
    );
    assert!(
        warning.fix.contains("Lower max_tokens to "),
        "{}",
        warning.fix
    );
    let fits = with(json!({"max_tokens": 1000, "messages": [user(json!(text))]}));
    assert!(
        !validate_messages_request(&fits)
            .iter()
            .any(|p| p.path == "max_tokens")
    );
}

fn request_block_tags() -> String {
    [
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
        "advisor_tool_result",
        "compaction",
        "fallback",
        "mcp_tool_listing",
        "mcp_tool_result",
        "mcp_tool_use",
        "tool_addition",
        "tool_removal",
    ]
    .iter()
    .map(|t| format!("'{t}'"))
    .collect::<Vec<_>>()
    .join(", ")
}

#[test]
fn the_base_body_is_clean() {
    assert_eq!(validate_messages_request(&base()), Vec::<Problem>::new());
}

#[test]
fn every_rule_reports_like_the_api() {
    let mut failures = Vec::new();
    for case in cases() {
        let problems = validate_messages_request(&case.body);
        let found = problems
            .iter()
            .find(|p| p.api_message() == case.api_message);
        let Some(problem) = found else {
            let got: Vec<String> = problems
                .iter()
                .map(|p| format!("{:?} {}", p.severity, p.api_message()))
                .collect();
            failures.push(format!(
                "{}: expected `{}`, got {got:#?}",
                case.rule, case.api_message
            ));
            continue;
        };
        let mut wrong = Vec::new();
        if problem.path != case.path {
            wrong.push(format!("path {:?} != {:?}", problem.path, case.path));
        }
        if problem.severity != case.severity {
            wrong.push(format!(
                "severity {:?} != {:?}",
                problem.severity, case.severity
            ));
        }
        if problem.status != case.status {
            wrong.push(format!("status {} != {}", problem.status, case.status));
        }
        if problem.fix.is_empty() {
            wrong.push("no fix".into());
        }
        // The body breaks one rule, so an error must be what the API answers.
        if case.severity == Severity::Error && first_error(&problems) != Some(problem) {
            wrong.push(format!(
                "not the first error: {:?}",
                first_error(&problems).map(Problem::api_message)
            ));
        }
        // A missing field's location is where it belongs: its parent exists.
        let parent = problem
            .location
            .len()
            .saturating_sub(usize::from(problem.message == "Field required"));
        if walk(&case.body, &problem.location[..parent]).is_none() {
            wrong.push(format!(
                "location {:?} is not in the body",
                problem.location
            ));
        }
        if !wrong.is_empty() {
            failures.push(format!("{}: {}", case.rule, wrong.join("; ")));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rules failed:\n{}",
        failures.len(),
        cases().len(),
        failures.join("\n")
    );
}

fn only_problem(body: &Value, options: &LintOptions) -> Problem {
    let problems = validate(body, options);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    problems.into_iter().next().unwrap()
}

#[test]
fn count_tokens_rejects_max_tokens_and_stream() {
    let problems = validate_count_tokens_request(&with(json!({"stream": true})));
    let messages: Vec<String> = problems.iter().map(Problem::api_message).collect();
    assert_eq!(
        messages,
        [
            "max_tokens: Extra inputs are not permitted",
            "stream: Extra inputs are not permitted"
        ]
    );
    assert!(
        problems[0].fix.contains("count_tokens"),
        "{}",
        problems[0].fix
    );
    assert_eq!(
        validate_count_tokens_request(&without("max_tokens")),
        Vec::<Problem>::new()
    );
    let missing = validate_count_tokens_request(&json!({"messages": []}));
    assert_eq!(
        first_error(&missing).map(Problem::api_message).as_deref(),
        Some("model: Field required")
    );
}

fn on(day: &str) -> LintOptions {
    LintOptions {
        today: Some(chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap()),
        ..LintOptions::default()
    }
}

#[test]
fn a_deprecated_model_warns_until_its_end_of_life_then_is_retired() {
    let body = with(json!({"model": "claude-sonnet-4-5"}));
    let before = only_problem(&body, &on("2026-11-29"));
    assert_eq!(
        before.api_message(),
        "model: The model 'claude-sonnet-4-5' is deprecated and will reach end-of-life on November 30th, 2026."
    );
    assert_eq!((before.severity, before.status), (Severity::Warning, 200));
    assert!(
        before.fix.contains("such as claude-sonnet-"),
        "{}",
        before.fix
    );
    for day in ["2026-11-30", "2027-06-01"] {
        let after = only_problem(&body, &on(day));
        assert_eq!(after.api_message(), "model: claude-sonnet-4-5", "{day}");
        assert_eq!(after.status, 404);
        assert!(
            after
                .fix
                .contains("reached end of life on November 30th, 2026")
                && after.fix.contains("404 not_found_error")
                && after.fix.contains("such as claude-sonnet-"),
            "{}",
            after.fix
        );
        assert!(!after.fix.contains("will reach"), "{}", after.fix);
    }
    let current = with(json!({"model": "claude-sonnet-4-6"}));
    assert!(validate(&current, &on("2027-06-01")).is_empty());
    let listed_retired = with(json!({"model": "claude-sonnet-4-20250514"}));
    assert_eq!(only_problem(&listed_retired, &on("2020-01-01")).status, 404);
}

fn with_betas(betas: &[&str]) -> LintOptions {
    LintOptions::default().with_betas(betas.iter().copied())
}

#[test]
fn beta_fields_without_their_header_name_the_header() {
    let body =
        with(json!({"context_management": {"edits": [{"type": "clear_thinking_20251015"}]}}));
    // A file: the headers are unknown, so a warning that names the header.
    let file = only_problem(&body, &LintOptions::default());
    assert_eq!(file.severity, Severity::Warning);
    assert_eq!(file.path, "context_management");
    assert!(
        file.message
            .contains("anthropic-beta: context-management-2025-06-27"),
        "{}",
        file.message
    );
    assert!(
        file.fix.contains("Extra inputs are not permitted"),
        "{}",
        file.fix
    );
    // Headers known and the beta missing: the API's own 400.
    for sent in [&[][..], &["files-api-2025-04-14"][..]] {
        let exact = only_problem(&body, &with_betas(sent));
        assert_eq!(exact.severity, Severity::Error, "{sent:?}");
        assert_eq!(
            exact.api_message(),
            "context_management: Extra inputs are not permitted"
        );
        assert!(
            exact.fix.contains("context-management-2025-06-27") && exact.fix.contains("gateway"),
            "{}",
            exact.fix
        );
        assert!(
            !exact.fix.contains("typo") && !exact.fix.contains("does not know"),
            "{}",
            exact.fix
        );
    }
    // Sent (in a list, with spaces): clean.
    let sent =
        LintOptions::default().with_betas(["claude-code-20250219, context-management-2025-06-27"]);
    assert!(validate(&body, &sent).is_empty());
}

#[test]
fn beta_fields_inside_tools_and_the_ga_ones() {
    let mut tool = weather_tool();
    tool["name"] = json!("get_time");
    tool["defer_loading"] = json!(true);
    let body = with(json!({"tools": [weather_tool(), tool]}));
    let missing = only_problem(&body, &with_betas(&["context-management-2025-06-27"]));
    assert_eq!(
        missing.api_message(),
        "tools.1.defer_loading: Extra inputs are not permitted"
    );
    assert!(
        missing.fix.contains("advanced-tool-use-2025-11-20"),
        "{}",
        missing.fix
    );
    assert!(validate(&body, &with_betas(&["advanced-tool-use-2025-11-20"])).is_empty());
    let mcp = with(
        json!({"mcp_servers": [{"type": "url", "url": "https://example.com/sse", "name": "x"}]}),
    );
    assert!(validate(&mcp, &with_betas(&["mcp-client-2025-04-04"])).is_empty());
    assert_eq!(only_problem(&mcp, &with_betas(&[])).path, "mcp_servers");
    // Accepted without a beta on the GA API: never flagged before sending.
    let ga = with(json!({"output_config": {"effort": "high"}, "container": "container_011"}));
    assert!(
        validate(&ga, &with_betas(&[])).is_empty(),
        "{:#?}",
        validate(&ga, &with_betas(&[]))
    );
    // null is the same as absent.
    assert!(validate(&with(json!({"context_management": null})), &with_betas(&[])).is_empty());
}

#[test]
fn api_version_2026_10_21_removes_sampling_fields() {
    let options = LintOptions {
        anthropic_version: Some("2026-10-21".into()),
        ..LintOptions::default()
    };
    let problem = only_problem(&with(json!({"temperature": 0.5})), &options);
    assert_eq!(
        problem.api_message(),
        "temperature: Extra inputs are not permitted"
    );
    assert!(problem.fix.contains("2023-06-01"), "{}", problem.fix);
    let old = LintOptions {
        anthropic_version: Some("2023-06-01".into()),
        ..LintOptions::default()
    };
    assert!(validate(&with(json!({"temperature": 0.5})), &old).is_empty());
}

#[test]
fn unknown_fields_get_a_suggestion() {
    let fix_for = |field: &str| {
        let problems = validate_messages_request(&with(json!({ field: 1 })));
        let problem = problems
            .iter()
            .find(|p| p.path == field)
            .unwrap_or_else(|| panic!("{field}: {problems:#?}"));
        assert_eq!(problem.message, "Extra inputs are not permitted");
        problem.fix.clone()
    };
    let cases = [
        ("max_token", "\"max_tokens\""),
        ("maxTokens", "\"max_tokens\""),
        ("temprature", "\"temperature\""),
        ("stop", "\"stop_sequences\""),
        ("system_prompt", "\"system\""),
        ("max_completion_tokens", "\"max_tokens\""),
        ("user", "metadata"),
        ("response_format", "output_config"),
        ("functions", "tools"),
        ("n", "one answer per request"),
        ("seed", "no seed"),
        ("logprobs", "log probabilities"),
        ("presence_penalty", "no repetition penalties"),
    ];
    for (field, expected) in cases {
        let fix = fix_for(field);
        assert!(fix.contains(expected), "{field}: {fix}");
    }
    assert!(fix_for("frequency_penalty").contains("OpenAI Chat Completions"));
    assert!(fix_for("completely_unrelated").contains("remove it"));
}

#[test]
fn openai_bodies_get_the_hint_on_the_relevant_problem() {
    let body = json!({
        "model": "claude-haiku-4-5",
        "max_completion_tokens": 100,
        "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]
    });
    let problems = validate_messages_request(&body);
    let first = first_error(&problems).unwrap();
    assert_eq!(first.api_message(), "max_tokens: Field required");
    assert!(first.fix.contains("max_completion_tokens"), "{}", first.fix);
    assert!(
        first.fix.contains("OpenAI Chat Completions"),
        "{}",
        first.fix
    );
    let system = problems
        .iter()
        .find(|p| p.message.contains("role 'system'"))
        .unwrap();
    assert!(
        system.fix.contains("top-level \"system\""),
        "{}",
        system.fix
    );
    // The long explanation once; later problems refer back to it.
    let full = problems
        .iter()
        .filter(|p| p.fix.contains("The Messages API differs"))
        .count();
    assert_eq!(full, 1, "{problems:#?}");
    assert!(problems.iter().any(|p| {
        p.fix
            .ends_with("(OpenAI-shaped body: see the first problem.)")
    }));
}

#[test]
fn errors_come_first_in_the_apis_order() {
    let body = json!({
        "model": "claude-3-opus-2024",
        "temperature": 3,
        "frequency_penalty": 1,
        "messages": [{"role": "user", "content": ""}],
        "stop_sequences": "END"
    });
    let order: Vec<String> = validate_messages_request(&body)
        .iter()
        .map(Problem::api_message)
        .collect();
    assert_eq!(
        order,
        [
            "max_tokens: Field required",
            "stop_sequences: Input should be a valid list",
            "temperature: Input should be less than or equal to 1",
            "frequency_penalty: Extra inputs are not permitted",
            "messages.0: all messages must have non-empty content except for the optional final assistant message",
            "model: claude-3-opus-2024",
        ]
    );
}

#[test]
fn unknown_model_warning_suggests_close_ids() {
    let problems = validate_messages_request(&with(json!({"model": "claude-sonet-4-5"})));
    let problem = problems.iter().find(|p| p.path == "model").unwrap();
    assert_eq!(
        (problem.severity, problem.status, problem.error_type()),
        (Severity::Warning, 404, "not_found_error")
    );
    assert!(problem.fix.contains("claude-sonnet-4-5"), "{}", problem.fix);
    let openai = validate_messages_request(&with(json!({"model": "gpt-4o"})));
    assert!(openai[0].fix.contains("OpenAI model"), "{}", openai[0].fix);
}

#[test]
fn problems_point_at_the_place_to_fix() {
    let body = messages(vec![
        user(json!("Hi")),
        assistant(json!("Sure")),
        user(json!([{"type": "text", "text": "a"}, {"type": "text", "text": ""}])),
    ]);
    let problem = first_error(&validate_messages_request(&body))
        .unwrap()
        .clone();
    assert_eq!(problem.path, "messages");
    assert_eq!(problem.json_pointer(), "/messages/2/content/1/text");
    assert_eq!(walk(&body, &problem.location), Some(&json!("")));
    assert_eq!(dotted(&problem.location), "messages.2.content.1.text");

    let prefill = with(
        json!({"model": "claude-opus-4-8", "messages": [user(json!("Hi")), assistant(json!("Sure"))]}),
    );
    let problem = first_error(&validate_messages_request(&prefill))
        .unwrap()
        .clone();
    assert_eq!(problem.path, "");
    assert_eq!(problem.json_pointer(), "/messages/1");
}

#[test]
fn pointers_escape_keys() {
    let location = vec![PathSegment::Key("a/b~c".into()), PathSegment::Index(3)];
    assert_eq!(json_pointer(&location), "/a~1b~0c/3");
    let body = json!({"a/b~c": [0, 1, 2, "x"]});
    assert_eq!(body.pointer(&json_pointer(&location)), Some(&json!("x")));
    assert_eq!(walk(&body, &location), Some(&json!("x")));
}

#[test]
fn problems_round_trip_through_json() {
    let problems = validate_messages_request(&without("model"));
    let text = serde_json::to_string(&problems).unwrap();
    assert!(text.contains("\"location\":[\"model\"]"), "{text}");
    let back: Vec<Problem> = serde_json::from_str(&text).unwrap();
    assert_eq!(back, problems);
}

#[test]
fn valid_conversations_pass() {
    let tool_use = json!({"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Oslo"}});
    let bodies = [
        // A tool round trip, the result split across merged user turns.
        with(json!({
            "tools": [weather_tool()],
            "tool_choice": {"type": "auto"},
            "messages": [
                user(json!("Weather in Oslo?")),
                assistant(json!([{"type": "text", "text": "Checking."}, tool_use])),
                user(json!([{"type": "tool_result", "tool_use_id": "toolu_1", "content": [{"type": "text", "text": "3°C"}]}])),
                user(json!("And tomorrow?"))
            ]
        })),
        // A prefill and a system prompt as blocks.
        with(json!({
            "system": [{"type": "text", "text": "Answer in JSON.", "cache_control": {"type": "ephemeral"}}],
            "messages": [user(json!("List three colours.")), assistant(json!("{"))]
        })),
        // Thinking within its budget; an image; stop sequences; metadata.
        with(json!({
            "max_tokens": 4096,
            "thinking": {"type": "enabled", "budget_tokens": 1024},
            "stop_sequences": ["END"],
            "stream": true,
            "metadata": {"user_id": "u-1"},
            "service_tier": "auto",
            "messages": [user(json!([
                {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.png"}},
                {"type": "text", "text": "What is this?"}
            ]))]
        })),
        // A current model with adaptive thinking and a mid-conversation system message.
        json!({
            "model": "claude-opus-4-8",
            "max_tokens": 128000,
            "thinking": {"type": "adaptive", "display": "summarized"},
            "output_config": {"effort": "high"},
            "messages": [user(json!("Hi")), {"role": "system", "content": "Be brief."}, user(json!("Go"))]
        }),
        // Server tools and a default temperature on a model without sampling.
        json!({
            "model": "claude-sonnet-5",
            "max_tokens": 1000,
            "temperature": 1,
            "tools": [{"type": "web_search_20250305", "name": "web_search", "max_uses": 3}, weather_tool()],
            "messages": [user(json!("News?"))]
        }),
    ];
    for body in bodies {
        assert_eq!(
            validate_messages_request(&body),
            Vec::<Problem>::new(),
            "{body:#}"
        );
    }
}

#[test]
fn prompt_too_long_uses_the_estimate() {
    let text = "x".repeat(900_000);
    let body = messages(vec![user(json!(text))]);
    let estimate = estimate_input_tokens(&body);
    assert!(estimate > 200_000);
    let problem = first_error(&validate_messages_request(&body))
        .unwrap()
        .clone();
    assert_eq!(
        problem.api_message(),
        format!("prompt is too long: {estimate} tokens > 200000 maximum")
    );
    let counted = validate_count_tokens_request(&messages(vec![user(json!(text))]));
    assert!(
        !counted
            .iter()
            .any(|p| p.message.starts_with("prompt is too long"))
    );
    let fits = with(json!({"model": "claude-opus-4-8", "messages": [user(json!(text))]}));
    assert!(first_error(&validate_messages_request(&fits)).is_none());
}

#[test]
fn odd_values_never_panic() {
    let odd = [
        json!(null),
        json!({}),
        json!({"messages": [null, 1, [], {"role": null, "content": [null, 1, {"type": 5}]}]}),
        json!({"max_tokens": 1e308, "model": "", "messages": [{"role": "assistant", "content": [{"type": "tool_result"}]}]}),
        json!({"max_tokens": u64::MAX, "temperature": f64::MAX, "top_k": -9_223_372_036_854_775_807i64}),
        json!({"tools": [null, {"type": 1}, {"name": ""}], "tool_choice": {"type": "tool", "name": 5}}),
        json!({"thinking": {"type": "enabled", "budget_tokens": "x"}, "system": [null]}),
    ];
    for body in odd {
        let _ = validate_messages_request(&body);
        let _ = validate_count_tokens_request(&body);
        let _ = estimate_input_tokens(&body);
    }
}

// ----- parse_json ------------------------------------------------------------

fn parse_error(text: &str) -> JsonSyntaxError {
    match parse_json(text) {
        Err(err) => err,
        Ok(value) => panic!("{text:?} parsed as {value}"),
    }
}

#[test]
fn parse_json_reads_valid_bodies() {
    assert_eq!(
        parse_json("{\"a\": [1, \"é\"]}").unwrap(),
        json!({"a": [1, "é"]})
    );
}

#[test]
fn parse_json_positions_match_the_api() {
    let err = parse_error("{\"a\": \"x\ny\"}");
    assert_eq!((err.line, err.column, err.char_offset), (1, 9, 8));
    assert_eq!(err.message, "unexpected control character in string");
    assert_eq!(
        err.api_message(),
        "The request body is not valid JSON: unexpected control character in string: line 1 column 9 (char 8)"
    );

    // Characters, not bytes: é and 🦀 count once.
    let err = parse_error("{\"é🦀\": 1,}");
    assert_eq!((err.line, err.column, err.char_offset), (1, 10, 9));

    let err = parse_error("{\n  \"a\": 1,\n  \"b\": tru\n}");
    assert_eq!((err.line, err.column), (3, 8));
    assert_eq!(err.char_offset, "{\n  \"a\": 1,\n  \"b\": ".chars().count());
}

#[test]
fn parse_json_hints_the_classic_causes() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "{\"a\": 1,}",
            "trailing comma is not allowed",
            "trailing comma",
        ),
        ("[1, 2,]", "trailing comma is not allowed", "trailing comma"),
        (
            "{\"a\": \"line\nbreak\"}",
            "unexpected control character in string",
            "\\n",
        ),
        (
            "{\"a\": \"tab\there\"}",
            "unexpected control character in string",
            "\\t",
        ),
        (
            "{\"a\": “quoted”}",
            "unexpected character",
            "Typographic quotes",
        ),
        ("{“a”: 1}", "unexpected character", "Typographic quotes"),
        (
            "\u{feff}{\"a\": 1}",
            "unexpected character",
            "byte order mark",
        ),
        ("{'a': 1}", "unexpected character", "single quotes"),
        ("{\"a\": 1 // note\n}", "unexpected character", "comments"),
        (
            "{\"a\": 1, /* note */ \"b\": 2}",
            "unexpected character",
            "comments",
        ),
        ("{model: \"x\"}", "unexpected character", "double quotes"),
        ("{\"a\": True}", "unexpected character", "lowercase"),
        ("{\"a\": nul}", "invalid literal", ""),
        ("{\"a\": None}", "unexpected character", "null"),
        ("{\"a\": [1, 2", "unexpected end of data", "ends early"),
        (
            "{\"a\": 1}}",
            "unexpected content after document",
            "more text after",
        ),
        (
            "{\"path\": \"C:\\Users\"}",
            "invalid escaped sequence in string",
            "backslash",
        ),
        (
            "{\"a\": 1 \"b\": 2}",
            "unexpected character",
            "comma is missing",
        ),
        ("", "Input is a zero-length, empty document", "empty"),
        ("   ", "unexpected end of data", "empty"),
    ];
    for (text, message, hint) in cases {
        let err = parse_error(text);
        assert_eq!(&err.message, message, "{text:?}");
        let got = err.hint.clone().unwrap_or_default();
        assert!(got.contains(hint), "{text:?}: hint {got:?} lacks {hint:?}");
    }
}

#[test]
fn parse_json_without_a_known_cause_has_no_hint() {
    let err = parse_error("{\"a\": 1 2}");
    assert_eq!(err.hint, None, "{err:?}");
}

// ----- estimate_input_tokens -------------------------------------------------

#[test]
fn estimate_follows_the_documented_heuristic() {
    // 3 for the request, 4 for the message, ceil(5 / 4) = 2 for "Hello".
    assert_eq!(estimate_input_tokens(&base()), 9);
    assert_eq!(estimate_input_tokens(&json!({})), 3);
    let with_system = with(json!({"system": "12345678"}));
    assert_eq!(estimate_input_tokens(&with_system), 11);
    let image = messages(vec![user(
        json!([{"type": "image", "source": {"type": "url", "url": "u"}}]),
    )]);
    assert_eq!(estimate_input_tokens(&image), 3 + 4 + 1_600);
    let tools = with(json!({"tools": [{"name": "abcd", "input_schema": {}}]}));
    // 300 once, 10 per tool, 1 for the name, 1 for "{}".
    assert_eq!(estimate_input_tokens(&tools), 9 + 300 + 10 + 1 + 1);
    // Characters, not bytes.
    assert_eq!(
        estimate_input_tokens(&messages(vec![user(json!("éééé"))])),
        3 + 4 + 1
    );
}

#[test]
fn deep_nesting_is_named_as_such_not_as_broken_json() {
    let text = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let report = lint_text(&text, &LintOptions::default(), 10);
    let problem = &report.problems[0];
    assert!(
        problem
            .message
            .starts_with("The request body is nested too deeply to read"),
        "{}",
        problem.message
    );
    assert!(!problem.message.contains("not valid JSON"));
}

#[test]
fn thousands_of_unknown_fields_are_all_reported_with_suggestions_for_the_first() {
    let mut body = base();
    let map = body.as_object_mut().unwrap();
    for i in 0..5000 {
        map.insert(format!("k{i}"), json!(i));
    }
    map.insert("zz_modle".into(), json!(1));
    let text = body.to_string();
    let report = lint_text(&text, &LintOptions::default(), 1000);
    assert_eq!(report.problems.len(), 5001);
    assert!(report.positions[..1000].iter().all(Option::is_some));
    assert!(report.problems.iter().all(|p| !p.fix.is_empty()));
}
