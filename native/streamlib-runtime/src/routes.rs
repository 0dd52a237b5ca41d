//! The HTTP API's routes (`/v1/…`); the OpenAPI document is `openapi.json` beside this file.
//!
//! Bodies are read here with explicit limits (413 `too_large`), parsed as JSON (400 `bad_json`) and then into
//! the route's shape (400 `bad_request` naming the field). Compiles, graph builds and GPU work run on
//! blocking threads. Nothing here unwraps request data.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post, put};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};
use streamlib_core::config::{GraphConfig, NodeType, ShaderConfig};
use streamlib_core::gpu::{AdapterPreference, Gpu, GpuError, ParamValue};
use streamlib_core::graph::{build_graph, scheduler, Delivery, NodeKind, RunOptions, SinkKind};
use streamlib_core::nodes::{EffectHandle, LatestFrame};
use streamlib_core::shader::{
    backends, BackendKind, CompileError, CompileOptions, CompileRequest, CompiledShader, Stage,
};

use crate::serve::{ApiError, AppState, Loaded, GRAPH_BODY_LIMIT, SHADER_BODY_LIMIT, SMALL_BODY_LIMIT};

type Shared = Arc<AppState>;
type Answer = Result<Response, ApiError>;

const OPENAPI: &str = include_str!("openapi.json");
/// The node id of the server's own latest-frame sink.
const LATEST_SINK: &str = "__server_latest";

pub fn router(state: Shared) -> Router {
    Router::new()
        .route("/v1/health", get(health))
        .route("/v1/openapi.json", get(openapi))
        .route("/v1/capabilities", get(capabilities))
        .route("/v1/shaders", post(compile_shader))
        .route("/v1/graph", put(load_graph).get(get_graph))
        .route("/v1/graph/start", post(start))
        .route("/v1/graph/stop", post(stop))
        .route("/v1/stats", get(stats))
        .route("/v1/frames/latest", get(latest_frame))
        .route("/v1/effects/{id}/params", patch(set_params))
        .route("/v1/effects/{id}/shader", put(replace_shader))
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

// ------------------------------------------------------------------------------------------- helpers

/// How long a client may take to send a body (a slow sender holds one of the concurrency slots).
const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

async fn read_body(body: Body, limit: usize) -> Result<axum::body::Bytes, ApiError> {
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

fn parse_value(bytes: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(bytes)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_json", format!("the body is not valid JSON: {e}")))
}

/// The body as `T`: 413 over `limit`, 400 bad_json when it is not JSON, 400 bad_request naming the field.
/// An empty body reads as `{}` when `empty_ok`.
async fn read_json<T: DeserializeOwned>(body: Body, limit: usize, empty_ok: bool) -> Result<T, ApiError> {
    let bytes = read_body(body, limit).await?;
    let value = if empty_ok && bytes.iter().all(u8::is_ascii_whitespace) { json!({}) } else { parse_value(&bytes)? };
    serde_path_to_error::deserialize(value).map_err(|e| {
        let field = e.path().to_string();
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", format!("{field}: {}", e.inner())).with("field", field)
    })
}

/// Runs blocking work (compiles, GPU) off the async threads; a panic there is answered, not fatal.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work).await.map_err(|e| {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", format!("the request's work failed: {e}"))
    })
}

fn ok(value: Value) -> Answer {
    Ok(Json(value).into_response())
}

fn no_graph() -> ApiError {
    ApiError::new(StatusCode::CONFLICT, "no_graph", "no graph is loaded (PUT /v1/graph first)")
}

fn compile_failure(err: CompileError) -> ApiError {
    match err {
        CompileError::Diagnostics { name, diagnostics } => {
            let message =
                CompileError::Diagnostics { name: name.clone(), diagnostics: diagnostics.clone() }.to_string();
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "compile_error", message)
                .with("name", name)
                .with("diagnostics", serde_json::to_value(diagnostics).unwrap_or(Value::Null))
        }
        CompileError::Unavailable(missing) => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "compiler_unavailable", missing.to_string())
        }
    }
}

fn shader_json(shader: &CompiledShader) -> Value {
    json!({
        "name": shader.name,
        "stage": shader.stage.as_str(),
        "entry": shader.entry,
        "backend": shader.backend.as_str(),
        "backend_version": shader.backend_version,
        "parameters": serde_json::to_value(&shader.parameters).unwrap_or(Value::Null),
        "reflection": serde_json::to_value(&shader.reflection).unwrap_or(Value::Null),
        "warnings": serde_json::to_value(&shader.warnings).unwrap_or(Value::Null),
        "source_sha256": shader.source_hash,
        "compile_ms": shader.compile_ms,
        "cached": shader.cached,
    })
}

