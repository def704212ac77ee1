//! The API's list pagination, shared by every list the embedded server
//! answers (models, Message Batches, Files): `limit` 1–1000 (default 20),
//! and a page after `after_id` or before `before_id`, over a list that is
//! already in its listing order (newest first).

use std::ops::Range;

use super::respond::ApiFailure;

/// The query parameters of one page, as sent.
#[derive(Debug, Clone, Copy, Default)]
pub struct PageQuery<'a> {
    pub limit: Option<&'a str>,
    pub before_id: Option<&'a str>,
    pub after_id: Option<&'a str>,
}

/// Which items a page holds, and whether more lie beyond it in the
/// direction of travel (what `has_more` says).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageSpan {
    pub range: Range<usize>,
    pub has_more: bool,
}

/// The span of `ids` (in listing order) that `query` asks for; `noun`
/// names the items in the 400 for a cursor that is not in the list.
pub fn span(ids: &[&str], query: PageQuery<'_>, noun: &str) -> Result<PageSpan, ApiFailure> {
    let limit = parse_limit(query.limit)?;
    let position = |param: &str, id: &str| {
        ids.iter()
            .position(|candidate| *candidate == id)
            .ok_or_else(|| {
                ApiFailure::status(
                    400,
                    format!("{param}: no {noun} with id `{id}` in the list"),
                )
            })
    };
    match (query.before_id, query.after_id) {
        (Some(_), Some(_)) => Err(ApiFailure::status(
            400,
            "before_id and after_id cannot both be given",
        )),
        (Some(before), None) => {
            let end = position("before_id", before)?;
            let start = end.saturating_sub(limit);
            Ok(PageSpan {
                range: start..end,
                has_more: start > 0,
            })
        }
        (None, after) => {
            let start = match after {
                Some(after) => position("after_id", after)? + 1,
                None => 0,
            };
            let end = (start + limit).min(ids.len());
            Ok(PageSpan {
                range: start..end,
                has_more: end < ids.len(),
            })
        }
    }
}

/// `limit` as the API checks it: an integer from 1 to 1000, 20 if absent.
fn parse_limit(limit: Option<&str>) -> Result<usize, ApiFailure> {
    let Some(text) = limit else {
        return Ok(20);
    };
    let limit = text.trim().parse::<i64>().map_err(|_| {
        ApiFailure::status(
            400,
            "limit: Input should be a valid integer, unable to parse string as an integer",
        )
    })?;
    match limit {
        ..1 => Err(ApiFailure::status(
            400,
            "limit: Input should be greater than or equal to 1",
        )),
        1001.. => Err(ApiFailure::status(
            400,
            "limit: Input should be less than or equal to 1000",
        )),
        _ => Ok(limit as usize),
    }
}

/// A page as the API lists it: `data`, `has_more`, `first_id`, `last_id`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ListPage<T> {
    pub data: Vec<T>,
    pub has_more: bool,
    pub first_id: Option<String>,
    pub last_id: Option<String>,
}

impl<T> ListPage<T> {
    /// The page of `data` (already cut to the span), with its cursors.
    pub fn new(data: Vec<T>, has_more: bool, id_of: impl Fn(&T) -> &str) -> ListPage<T> {
        ListPage {
            first_id: data.first().map(|item| id_of(item).to_owned()),
            last_id: data.last().map(|item| id_of(item).to_owned()),
            data,
            has_more,
        }
    }
}
