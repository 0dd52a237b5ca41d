//! The loaded graph: `PUT`/`GET /v1/graph`, start, stop, stats and the latest frame.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::{json, Value};
use streamlib_core::config::GraphConfig;
use streamlib_core::graph::{scheduler, Graph, RunOptions, Stats};
use streamlib_core::nodes::sinks::{encode_jpeg, encode_png};
use streamlib_core::session::{attach_latest_frame, check_file_access, latest_frame_source, LATEST_SINK};

use super::{default_gpu, ok, Answer, Shared};
use crate::http::body::{blocking, parse_value, read_body, read_json};
use crate::http::state::{AppState, Loaded, GRAPH_BODY_LIMIT, SMALL_BODY_LIMIT};
use crate::http::ApiError;

pub(super) async fn load_graph(State(state): State<Shared>, body: Body) -> Answer {
    let bytes = read_body(body, GRAPH_BODY_LIMIT).await?;
    parse_value(&bytes)?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_json", format!("the body is not UTF-8: {e}")))?;
    let config = GraphConfig::parse(text).map_err(|e| ApiError::bad_config(&e))?;
    check_file_access(&config, state.allow_files).map_err(|e| ApiError::bad_config(&e))?;
    let answer = blocking(move || load(&state, config)).await??;
    ok(answer)
}

/// Builds `config` with the server's latest-frame sink attached and makes it the loaded graph, stopping and
/// replacing any graph loaded before.
fn load(state: &AppState, config: GraphConfig) -> Result<Value, ApiError> {
    if latest_frame_source(&config).is_none() {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "bad_config", "nodes: the graph has no source or effect")
            .with("field", "nodes"));
    }
    let gpu = default_gpu(config.runtime.adapter.as_deref())
        .map_err(|e| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "no_gpu", e.to_string()))?;
    let mut built =
        Graph::from_config(&gpu, &state.compiler, &config, &BTreeMap::new()).map_err(|e| ApiError::bad_config(&e))?;
    let tap = attach_latest_frame(&mut built.graph, &config, &gpu)
        .map_err(|e| ApiError::internal(format!("cannot attach the latest-frame sink: {e}")))?;
    let report: Vec<Value> =
        built.report.iter().map(|r| json!({ "shader": r.shader, "used": r.used, "why": r.why })).collect();
    let nodes: Vec<Value> = config.nodes.iter().map(|n| json!({ "id": n.id, "type": n.node.type_name() })).collect();
    let effects: Vec<&String> = built.effects.keys().collect();
    let answer = json!({ "loaded": true, "nodes": nodes, "effects": effects, "latest_frame_from": tap.from, "report": report, "adapter": gpu.adapter.name });
    let mut slot = state.graph();
    if let Some(mut old) = slot.take() {
        if let Some(mut running) = old.running.take() {
            running.stop();
        }
    }
    *slot =
        Some(Loaded { config, built, gpu, latest: tap.frame, latest_from: tap.from, running: None, last_stats: None });
    Ok(answer)
}

pub(super) async fn get_graph(State(state): State<Shared>) -> Answer {
    let graph = state.graph();
    let loaded = graph
        .as_ref()
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "no_graph", "no graph is loaded (PUT /v1/graph first)"))?;
    let text = loaded.config.to_json().map_err(|e| ApiError::internal(e.to_string()))?;
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
    if let Some(fps) = body.fps {
        if !fps.is_finite() || fps <= 0.0 {
            return Err(ApiError::bad_field("fps", format!("{fps} is not a positive number")));
        }
    }
    let answer = blocking(move || {
        let mut graph = state.graph();
        let loaded = graph.as_mut().ok_or_else(ApiError::no_graph)?;
        if loaded.running.as_ref().is_some_and(|r| r.is_running()) {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "already_running",
                "the graph is already running (POST /v1/graph/stop first)",
            ));
        }
        if let Some(mut previous) = loaded.running.take() {
            loaded.last_stats = Some(previous.stop());
        }
        let fps = body.fps.or(loaded.config.runtime.fps);
        let options = RunOptions { frames: body.frames, fps };
        let mouse = std::sync::Arc::new(std::sync::Mutex::new([0.0f32; 4]));
        let running = scheduler::start(loaded.gpu.clone(), &loaded.built.graph, options, mouse).map_err(|e| {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "start_failed", format!("cannot start the graph: {e}"))
        })?;
        loaded.running = Some(running);
        Ok(json!({ "running": true, "frames": body.frames, "fps": fps }))
    })
    .await??;
    ok(answer)
}

