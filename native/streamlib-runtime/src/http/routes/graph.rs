//! The loaded graph: `PUT`/`GET`/`PATCH /v1/graph` (load, read, edit), `POST /v1/graph/effects` (grow it by an effect), start, stop, stats and the latest frame (`ops::graph`).

use std::collections::BTreeMap;

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use serde::Deserialize;

use super::{ok, Answer, Shared};
use crate::http::body::{blocking, parse_value, read_body, read_json};
use crate::http::state::{GRAPH_BODY_LIMIT, SHADER_BODY_LIMIT, SMALL_BODY_LIMIT};
use crate::http::ApiError;
use crate::ops::graph;
use streamlib_core::config::GraphEdit;

pub(super) async fn load_graph(State(state): State<Shared>, body: Body) -> Answer {
    let bytes = read_body(body, GRAPH_BODY_LIMIT).await?;
    parse_value(&bytes)?;
    let text = String::from_utf8(bytes.to_vec())
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_json", format!("the body is not UTF-8: {e}")))?;
    ok(blocking(move || graph::load(&state, &text)).await??)
}

pub(super) async fn add_effect(State(state): State<Shared>, body: Body) -> Answer {
    let new: graph::NewEffect = read_json(body, SHADER_BODY_LIMIT + SMALL_BODY_LIMIT, false).await?;
    ok(blocking(move || graph::add_effect(&state, new)).await??)
}

pub(super) async fn edit_graph(State(state): State<Shared>, body: Body) -> Answer {
    let edit: GraphEdit = read_json(body, GRAPH_BODY_LIMIT, false).await?;
    ok(blocking(move || graph::edit(&state, &edit)).await??)
}

pub(super) async fn nodes(State(state): State<Shared>) -> Answer {
    ok(graph::nodes(&state)?)
}

pub(super) async fn get_graph(State(state): State<Shared>) -> Answer {
    let text = graph::config_text(&state)?;
    Ok(([(header::CONTENT_TYPE, "application/json")], text).into_response())
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct StartBody {
    frames: Option<u64>,
    fps: Option<f64>,
}

pub(super) async fn start(State(state): State<Shared>, body: Body) -> Answer {
    let body: StartBody = read_json(body, SMALL_BODY_LIMIT, true).await?;
    ok(blocking(move || graph::start(&state, body.frames, body.fps)).await??)
}

pub(super) async fn stop(State(state): State<Shared>) -> Answer {
    ok(blocking(move || graph::stop(&state)).await??)
}

pub(super) async fn stats(State(state): State<Shared>) -> Answer {
    ok(graph::stats(&state))
}

/// `?node=ID`: another node's frames than the latest frame's (the first ask adds a sink to it).
pub(super) async fn latest_frame(
    State(state): State<Shared>,
    Query(mut query): Query<BTreeMap<String, String>>,
    headers: HeaderMap,
) -> Answer {
    let node = query.remove("node");
    if let Some(unknown) = query.keys().next() {
        return Err(ApiError::bad_field(unknown, "unknown query parameter (known: node)"));
    }
    let jpeg = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|accept| {
        let accept = accept.to_ascii_lowercase();
        accept.contains("image/jpeg") && !accept.contains("image/png")
    });
    let picture = blocking(move || graph::latest_frame(&state, node.as_deref(), jpeg, None)).await??;
    Ok((
        [
            (header::CONTENT_TYPE, picture.mime.to_owned()),
            (header::CACHE_CONTROL, "no-store".to_owned()),
            (header::HeaderName::from_static("x-frame-index"), picture.index.to_string()),
            (header::HeaderName::from_static("x-frame-size"), format!("{}x{}", picture.width, picture.height)),
        ],
        picture.bytes,
    )
        .into_response())
}
