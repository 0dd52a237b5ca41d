//! The loaded graph: load a config, read it back, start, stop, stats and the latest frame.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{json, Value};
use streamlib_core::config::{GraphConfig, GraphEdit, ShaderConfig};
use streamlib_core::gpu::{AdapterPreference, Gpu, GpuError};
use streamlib_core::graph::fusion::Fusion;
use streamlib_core::graph::{scheduler, Graph, RunOptions, Stats};
use streamlib_core::nodes::sinks::{encode_jpeg, encode_png};
use streamlib_core::nodes::{LatestFrame, Role};
use streamlib_core::session::{
    attach_latest_frame, attach_tap, check_file_access, insert_effect, is_runtime_sink, latest_frame_source, tap_id,
    Insertion,
};

use super::library;
use super::shaders::{compile_request, shader_json, ShaderBody};
use crate::http::{ApiError, AppState, Loaded};

/// The shared device for `adapter` (a name substring), else `STREAMLIB_ADAPTER`'s choice.
pub fn default_gpu(adapter: Option<&str>) -> Result<std::sync::Arc<Gpu>, GpuError> {
    let mut preference = AdapterPreference::from_env();
    if let Some(adapter) = adapter {
        preference.name_contains = Some(adapter.to_owned());
    }
    Gpu::shared(&preference)
}

/// Parses and checks the config `text`, builds it with the server's latest-frame sink attached and makes it
/// the loaded graph, stopping and replacing any graph loaded before.
pub fn load(state: &AppState, text: &str) -> Result<Value, ApiError> {
    let config = GraphConfig::parse(text).map_err(|e| ApiError::bad_config(&e))?;
    install(state, config, &[])
}

/// Applies `edit` to the loaded graph (to an empty one when none is loaded): the edited config is checked
/// and built before anything changes (the build refuses an input left unconnected, or a cycle), and a graph
/// that ran is restarted at its rate.
pub fn edit(state: &AppState, edit: &GraphEdit) -> Result<Value, ApiError> {
    let rebuild = match Rebuild::of(state) {
        Ok(rebuild) => rebuild,
        Err(_) => Rebuild { config: GraphConfig::empty(), running: false, fps: None, taps: Vec::new() },
    };
    let config = rebuild.config.edited(edit).map_err(|e| ApiError::bad_config(&e))?;
    rebuild.install(state, config)
}

/// Builds `config` (already parsed) with a frame tap on each of `taps` and makes it the loaded graph, as
/// `load`.
fn install(state: &AppState, config: GraphConfig, taps: &[String]) -> Result<Value, ApiError> {
    check_file_access(&config, state.allow_files).map_err(|e| ApiError::bad_config(&e))?;
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
    let mut tapped = BTreeMap::new();
    for node in taps.iter().filter(|node| **node != tap.from && config.node_index(node).is_some()) {
        let frame = attach_tap(&mut built.graph, node, &tap_id(node), &gpu)
            .map_err(|e| ApiError::internal(format!("cannot attach a frame sink to '{node}': {e}")))?;
        tapped.insert(node.clone(), frame);
    }
    let report: Vec<Value> =
        built.report.iter().map(|r| json!({ "shader": r.shader, "used": r.used, "why": r.why })).collect();
    let nodes: Vec<Value> = config.nodes.iter().map(|n| json!({ "id": n.id, "type": n.node.type_name() })).collect();
    let effects: Vec<&String> = built.effects.keys().collect();
    let answer = json!({ "loaded": true, "nodes": nodes, "effects": effects, "latest_frame_from": tap.from, "report": report, "adapter": gpu.adapter.name });
    // Publications feed the old graph's WHIP sources; ended, their publishers reconnect into the new ones
    // (ended before the graph lock is taken: a session thread never waits on it while being joined).
    state.sessions.end_receiving();
    let mut slot = state.graph();
    if let Some(mut old) = slot.take() {
        if let Some(mut running) = old.running.take() {
            running.stop();
        }
    }
    *slot = Some(Loaded {
        config,
        built,
        gpu,
        latest: tap.frame,
        latest_from: tap.from,
        taps: tapped,
        fps: None,
        running: None,
        last_stats: None,
    });
    Ok(answer)
}