fn default_gpu(adapter: Option<&str>) -> Result<Arc<Gpu>, GpuError> {
    let mut preference = AdapterPreference::from_env();
    if let Some(adapter) = adapter {
        preference.name_contains = Some(adapter.to_owned());
    }
    Gpu::shared(&preference)
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

// -------------------------------------------------------------------------------------------- routes

async fn health() -> Json<Value> {
    Json(json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") }))
}

const GRAPH_SCHEMA: &str = include_str!("../../../schemas/graph.streamlib.v1.schema.json");
const GRAPH_SCHEMA_REF: &str = "https://streamlib/schemas/graph.streamlib.v1.schema.json";

async fn openapi() -> Response {
    static DOCUMENT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let document = DOCUMENT.get_or_init(|| openapi_with_graph_schema().unwrap_or_else(|| OPENAPI.to_owned()));
    ([(header::CONTENT_TYPE, "application/json")], document.clone()).into_response()
}

/// The OpenAPI document with the graph config's JSON Schema inlined under `components`, so tools that
/// resolve references (schemathesis, client generators) need nothing but this one document.
fn openapi_with_graph_schema() -> Option<String> {
    let mut graph: Value = serde_json::from_str(GRAPH_SCHEMA).ok()?;
    let object = graph.as_object_mut()?;
    object.remove("$schema");
    object.remove("$id");
    let graph = serde_json::to_string(&graph).ok()?.replace("\"#/$defs/", "\"#/components/schemas/GraphConfig/$defs/");
    let mut document: Value =
        serde_json::from_str(&OPENAPI.replace(GRAPH_SCHEMA_REF, "#/components/schemas/GraphConfig")).ok()?;
    let components = document.as_object_mut()?.entry("components").or_insert_with(|| json!({}));
    let schemas = components.as_object_mut()?.entry("schemas").or_insert_with(|| json!({}));
    schemas.as_object_mut()?.insert("GraphConfig".to_owned(), serde_json::from_str(&graph).ok()?);
    serde_json::to_string_pretty(&document).ok()
}

async fn capabilities(State(state): State<Shared>) -> Answer {
    let gpu = blocking(|| default_gpu(None)).await?;
    let compilers: Vec<Value> = backends()
        .iter()
        .map(|b| json!({ "name": b.kind.as_str(), "version": b.version, "available": b.available }))
        .collect();
    let mut features: Vec<&str> = backends().iter().filter(|b| b.available).map(|b| b.kind.as_str()).collect();
    features.push("camera");
    if on_path("ffmpeg") {
        features.push("video_file");
    }
    let (adapter, adapter_error) = match &gpu {
        Ok(gpu) => {
            features.push("gpu");
            let backend = format!("{:?}", gpu.backend).to_lowercase();
            if backend == "vulkan" || backend == "metal" {
                features.push(if backend == "vulkan" { "vulkan" } else { "metal" });
            }
            if gpu.passthrough {
                features.push("passthrough");
            }
            let a = &gpu.adapter;
            (
                json!({ "name": a.name, "backend": a.backend, "device_type": a.device_type, "driver": a.driver, "driver_info": a.driver_info, "passthrough": gpu.passthrough }),
                Value::Null,
            )
        }
        Err(err) => (Value::Null, Value::String(err.to_string())),
    };
    features.sort_unstable();
    let config = state.compiler.config();
    ok(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "adapter": adapter,
        "adapter_error": adapter_error,
        "compilers": compilers,
        "features": features,
        "limits": {
            "shader_body_bytes": SHADER_BODY_LIMIT,
            "graph_body_bytes": GRAPH_BODY_LIMIT,
            "max_concurrent_requests": state.max_concurrent,
            "compile_timeout_s": config.timeout.as_secs_f64(),
        },
        "allow_files": state.allow_files,
        "config_versions": [streamlib_core::config::VERSION],
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ShaderBody {
    source: String,
    stage: Option<String>,
    entry: Option<String>,
    name: Option<String>,
    backend: Option<String>,
}

fn compile_request(
    body: ShaderBody,
    default_stage: Stage,
    default_entry: &str,
    default_name: &str,
) -> Result<CompileRequest, ApiError> {
    let stage = match &body.stage {
        None => default_stage,
        Some(text) => Stage::parse(text).ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_request",
                format!("stage: '{text}' is not pixel, vertex or compute"),
            )
            .with("field", "stage")
        })?,
    };
    let backend = match &body.backend {
        None => None,
        Some(text) => Some(BackendKind::parse(text).ok_or_else(|| {
            ApiError::new(StatusCode::BAD_REQUEST, "bad_request", format!("backend: '{text}' is not glslang or dxc"))
                .with("field", "backend")
        })?),
    };
    // No include_dirs from the request: `#include` reads only the server's shader library.
    let options = CompileOptions {
        stage,
        entry: body.entry.unwrap_or_else(|| default_entry.to_owned()),
        backend,
        ..CompileOptions::default()
    };
    Ok(CompileRequest { name: body.name.unwrap_or_else(|| default_name.to_owned()), source: body.source, options })
}

async fn compile_shader(State(state): State<Shared>, body: Body) -> Answer {
    let body: ShaderBody = read_json(body, SHADER_BODY_LIMIT, false).await?;
    let request = compile_request(body, Stage::Pixel, "main", "shader.hlsl")?;
    let shader = blocking(move || state.compiler.compile(&request)).await?.map_err(compile_failure)?;
    ok(shader_json(&shader))
}

/// Nodes that read or write this machine's files: refused unless the server runs with `--allow-files`.
fn check_files(config: &GraphConfig) -> Result<(), ApiError> {
    for (i, node) in config.nodes.iter().enumerate() {
        let field = match &node.node {
            NodeType::Image(image) if image.path.is_some() => "params.path",
            NodeType::VideoSource(_) => "params.path",
            NodeType::ImageSequence(_) => "params.directory",
            NodeType::VideoSink(_) => "params.path",
            _ => continue,
        };
        let field = format!("nodes[{i}].{field}");
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_config",
            format!("{field}: node '{}' ({}) reads or writes files on the server, which this server refuses (start it with --allow-files, or use inline png_base64 images and numpy/preview sinks)", node.id, node.node.describe()),
        )
        .with("field", field));
    }
    Ok(())
}

