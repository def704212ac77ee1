//! Files (`/v1/files`, a beta), answered as the API does, with uploads
//! kept in memory.
//!
//! Two deliberate differences from the API, both so a test can use the
//! SDK's whole surface:
//! - an uploaded file is `downloadable: true` and `GET …/content` returns
//!   its bytes (the API refuses downloads of uploads, with 400
//!   `file_not_downloadable`, and only serves files a tool created; the
//!   embedded server has no tool that creates files);
//! - `anthropic-beta: files-api-2025-04-14` is accepted but not required:
//!   the SDKs send it only when asked (Python 2.17, TypeScript 1.17), and
//!   older ones always did.
//!
//! `expires_in_seconds` is accepted and not applied: files here never
//! expire. Memory stays bounded: a file may be at most [`MAX_FILE_BYTES`]
//! (the API allows 500 MB; above it the answer is 413
//! `request_too_large`), and at most [`MAX_FILES`] files and
//! [`MAX_STORED_BYTES`] are kept; the oldest file is evicted first.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::multipart::{Field, MultipartError, MultipartRejection};
use axum::extract::rejection::QueryRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::BytesMut;
use chrono::{SecondsFormat, Utc};
use serde::Serialize;

use super::handlers;
use super::ids;
use super::page::{self, ListPage, PageQuery};
use super::respond::{ApiFailure, Deleted, RequestId, answer};
use super::state::{ServerState, lock};

/// The largest file the embedded server accepts.
pub const MAX_FILE_BYTES: usize = 32 * 1024 * 1024;
/// The most files it keeps.
pub const MAX_FILES: usize = 100;
/// The most bytes it keeps over all files.
pub const MAX_STORED_BYTES: usize = 256 * 1024 * 1024;
/// Room in an upload's body for the multipart framing around the file.
const MULTIPART_SLACK: usize = 64 * 1024;
/// The prefix of the opaque `next_page` cursor the newer SDKs follow.
const PAGE_PREFIX: &str = "page_";

/// Extensions the server knows, for a part sent without a useful type
/// and for naming an upload that came without a filename.
const MIME_TYPES: &[(&str, &str)] = &[
    ("pdf", "application/pdf"),
    ("txt", "text/plain"),
    ("md", "text/markdown"),
    ("csv", "text/csv"),
    ("json", "application/json"),
    ("html", "text/html"),
    ("png", "image/png"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("gif", "image/gif"),
    ("webp", "image/webp"),
];
const OCTET_STREAM: &str = "application/octet-stream";

type Shared = State<Arc<ServerState>>;

/// The body limit of `POST /v1/files` (axum's default is 2 MB).
pub fn upload_limit() -> DefaultBodyLimit {
    DefaultBodyLimit::max(MAX_FILE_BYTES + MULTIPART_SLACK)
}

/// The `file` object.
#[derive(Debug, Clone, Serialize)]
pub struct FileMetadata {
    id: String,
    #[serde(rename = "type")]
    kind: &'static str,
    filename: String,
    mime_type: String,
    size_bytes: usize,
    created_at: String,
    downloadable: bool,
}

#[derive(Debug)]
struct StoredFile {
    metadata: FileMetadata,
    bytes: Bytes,
}

/// The files the server keeps, oldest first.
#[derive(Debug, Default)]
pub struct FileStore {
    files: VecDeque<StoredFile>,
    bytes: usize,
}

impl FileStore {
    /// Keeps `file`, evicting the oldest ones until the caps hold again.
    fn insert(&mut self, file: StoredFile) {
        while !self.files.is_empty()
            && (self.files.len() >= MAX_FILES || self.bytes + file.bytes.len() > MAX_STORED_BYTES)
        {
            if let Some(evicted) = self.files.pop_front() {
                self.bytes -= evicted.bytes.len();
                tracing::debug!(id = %evicted.metadata.id, "embedded server: evicted the oldest file");
            }
        }
        self.bytes += file.bytes.len();
        self.files.push_back(file);
    }

    fn get(&self, id: &str) -> Option<&StoredFile> {
        self.files.iter().find(|f| f.metadata.id == id)
    }

    fn remove(&mut self, id: &str) -> Option<StoredFile> {
        let at = self.files.iter().position(|f| f.metadata.id == id)?;
        let file = self.files.remove(at)?;
        self.bytes -= file.bytes.len();
        Some(file)
    }
}

fn not_found(id: &str) -> ApiFailure {
    ApiFailure::status(
        404,
        format!(
            "file_id: no file with id `{id}` (the embedded server keeps the newest {MAX_FILES})"
        ),
    )
}

fn too_large() -> ApiFailure {
    ApiFailure::status(
        413,
        format!(
            "File too large: the embedded server accepts files of up to {} MiB (the API's limit \
             is 500 MB).",
            MAX_FILE_BYTES / (1024 * 1024)
        ),
    )
}

pub async fn upload(
    State(state): Shared,
    Extension(request_id): Extension<RequestId>,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    answer(
        stored_upload(&state, &headers, multipart).await,
        &request_id,
    )
}

/// Size first (a declared length over the cap is refused unread), then
/// credentials and version, then the `file` part.
async fn stored_upload(
    state: &ServerState,
    headers: &HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<FileMetadata, ApiFailure> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<usize>().ok());
    if declared.is_some_and(|len| len > MAX_FILE_BYTES + MULTIPART_SLACK) {
        return Err(too_large());
    }
    handlers::authorized(state, headers)?;
    let multipart = multipart.map_err(|e| {
        ApiFailure::status(
            400,
            format!(
                "The request body must be multipart/form-data with a `file` part: {}",
                e.body_text()
            ),
        )
    })?;
    let file = read_file_part(multipart).await?;
    let metadata = file.metadata.clone();
    lock(&state.files).insert(file);
    Ok(metadata)
}