/// The loaded graph's nodes as built: id, role, type, output size (when known) and port names, without the
/// server's own sinks. What a client needs to connect to a node or play it.
pub fn nodes(state: &AppState) -> Result<Value, ApiError> {
    let graph = state.graph();
    let loaded = graph.as_ref().ok_or_else(ApiError::no_graph)?;
    let built = &loaded.built.graph;
    let nodes: Vec<Value> = built
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, node)| !is_runtime_sink(&node.name))
        .map(|(id, node)| {
            json!({
                "id": node.name,
                "kind": node.params.role().as_str(),
                "type": node.params.type_name(),
                "size": built.resolution(id),
                "inputs": built.input_ports(id),
                "outputs": built.output_ports(id),
            })
        })
        .collect();
    Ok(json!({ "nodes": nodes }))
}

/// The loaded graph as a config (kept current by parameter changes and hot swaps).
pub fn config_text(state: &AppState) -> Result<String, ApiError> {
    let graph = state.graph();
    let loaded = graph
        .as_ref()
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "no_graph", "no graph is loaded (PUT /v1/graph first)"))?;
    loaded.config.to_json().map_err(|e| ApiError::internal(e.to_string()))
}

/// Starts the loaded graph: `frames` of them, or until stopped; at `fps`, else the config's rate.
pub fn start(state: &AppState, frames: Option<u64>, fps: Option<f64>) -> Result<Value, ApiError> {
    if let Some(fps) = fps {
        if !fps.is_finite() || fps <= 0.0 {
            return Err(ApiError::bad_field("fps", format!("{fps} is not a positive number")));
        }
    }
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
    let fps = fps.or(loaded.config.runtime.fps);
    loaded.fps = fps;
    let settings = &loaded.config.runtime;
    let fusion = Fusion::unless_off(settings.fuse, &state.compiler);
    let options = RunOptions { frames, fps, watchdog_ms: settings.watchdog_ms, fusion, frames_in_flight: None };
    let mouse = std::sync::Arc::new(std::sync::Mutex::new([0.0f32; 4]));
    let running = scheduler::start(loaded.gpu.current(), &loaded.built.graph, options, mouse).map_err(|e| {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "start_failed", format!("cannot start the graph: {e}"))
    })?;
    loaded.running = Some(running);
    Ok(json!({ "running": true, "frames": frames, "fps": fps }))
}

fn stats_json(stats: &Stats) -> Value {
    json!({
        "running": stats.running,
        "frames": stats.frames,
        "elapsed_s": stats.elapsed_s,
        "fps": stats.fps,
        "frame_ms_p50": stats.frame_ms_p50,
        "frame_ms_p99": stats.frame_ms_p99,
        "loop_cpu_us": stats.loop_cpu_us,
        "loop_user_cpu_us": stats.loop_user_cpu_us,
        "dropped": stats.dropped.iter().filter(|(k, _)| !is_runtime_sink(k)).map(|(k, v)| (k.clone(), json!(v))).collect::<serde_json::Map<String, Value>>(),
        "adapter": stats.adapter,
        "error": stats.error,
        "ended": stats.ended,
        "watchdog_ms": stats.watchdog_ms,
        "bypassed": stats.bypassed.iter().map(|(name, overrun)| {
            (name.clone(), json!({
                "pass_ms": overrun.pass_ms,
                "budget_ms": overrun.budget_ms,
                "frame": overrun.frame,
                "message": overrun.describe(name),
            }))
        }).collect::<serde_json::Map<String, Value>>(),
        "device_recoveries": stats.device_recoveries,
        "device_lost": stats.device_lost,
        "remote": serde_json::to_value(&stats.remote).unwrap_or_default(),
        "fusion": serde_json::to_value(&stats.fusion).unwrap_or_default(),
        "unfused": stats.unfused,
        "frames_in_flight": stats.frames_in_flight,
        "uploads": stats.uploads,
    })
}

/// Stops the loaded graph (its file sinks finish their files); answers its final stats.
pub fn stop(state: &AppState) -> Result<Value, ApiError> {
    let mut graph = state.graph();
    let loaded = graph.as_mut().ok_or_else(ApiError::no_graph)?;
    if let Some(mut running) = loaded.running.take() {
        loaded.last_stats = Some(running.stop());
    }
    let mut value = loaded.last_stats.as_ref().map(stats_json).unwrap_or_else(|| json!({ "frames": 0 }));
    value["running"] = json!(false);
    Ok(value)
}