/// The node the server's latest-frame sink listens to: the last effect node in the config's node order,
/// or, in a graph without effects, the last source.
fn latest_source(config: &GraphConfig) -> Option<String> {
    let last =
        |wanted: fn(&NodeType) -> bool| config.nodes.iter().rev().find(|n| wanted(&n.node)).map(|n| n.id.clone());
    last(|n| matches!(n, NodeType::Effect(_))).or_else(|| {
        last(|n| {
            matches!(n, NodeType::TestPattern(_) | NodeType::Image(_) | NodeType::VideoSource(_) | NodeType::Push(_))
        })
    })
}

fn load(state: &AppState, config: GraphConfig) -> Result<Value, ApiError> {
    let bad = |e: streamlib_core::config::ConfigError| {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_config", e.to_string()).with("field", e.field.clone())
    };
    let from = latest_source(&config).ok_or_else(|| {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_config", "nodes: the graph has no source or effect")
            .with("field", "nodes")
    })?;
    let gpu = default_gpu(config.runtime.adapter.as_deref())
        .map_err(|e| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "no_gpu", e.to_string()))?;
    let mut built = build_graph(gpu.clone(), &state.compiler, &config, &BTreeMap::new()).map_err(bad)?;
    let latest = Arc::new(LatestFrame::default());
    let internal = |e: streamlib_core::graph::GraphError| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("cannot attach the latest-frame sink: {e}"),
        )
    };
    let sink = built.graph.add(LATEST_SINK, NodeKind::Sink(SinkKind::Numpy(latest.clone()))).map_err(internal)?;
    let node = built
        .graph
        .find(&from)
        .ok_or_else(|| internal(streamlib_core::graph::GraphError(format!("no node '{from}'"))))?;
    built
        .graph
        .connect(node, streamlib_core::graph::VIDEO, sink, streamlib_core::graph::VIDEO, Some(Delivery::Latest))
        .map_err(internal)?;
    let report: Vec<Value> =
        built.report.iter().map(|r| json!({ "shader": r.shader, "used": r.used, "why": r.why })).collect();
    let nodes: Vec<Value> = config.nodes.iter().map(|n| json!({ "id": n.id, "type": n.node.type_name() })).collect();
    let effects: Vec<&String> = built.effects.keys().collect();
    let answer = json!({ "loaded": true, "nodes": nodes, "effects": effects, "latest_frame_from": from, "report": report, "adapter": gpu.adapter.name });
    let mut slot = state.graph();
    if let Some(mut old) = slot.take() {
        if let Some(mut running) = old.running.take() {
            running.stop();
        }
    }
    *slot = Some(Loaded { config, built, gpu, latest, latest_from: from, running: None, last_stats: None });
    Ok(answer)
}

