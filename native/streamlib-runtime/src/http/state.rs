//! What the server holds: one compiler, its settings, and at most one loaded graph.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use streamlib_core::config::GraphConfig;
use streamlib_core::gpu::Gpu;
use streamlib_core::graph::{BuiltGraph, Running, Stats};
use streamlib_core::nodes::LatestFrame;
use streamlib_core::shader::Compiler;
use streamlib_core::webrtc::{Network, Sessions};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Largest body of the shader routes (the core refuses longer sources anyway).
pub const SHADER_BODY_LIMIT: usize = 1 << 20;
/// Largest graph config (inline PNG images make them big).
pub const GRAPH_BODY_LIMIT: usize = 64 << 20;
/// Largest body of the small JSON routes (parameters, start).
pub const SMALL_BODY_LIMIT: usize = 64 << 10;

/// A loaded graph and what the server drives it through.
pub struct Loaded {
    /// The config as loaded, kept current by parameter changes and hot swaps (GET /v1/graph).
    pub config: GraphConfig,
    pub built: BuiltGraph,
    pub gpu: Arc<Gpu>,
    /// The server's own latest-frame sink and the node it listens to.
    pub latest: Arc<LatestFrame>,
    pub latest_from: String,
    /// Other nodes a client asked frames of (`get_frame` with a node), each with its own sink.
    pub taps: BTreeMap<String, Arc<LatestFrame>>,
    /// The rate the graph was last started at: a rebuild (add_effect, a new tap) restarts it there.
    pub fps: Option<f64>,
    pub running: Option<Running>,
    pub last_stats: Option<Stats>,
}

pub struct AppState {
    pub compiler: Arc<Compiler>,
    token: Option<String>,
    pub allow_files: bool,
    pub max_concurrent: usize,
    limit: Arc<Semaphore>,
    graph: Mutex<Option<Loaded>>,
    /// WHEP sessions playing nodes, and where their UDP sockets live.
    pub sessions: Sessions,
    pub network: Network,
    /// Browser origins whose pages may read this server's `/v1` answers (CORS); "*" is any.
    pub cors_origins: Vec<String>,
}

/// WHEP sessions a server allows at once unless told otherwise (each is an encoder: CPU-bound).
pub const DEFAULT_MAX_SESSIONS: usize = 16;

impl AppState {
    /// `token`: what every request but health must send as `Authorization: Bearer`; None asks nothing.
    pub fn new(compiler: Compiler, token: Option<String>, allow_files: bool, max_concurrent: usize) -> AppState {
        AppState {
            compiler: Arc::new(compiler),
            token,
            allow_files,
            max_concurrent,
            limit: Arc::new(Semaphore::new(max_concurrent)),
            graph: Mutex::new(None),
            sessions: Sessions::new(DEFAULT_MAX_SESSIONS),
            network: Network::default(),
            cors_origins: Vec::new(),
        }
    }

    pub fn with_cors(mut self, origins: Vec<String>) -> AppState {
        self.cors_origins = origins;
        self
    }

    /// Where WHEP sessions bind (address, UDP port range) and how many may run at once.
    pub fn with_webrtc(mut self, network: Network, max_sessions: usize) -> AppState {
        self.network = network;
        self.sessions = Sessions::new(max_sessions);
        self
    }

    pub fn graph(&self) -> MutexGuard<'_, Option<Loaded>> {
        self.graph.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// One of the `max_concurrent` request slots, or None when all are taken.
    pub(crate) fn try_slot(&self) -> Option<OwnedSemaphorePermit> {
        self.limit.clone().try_acquire_owned().ok()
    }

    /// One of the `max_concurrent` slots, waiting for one to free (MCP tool calls queue rather than fail).
    pub(crate) async fn wait_slot(&self) -> OwnedSemaphorePermit {
        self.limit.clone().acquire_owned().await.expect("the slot semaphore is never closed")
    }

    /// Unloads the graph, stopping it first if it runs (its file sinks finish their files).
    pub fn stop_graph(&self) {
        self.sessions.end_all();
        if let Some(mut loaded) = self.graph().take() {
            if let Some(mut running) = loaded.running.take() {
                running.stop();
            }
        }
    }
}