fn multipart_failure(error: MultipartError) -> ApiFailure {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large()
    } else {
        ApiFailure::status(
            400,
            format!(
                "The request body is not valid multipart/form-data: {}",
                error.body_text()
            ),
        )
    }
}

/// The first part named `file`; other parts are read past.
async fn read_file_part(mut multipart: Multipart) -> Result<StoredFile, ApiFailure> {
    while let Some(field) = multipart.next_field().await.map_err(multipart_failure)? {
        if field.name() == Some("file") {
            return read_file(field).await;
        }
    }
    Err(ApiFailure::status(400, "file: Field required"))
}

async fn read_file(mut field: Field<'_>) -> Result<StoredFile, ApiFailure> {
    let filename = last_path_component(field.file_name().unwrap_or_default());
    let declared_type = field.content_type().map(str::to_owned);
    let mut bytes = BytesMut::new();
    while let Some(chunk) = field.chunk().await.map_err(multipart_failure)? {
        if bytes.len() + chunk.len() > MAX_FILE_BYTES {
            return Err(too_large());
        }
        bytes.extend_from_slice(&chunk);
    }
    let mime_type = mime_type(declared_type.as_deref(), &filename);
    let filename = if filename.is_empty() {
        unnamed(&mime_type)
    } else {
        filename
    };
    let metadata = FileMetadata {
        id: ids::file_id(),
        kind: "file",
        filename,
        mime_type,
        size_bytes: bytes.len(),
        created_at: Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true),
        downloadable: true,
    };
    Ok(StoredFile {
        metadata,
        bytes: bytes.freeze(),
    })
}

/// Only the final path component of a part's filename is kept, as the
/// API does.
fn last_path_component(name: &str) -> String {
    name.rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned()
}

/// The part's own type, unless it is missing or says nothing
/// (`application/octet-stream`); then one from the extension.
fn mime_type(declared: Option<&str>, filename: &str) -> String {
    let declared = declared.map(str::trim).filter(|t| !t.is_empty());
    if let Some(declared) = declared.filter(|t| !t.eq_ignore_ascii_case(OCTET_STREAM)) {
        return declared.to_owned();
    }
    let extension = filename
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase());
    MIME_TYPES
        .iter()
        .find(|(ext, _)| extension.as_deref() == Some(*ext))
        .map_or(OCTET_STREAM, |(_, mime)| *mime)
        .to_owned()
}

/// `unnamed` plus the extension of a known type, as the API names a file
/// uploaded without a filename.
fn unnamed(mime_type: &str) -> String {
    match MIME_TYPES.iter().find(|(_, mime)| *mime == mime_type) {
        Some((ext, _)) => format!("unnamed.{ext}"),
        None => "unnamed".to_owned(),
    }
}

/// A page of files: the older SDKs follow `has_more`/`last_id`, the newer
/// ones the `next_page` cursor; both are given.
#[derive(Debug, Serialize)]
struct FileList {
    #[serde(flatten)]
    page: ListPage<FileMetadata>,
    next_page: Option<String>,
}