fn stats_json(stats: &Stats) -> Value {
    json!({
        "running": stats.running,
        "frames": stats.frames,
        "elapsed_s": stats.elapsed_s,
        "fps": stats.fps,
        "frame_ms_p50": stats.frame_ms_p50,
        "frame_ms_p99": stats.frame_ms_p99,
        "dropped": stats.dropped.iter().filter(|(k, _)| k.as_str() != LATEST_SINK).map(|(k, v)| (k.clone(), json!(v))).collect::<serde_json::Map<String, Value>>(),
        "adapter": stats.adapter,
        "error": stats.error,
        "ended": stats.ended,
    })
}

pub(super) async fn stop(State(state): State<Shared>) -> Answer {
    let answer = blocking(move || {
        let mut graph = state.graph();
        let loaded = graph.as_mut().ok_or_else(ApiError::no_graph)?;
        if let Some(mut running) = loaded.running.take() {
            loaded.last_stats = Some(running.stop());
        }
        let mut value = loaded.last_stats.as_ref().map(stats_json).unwrap_or_else(|| json!({ "frames": 0 }));
        value["running"] = json!(false);
        Ok::<_, ApiError>(value)
    })
    .await??;
    ok(answer)
}

pub(super) async fn stats(State(state): State<Shared>) -> Answer {
    let compiler = state.compiler.stats();
    let compiler = json!({
        "compiles": compiler.compiles,
        "cache_hits": compiler.cache.hits,
        "cache_misses": compiler.cache.misses,
        "worker_restarts": compiler.worker_restarts,
    });
    let graph = state.graph();
    let Some(loaded) = graph.as_ref() else {
        return ok(json!({ "graph_loaded": false, "running": false, "compiler": compiler }));
    };
    let mut value = match (&loaded.running, &loaded.last_stats) {
        (Some(running), _) => {
            let mut stats = running.stats();
            stats.running = running.is_running();
            stats_json(&stats)
        }
        (None, Some(stats)) => stats_json(stats),
        (None, None) => json!({ "running": false, "frames": 0 }),
    };
    let effects: serde_json::Map<String, Value> = loaded
        .built
        .effects
        .iter()
        .map(|(id, handle)| (id.clone(), json!({ "shader": handle.shader().name, "swaps": handle.swaps() })))
        .collect();
    let latest = loaded.latest.latest();
    value["graph_loaded"] = json!(true);
    value["latest_frame"] = json!({ "from": loaded.latest_from, "index": latest.as_ref().map(|f| f.index), "received": loaded.latest.received() });
    value["effects"] = Value::Object(effects);
    value["compiler"] = compiler;
    ok(value)
}

pub(super) async fn latest_frame(State(state): State<Shared>, headers: HeaderMap) -> Answer {
    let jpeg = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|accept| {
        let accept = accept.to_ascii_lowercase();
        accept.contains("image/jpeg") && !accept.contains("image/png")
    });
    let frame = {
        let graph = state.graph();
        let loaded = graph.as_ref().ok_or_else(ApiError::no_graph)?;
        loaded.latest.latest().ok_or_else(|| {
            ApiError::new(StatusCode::NOT_FOUND, "no_frame", "no frame yet (POST /v1/graph/start, then ask again)")
        })?
    };
    let (index, width, height) = (frame.index, frame.width, frame.height);
    let (mime, bytes) = blocking(move || {
        if jpeg {
            encode_jpeg(&frame.pixels, frame.width, frame.height, 85).map(|b| ("image/jpeg", b))
        } else {
            encode_png(&frame.pixels, frame.width, frame.height).map(|b| ("image/png", b))
        }
    })
    .await?
    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "encode_failed", e))?;
    Ok((
        [
            (header::CONTENT_TYPE, mime.to_owned()),
            (header::CACHE_CONTROL, "no-store".to_owned()),
            (header::HeaderName::from_static("x-frame-index"), index.to_string()),
            (header::HeaderName::from_static("x-frame-size"), format!("{width}x{height}")),
        ],
        bytes,
    )
        .into_response())
}
