//! The shader library: `GET /v1/library` (names, files, summaries) and `GET /v1/library/{name}` (the source).

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::IntoResponse;

use super::{ok, Answer, Shared};
use crate::ops::library;

pub(super) async fn list(State(state): State<Shared>) -> Answer {
    ok(library::list(&state))
}

pub(super) async fn source(State(state): State<Shared>, Path(name): Path<String>) -> Answer {
    let name = name.strip_suffix(".hlsl").unwrap_or(&name);
    let text = library::source(&state, name).ok_or_else(|| library::missing(name))?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response())
}
