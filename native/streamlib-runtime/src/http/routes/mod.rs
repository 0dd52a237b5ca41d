//! The HTTP API's routes (`/v1/…`) by resource; the OpenAPI document is `src/openapi.json`. A route reads
//! the request and calls the runtime's operation (`crate::ops`, which the MCP tools call too); the rules
//! below those (which node feeds the latest frame, file access, all-or-nothing parameters, what a swap writes
//! back) are streamlib-core's `session` and `EffectHandle::set_all`.

mod effects;
mod graph;
mod library;
mod meta;
mod shaders;
mod webrtc;

use std::sync::Arc;

use super::{ApiError, AppState};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post, put};
use axum::{Json, Router};
use serde_json::Value;

type Shared = Arc<AppState>;
type Answer = Result<Response, ApiError>;

pub fn router(state: Shared) -> Router {
    Router::new()
        .route("/v1/health", get(meta::health))
        .route("/v1/openapi.json", get(meta::openapi))
        .route("/v1/capabilities", get(meta::capabilities))
        .route("/v1/shaders", post(shaders::compile_shader))
        .route("/v1/library", get(library::list))
        .route("/v1/library/{name}", get(library::source))
        .route("/v1/graph", put(graph::load_graph).get(graph::get_graph).patch(graph::edit_graph))
        .route("/v1/graph/nodes", get(graph::nodes))
        .route("/v1/graph/effects", post(graph::add_effect))
        .route("/v1/graph/start", post(graph::start))
        .route("/v1/graph/stop", post(graph::stop))
        .route("/v1/stats", get(graph::stats))
        .route("/v1/frames/latest", get(graph::latest_frame))
        .route("/v1/effects/{id}/params", patch(effects::set_params))
        .route("/v1/effects/{id}/shader", put(effects::replace_shader))
        .route("/v1/whep/{node}", post(webrtc::play))
        .route("/v1/whep/{node}/{session}", delete(webrtc::end_whep).patch(webrtc::patch))
        .route("/v1/whip/{node}", post(webrtc::publish))
        .route("/v1/whip/{node}/{session}", delete(webrtc::end_whip).patch(webrtc::patch))
        .fallback(|| async {
            ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route (see GET /v1/openapi.json)")
        })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this route does not take that method (see GET /v1/openapi.json)",
            )
        })
        .with_state(state)
}

fn ok(value: Value) -> Answer {
    Ok(Json(value).into_response())
}
