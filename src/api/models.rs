//! The built-in model table: ids, context windows, output limits and
//! end-of-life dates, kept in one place. The server's `GET /v1/models` is
//! preferred at run time; this table is for offline lint and the embedded
//! server. (Being written.)

/// What this tool knows about one model id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelSpec {
    pub id: &'static str,
    pub display_name: &'static str,
    /// RFC 3339, as `/v1/models` reports it.
    pub created_at: &'static str,
    pub context_window: u64,
    pub max_output_tokens: u64,
    /// End-of-life date, for deprecated ids.
    pub retires: Option<&'static str>,
}

pub fn all() -> &'static [ModelSpec] {
    &[]
}

pub fn lookup(id: &str) -> Option<&'static ModelSpec> {
    all().iter().find(|m| m.id == id)
}

/// The known ids closest to `id`, best first.
pub fn closest(_id: &str, _n: usize) -> Vec<&'static str> {
    todo!()
}