async fn load_graph(State(state): State<Shared>, body: Body) -> Answer {
    let bytes = read_body(body, GRAPH_BODY_LIMIT).await?;
    parse_value(&bytes)?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_json", format!("the body is not UTF-8: {e}")))?;
    let config = GraphConfig::parse(text).map_err(|e| {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_config", e.to_string()).with("field", e.field.clone())
    })?;
    if !state.allow_files {
        check_files(&config)?;
    }
    let answer = blocking(move || load(&state, config)).await??;
    ok(answer)
}

async fn get_graph(State(state): State<Shared>) -> Answer {
    let graph = state.graph();
    let loaded = graph
        .as_ref()
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "no_graph", "no graph is loaded (PUT /v1/graph first)"))?;
    let text = loaded
        .config
        .to_json()
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?;
    Ok(([(header::CONTENT_TYPE, "application/json")], text).into_response())
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct StartBody {
    frames: Option<u64>,
    fps: Option<f64>,
}

async fn start(State(state): State<Shared>, body: Body) -> Answer {
    let body: StartBody = read_json(body, SMALL_BODY_LIMIT, true).await?;
    if let Some(fps) = body.fps {
        if !fps.is_finite() || fps <= 0.0 {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_request",
                format!("fps: {fps} is not a positive number"),
            )
            .with("field", "fps"));
        }
    }
    let answer = blocking(move || {
        let mut graph = state.graph();
        let loaded = graph.as_mut().ok_or_else(no_graph)?;
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
        let mouse = Arc::new(std::sync::Mutex::new([0.0f32; 4]));
        let running = scheduler::start(loaded.gpu.clone(), &loaded.built.graph, options, mouse).map_err(|e| {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "start_failed", format!("cannot start the graph: {e}"))
        })?;
        loaded.running = Some(running);
        Ok(json!({ "running": true, "frames": body.frames, "fps": fps }))
    })
    .await??;
    ok(answer)
}