/// The loop's figures, each effect's shader and swaps, the latest frame's index, and the compiler's counts.
pub fn stats(state: &AppState) -> Value {
    let compiler = state.compiler.stats();
    let compiler = json!({
        "compiles": compiler.compiles,
        "cache_hits": compiler.cache.hits,
        "cache_misses": compiler.cache.misses,
        "worker_restarts": compiler.worker_restarts,
    });
    let graph = state.graph();
    let Some(loaded) = graph.as_ref() else {
        return json!({ "graph_loaded": false, "running": false, "compiler": compiler, "webrtc": webrtc_json(state) });
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
    value["graph_loaded"] = json!(true);
    value["latest_frame"] =
        json!({ "from": loaded.latest_from, "index": loaded.latest.index(), "received": loaded.latest.received() });
    value["effects"] = Value::Object(effects);
    value["compiler"] = compiler;
    value["webrtc"] = webrtc_json(state);
    value
}

/// The WHEP sessions playing this server's nodes, and the cap on them.
fn webrtc_json(state: &AppState) -> Value {
    json!({ "sessions": state.sessions.report(), "max_sessions": state.sessions.max() })
}

/// An encoded frame and where it came from.
pub struct Picture {
    pub mime: &'static str,
    pub bytes: Vec<u8>,
    pub index: u64,
    pub width: u32,
    pub height: u32,
}

/// The newest frame of `node` (None: the node the server listens to), PNG (or JPEG), scaled down to fit
/// `max_size` px on its longer side when it is larger.
pub fn latest_frame(
    state: &AppState,
    node: Option<&str>,
    jpeg: bool,
    max_size: Option<u32>,
) -> Result<Picture, ApiError> {
    let frame = frames_of(state, node)?.latest().ok_or_else(|| {
        ApiError::new(StatusCode::NOT_FOUND, "no_frame", "no frame yet (POST /v1/graph/start, then ask again)")
    })?;
    let (index, mut width, mut height) = (frame.index, frame.width, frame.height);
    let mut pixels = std::borrow::Cow::Borrowed(&frame.pixels[..]);
    if let Some(limit) = max_size.filter(|&limit| limit > 0 && width.max(height) > limit) {
        let scale = f64::from(limit) / f64::from(width.max(height));
        let (w, h) =
            (((f64::from(width) * scale).round() as u32).max(1), ((f64::from(height) * scale).round() as u32).max(1));
        let image = image::RgbaImage::from_raw(width, height, pixels.into_owned())
            .ok_or_else(|| ApiError::internal("the latest frame has the wrong number of bytes"))?;
        pixels = image::imageops::resize(&image, w, h, image::imageops::FilterType::Triangle).into_raw().into();
        (width, height) = (w, h);
    }
    let encoded = if jpeg {
        encode_jpeg(&pixels, width, height, 85).map(|b| ("image/jpeg", b))
    } else {
        encode_png(&pixels, width, height).map(|b| ("image/png", b))
    };
    let (mime, bytes) = encoded.map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "encode_failed", e))?;
    Ok(Picture { mime, bytes, index, width, height })
}

/// What `add_effect` is asked for: the new node's id, its shader (HLSL `source`, or a `library` effect's
/// name), the node it follows, and starting values.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewEffect {
    pub id: String,
    pub source: Option<String>,
    pub library: Option<String>,
    pub after: Option<String>,
    #[serde(default)]
    pub values: BTreeMap<String, Vec<f64>>,
    /// The language of `source`: "hlsl" (the default) or "glsl".
    #[serde(default)]
    pub language: Option<String>,
}