pub async fn list(
    State(state): Shared,
    Extension(request_id): Extension<RequestId>,
    headers: HeaderMap,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Response {
    let page = handlers::authorized(&state, &headers).and_then(|_| {
        let Query(query) = query.map_err(|e| ApiFailure::status(400, e.body_text()))?;
        list_page(&state, &query)
    });
    answer(page, &request_id)
}

/// One page of the files, newest first; `page=page_<id>` is the page
/// after that file.
fn list_page(state: &ServerState, query: &HashMap<String, String>) -> Result<FileList, ApiFailure> {
    let param = |name: &str| query.get(name).map(String::as_str);
    let cursor = match param("page") {
        Some(cursor) => Some(cursor.strip_prefix(PAGE_PREFIX).ok_or_else(|| {
            ApiFailure::status(
                400,
                format!("page: `{cursor}` is not a page cursor this server gave"),
            )
        })?),
        None => None,
    };
    let query = PageQuery {
        limit: param("limit"),
        before_id: param("before_id"),
        after_id: param("after_id").or(cursor),
    };
    let store = lock(&state.files);
    let newest: Vec<&StoredFile> = store.files.iter().rev().collect();
    let ids: Vec<&str> = newest.iter().map(|f| f.metadata.id.as_str()).collect();
    let span = page::span(&ids, query, "file")?;
    let data = newest
        .get(span.range)
        .unwrap_or_default()
        .iter()
        .map(|f| f.metadata.clone())
        .collect();
    let page = ListPage::new(data, span.has_more, |f: &FileMetadata| &f.id);
    let forward = query.before_id.is_none() && page.has_more;
    let next_page = page
        .last_id
        .as_ref()
        .filter(|_| forward)
        .map(|id| format!("{PAGE_PREFIX}{id}"));
    Ok(FileList { page, next_page })
}

pub async fn metadata(
    State(state): Shared,
    Extension(request_id): Extension<RequestId>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let metadata = handlers::authorized(&state, &headers).and_then(|_| {
        let store = lock(&state.files);
        let file = store.get(&id).ok_or_else(|| not_found(&id))?;
        Ok(file.metadata.clone())
    });
    answer(metadata, &request_id)
}

pub async fn content(
    State(state): Shared,
    Extension(request_id): Extension<RequestId>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let file = handlers::authorized(&state, &headers).and_then(|_| {
        let store = lock(&state.files);
        let file = store.get(&id).ok_or_else(|| not_found(&id))?;
        Ok((file.metadata.mime_type.clone(), file.bytes.clone()))
    });
    match file {
        Ok((mime_type, bytes)) => {
            let mut response = (StatusCode::OK, bytes).into_response();
            let content_type = HeaderValue::from_str(&mime_type)
                .unwrap_or_else(|_| HeaderValue::from_static(OCTET_STREAM));
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, content_type);
            response
        }
        Err(failure) => failure.into_response(&request_id),
    }
}

pub async fn delete(
    State(state): Shared,
    Extension(request_id): Extension<RequestId>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let deleted = handlers::authorized(&state, &headers).and_then(|_| {
        lock(&state.files)
            .remove(&id)
            .ok_or_else(|| not_found(&id))?;
        Ok(Deleted::new(id, "file_deleted"))
    });
    answer(deleted, &request_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(id: &str, size: usize) -> StoredFile {
        StoredFile {
            metadata: FileMetadata {
                id: id.to_owned(),
                kind: "file",
                filename: "a.txt".into(),
                mime_type: "text/plain".into(),
                size_bytes: size,
                created_at: String::new(),
                downloadable: true,
            },
            bytes: Bytes::from(vec![0u8; size]),
        }
    }

    #[test]
    fn the_store_evicts_the_oldest_files_first() {
        let mut store = FileStore::default();
        for i in 0..=MAX_FILES {
            store.insert(file(&format!("f{i}"), 1));
        }
        assert_eq!(store.files.len(), MAX_FILES);
        assert!(store.get("f0").is_none() && store.get("f1").is_some());
        assert_eq!(store.bytes, MAX_FILES);
        let big = MAX_STORED_BYTES - 10;
        store.insert(file("big", big));
        assert_eq!(store.bytes, big + 10, "only ten one-byte files still fit");
        assert!(store.remove("big").is_some());
        assert_eq!(store.bytes, 10);
        assert!(store.remove("big").is_none());
    }

    #[test]
    fn names_and_types_follow_the_api() {
        assert_eq!(last_path_component("/tmp/dir/report.pdf"), "report.pdf");
        assert_eq!(last_path_component(r"C:\docs\notes.txt"), "notes.txt");
        let table = [
            (Some("text/csv"), "x.bin", "text/csv"),
            (Some("application/octet-stream"), "x.PDF", "application/pdf"),
            (None, "photo.jpeg", "image/jpeg"),
            (None, "data.unknown", "application/octet-stream"),
            (Some(" "), "noext", "application/octet-stream"),
        ];
        for (declared, name, expected) in table {
            assert_eq!(mime_type(declared, name), expected, "{declared:?} {name}");
        }
        assert_eq!(unnamed("application/pdf"), "unnamed.pdf");
        assert_eq!(unnamed("application/x-thing"), "unnamed");
    }
}