fn stats_json(stats: &streamlib_core::graph::Stats) -> Value {
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

async fn stop(State(state): State<Shared>) -> Answer {
    let answer = blocking(move || {
        let mut graph = state.graph();
        let loaded = graph.as_mut().ok_or_else(no_graph)?;
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

async fn stats(State(state): State<Shared>) -> Answer {
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

async fn latest_frame(State(state): State<Shared>, headers: HeaderMap) -> Answer {
    let jpeg = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|accept| {
        let accept = accept.to_ascii_lowercase();
        accept.contains("image/jpeg") && !accept.contains("image/png")
    });
    let frame = {
        let graph = state.graph();
        let loaded = graph.as_ref().ok_or_else(no_graph)?;
        loaded.latest.latest().ok_or_else(|| {
            ApiError::new(StatusCode::NOT_FOUND, "no_frame", "no frame yet (POST /v1/graph/start, then ask again)")
        })?
    };
    let (index, width, height) = (frame.index, frame.width, frame.height);
    let (mime, bytes) = blocking(move || {
        if jpeg {
            streamlib_core::nodes::sinks::encode_jpeg(&frame.pixels, frame.width, frame.height, 85)
                .map(|b| ("image/jpeg", b))
        } else {
            streamlib_core::nodes::sinks::encode_png(&frame.pixels, frame.width, frame.height).map(|b| ("image/png", b))
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

fn effect(state: &AppState, id: &str) -> Result<Arc<EffectHandle>, ApiError> {
    let graph = state.graph();
    let loaded = graph.as_ref().ok_or_else(no_graph)?;
    loaded.built.effects.get(id).cloned().ok_or_else(|| {
        let known: Vec<&String> = loaded.built.effects.keys().collect();
        ApiError::new(
            StatusCode::NOT_FOUND,
            "no_effect",
            format!(
                "no effect '{id}' in the graph (effects: {})",
                known.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ")
            ),
        )
        .with("effect", id)
        .with("effects", json!(known))
    })
}

fn param_value(value: &Value) -> ParamValue {
    match value {
        Value::Number(n) => {
            n.as_f64().map_or_else(|| ParamValue::Unsupported("number out of range".to_owned()), ParamValue::Number)
        }
        Value::Bool(b) => ParamValue::Bool(*b),
        Value::Array(items) => {
            let numbers: Option<Vec<f64>> = items.iter().map(Value::as_f64).collect();
            numbers.map_or_else(|| ParamValue::Unsupported("a list with non-numbers".to_owned()), ParamValue::List)
        }
        Value::String(_) => ParamValue::Unsupported("string".to_owned()),
        Value::Object(_) => ParamValue::Unsupported("object".to_owned()),
        Value::Null => ParamValue::Unsupported("null".to_owned()),
    }
}

async fn set_params(State(state): State<Shared>, Path(id): Path<String>, body: Body) -> Answer {
    let bytes = read_body(body, SMALL_BODY_LIMIT).await?;
    let Value::Object(values) = parse_value(&bytes)? else {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "the body must be a JSON object {parameter: value}",
        ));
    };
    let handle = effect(&state, &id)?;
    let shader_name = handle.shader().name.clone();
    let current = {
        let mut instance = handle.lock();
        let before = instance.values();
        for (name, value) in &values {
            if let Err(err) = instance.set(name, &param_value(value)) {
                // All or nothing: put back what was set before the failing one.
                for (name, old) in &before {
                    let _ = instance.set(name, &ParamValue::List(old.clone()));
                }
                let parameter = match &err {
                    GpuError::Parameter { parameter, .. } => parameter.clone(),
                    _ => name.clone(),
                };
                let message = format!("effect '{id}' ({shader_name}): {err}");
                return Err(ApiError::new(StatusCode::BAD_REQUEST, "bad_parameter", message)
                    .with("effect", id.clone())
                    .with("parameter", parameter)
                    .with("value", value.clone()));
            }
        }
        instance.values()
    };
    // Keep GET /v1/graph current.
    if let Some(loaded) = state.graph().as_mut() {
        if let Some(node) = loaded.config.nodes.iter_mut().find(|n| n.id == id) {
            if let NodeType::Effect(params) = &mut node.node {
                for (name, value) in &current {
                    if values.contains_key(name) {
                        params.values.insert(name.clone(), value.clone());
                    }
                }
            }
        }
    }
    let current: serde_json::Map<String, Value> = current.into_iter().map(|(k, v)| (k, json!(v))).collect();
    ok(json!({ "effect": id, "values": current }))
}

async fn replace_shader(State(state): State<Shared>, Path(id): Path<String>, body: Body) -> Answer {
    let body: ShaderBody = read_json(body, SHADER_BODY_LIMIT, false).await?;
    let handle = effect(&state, &id)?;
    let old = handle.shader();
    let request = compile_request(body, old.stage, &old.entry, &old.name)?;
    if request.options.stage != old.stage {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!(
                "stage: effect '{id}' runs a {} shader; a {} shader cannot replace it",
                old.stage, request.options.stage
            ),
        )
        .with("field", "stage"));
    }
    let answer = blocking(move || {
        let shader = state.compiler.compile(&request).map_err(compile_failure)?;
        handle.replace(Arc::new(shader)).map_err(|e| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "pipeline_error",
                format!("the new shader compiled but cannot run here; the old one keeps running: {e}"),
            )
        })?;
        let shader = handle.shader();
        if let Some(loaded) = state.graph().as_mut() {
            record_swap(&mut loaded.config, &id, &shader, request.source);
        }
        let mut value = shader_json(&shader);
        value["effect"] = json!(id);
        value["swaps"] = json!(handle.swaps());
        Ok::<_, ApiError>(value)
    })
    .await??;
    ok(answer)
}

/// Keeps GET /v1/graph true to what runs after a swap: effect `id` names a shader entry holding the new source
/// (an entry of its own when other effects share the old one), without artifacts, which came from the old
/// source; values of parameters the new shader lacks are dropped.
fn record_swap(config: &mut GraphConfig, id: &str, shader: &CompiledShader, source: String) {
    let uses =
        |key: &str| config.nodes.iter().filter(|n| matches!(&n.node, NodeType::Effect(p) if p.shader == key)).count();
    let Some(old_key) = config.nodes.iter().find_map(|n| match &n.node {
        NodeType::Effect(p) if n.id == id => Some(p.shader.clone()),
        _ => None,
    }) else {
        return;
    };
    let key = if uses(&old_key) > 1 { format!("{old_key}@{id}") } else { old_key };
    let entry = ShaderConfig {
        name: shader.name.clone(),
        stage: shader.stage,
        entry: shader.entry.clone(),
        backend: shader.backend,
        source,
        sha256: shader.source_hash.clone(),
        artifacts: BTreeMap::new(),
        artifact_source_sha256: None,
    };
    config.shaders.insert(key.clone(), entry);
    for node in config.nodes.iter_mut().filter(|n| n.id == id) {
        if let NodeType::Effect(params) = &mut node.node {
            params.shader = key.clone();
            params.values.retain(|name, _| shader.parameters.iter().any(|p| &p.name == name));
        }
    }
}