/// Compiles the new effect's shader and grows the loaded graph by it (`session::insert_effect`): after
/// `after`, else after the node the latest frame comes from. A shader that does not compile or an insertion
/// that does not fit changes nothing; otherwise the graph is rebuilt, and restarted at its rate if it ran.
pub fn add_effect(state: &AppState, new: NewEffect) -> Result<Value, ApiError> {
    let (source, name) = match (new.source, new.library) {
        (Some(source), None) => {
            let extension = if new.language.as_deref() == Some("glsl") { "glsl" } else { "hlsl" };
            (source, format!("{}.{extension}", new.id))
        }
        (None, Some(name)) => {
            let source = library::source(state, &name).ok_or_else(|| library::missing(&name))?;
            (source, format!("{name}.hlsl"))
        }
        _ => {
            return Err(ApiError::bad_field(
                "source",
                "give the effect's HLSL 'source' or a 'library' name, one of them",
            ))
        }
    };
    let body = ShaderBody { source, stage: None, entry: None, name: Some(name), backend: None, language: new.language };
    let shader = state.compiler.compile(&compile_request(body, None, "main", "")?).map_err(ApiError::compile)?;
    let rebuild = Rebuild::of(state)?;
    let mut config = rebuild.config.clone();
    let after = new.after.or_else(|| latest_frame_source(&config)).unwrap_or_default();
    let insertion =
        Insertion { id: &new.id, after: &after, shader: ShaderConfig::export(&shader, &[]), values: new.values };
    insert_effect(&mut config, insertion).map_err(|e| ApiError::bad_field(&e.field, e.message))?;
    let mut answer = rebuild.install(state, config)?;
    answer["effect"] = json!(new.id);
    answer["after"] = json!(after);
    answer["shader"] = shader_json(&shader);
    Ok(answer)
}

/// What a rebuild keeps of the loaded graph: its config, whether it ran and at which rate, the nodes clients
/// tapped.
struct Rebuild {
    config: GraphConfig,
    running: bool,
    fps: Option<f64>,
    taps: Vec<String>,
}

impl Rebuild {
    fn of(state: &AppState) -> Result<Rebuild, ApiError> {
        let graph = state.graph();
        let loaded = graph.as_ref().ok_or_else(ApiError::no_graph)?;
        Ok(Rebuild {
            config: loaded.config.clone(),
            running: loaded.running.as_ref().is_some_and(|r| r.is_running()),
            fps: loaded.fps,
            taps: loaded.taps.keys().cloned().collect(),
        })
    }

    /// Installs `config` (with the taps) and restarts it at the old rate if the old graph ran.
    fn install(self, state: &AppState, config: GraphConfig) -> Result<Value, ApiError> {
        let mut answer = install(state, config, &self.taps)?;
        if self.running {
            answer["started"] = start(state, None, self.fps)?;
        }
        Ok(answer)
    }
}

/// How long a new tap may take to deliver its first frame of a running graph.
const FIRST_TAP_FRAME: std::time::Duration = std::time::Duration::from_secs(5);

/// The frames of `node` (None: the node the latest frame comes from). A node not tapped yet gets a sink of
/// its own: the graph is rebuilt with it, restarted if it ran, and its first frame awaited.
pub(crate) fn frames_of(state: &AppState, node: Option<&str>) -> Result<Arc<LatestFrame>, ApiError> {
    let node = {
        let graph = state.graph();
        let loaded = graph.as_ref().ok_or_else(ApiError::no_graph)?;
        let Some(node) = node.filter(|n| *n != loaded.latest_from) else { return Ok(loaded.latest.clone()) };
        if let Some(frames) = loaded.taps.get(node) {
            return Ok(frames.clone());
        }
        let Some(at) = loaded.config.node_index(node) else {
            let known: Vec<&str> = loaded.config.nodes.iter().map(|n| n.id.as_str()).collect();
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "no_node",
                format!("no node '{node}' in the graph (nodes: {})", known.join(", ")),
            )
            .with("node", node));
        };
        if loaded.config.nodes[at].node.role() == Role::Sink {
            return Err(ApiError::bad_field("node", format!("'{node}' is a sink: it has no video of its own")));
        }
        node.to_owned()
    };
    let mut rebuild = Rebuild::of(state)?;
    rebuild.taps.push(node.clone());
    let (config, running) = (rebuild.config.clone(), rebuild.running);
    rebuild.install(state, config)?;
    let frames = state.graph().as_ref().and_then(|l| l.taps.get(&node).cloned()).ok_or_else(ApiError::no_graph)?;
    let deadline = std::time::Instant::now() + FIRST_TAP_FRAME;
    while running && frames.latest().is_none() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    Ok(frames)
}
