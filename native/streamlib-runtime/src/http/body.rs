//! Request bodies, read with explicit limits (413 `too_large`) and an arrival time limit (408 `timeout`),
//! parsed as JSON (400 `bad_json`) and then into the route's shape (400 `bad_request` naming the field);
//! and `blocking`, which moves compiles and GPU work off the async threads.

use axum::body::{Body, Bytes};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

use super::ApiError;

/// How long a client may take to send a body (a slow sender holds one of the concurrency slots).
const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

pub async fn read_body(body: Body, limit: usize) -> Result<Bytes, ApiError> {
    // A declared Content-Length over the limit is refused before anything is read.
    if axum::body::HttpBody::size_hint(&body).lower() > limit as u64 {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("the body is larger than this route's limit of {limit} bytes"),
        )
        .with("limit", limit));
    }
    tokio::time::timeout(BODY_TIMEOUT, axum::body::to_bytes(body, limit))
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "timeout",
                format!("the body did not arrive within {} s", BODY_TIMEOUT.as_secs()),
            )
        })?
        .map_err(|e| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!("the body is larger than this route's limit of {limit} bytes or could not be read ({e})"),
            )
            .with("limit", limit)
        })
}

pub fn parse_value(bytes: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(bytes)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_json", format!("the body is not valid JSON: {e}")))
}

/// The body as `T`: 413 over `limit`, 400 bad_json when it is not JSON, 400 bad_request naming the field.
/// An empty body reads as `{}` when `empty_ok`.
pub async fn read_json<T: DeserializeOwned>(body: Body, limit: usize, empty_ok: bool) -> Result<T, ApiError> {
    let bytes = read_body(body, limit).await?;
    let value = if empty_ok && bytes.iter().all(u8::is_ascii_whitespace) { json!({}) } else { parse_value(&bytes)? };
    serde_path_to_error::deserialize(value).map_err(|e| ApiError::bad_field(&e.path().to_string(), e.inner()))
}

/// Runs blocking work (compiles, GPU) off the async threads; a panic there is answered, not fatal.
pub async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work).await.map_err(|e| ApiError::internal(format!("the request's work failed: {e}")))
}
