//! `streamlib-runtime serve`: the HTTP API's process — argument checks, shared state, the guard every
//! request passes (bearer token, concurrency bound) and the tokio runtime. The routes are in `routes.rs`.
//!
//! Exit status: 0 stopped by Ctrl-C / SIGTERM, 1 could not listen, 2 refused to start (a non-loopback
//! address without `--token-file`, an unreadable or empty token file, an address that does not parse).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use clap::Args;
use serde_json::{json, Value};
use streamlib_core::config::GraphConfig;
use streamlib_core::gpu::Gpu;
use streamlib_core::graph::BuiltGraph;
use streamlib_core::graph::{Running, Stats};
use streamlib_core::nodes::LatestFrame;
use streamlib_core::shader::Compiler;
use tokio::sync::Semaphore;

/// Largest body of the shader routes (the core refuses longer sources anyway).
pub const SHADER_BODY_LIMIT: usize = 1 << 20;
/// Largest graph config (inline PNG images make them big).
pub const GRAPH_BODY_LIMIT: usize = 64 << 20;
/// Largest body of the small JSON routes (parameters, start).
pub const SMALL_BODY_LIMIT: usize = 64 << 10;

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on; anything but loopback needs --token-file.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    listen: String,
    /// File holding the bearer token every route but /v1/health requires.
    #[arg(long, value_name = "FILE")]
    token_file: Option<PathBuf>,
    /// Accept graph configs whose nodes read or write files on this machine (image/video paths, image
    /// sequences, video files); without it only inline images, test patterns, push sources, numpy and
    /// preview sinks are accepted.
    #[arg(long)]
    allow_files: bool,
    /// Requests handled at once; more are answered 503 {"code": "busy"}.
    #[arg(long, value_name = "N", default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=1024))]
    max_concurrent: u32,
}

/// A loaded graph and what the server drives it through.
pub struct Loaded {
    pub config: GraphConfig,
    pub built: BuiltGraph,
    pub gpu: Arc<Gpu>,
    /// The server's own latest-frame sink and the node it listens to.
    pub latest: Arc<LatestFrame>,
    pub latest_from: String,
    pub running: Option<Running>,
    pub last_stats: Option<Stats>,
}

pub struct AppState {
    pub compiler: Compiler,
    token: Option<String>,
    pub allow_files: bool,
    pub max_concurrent: usize,
    limit: Arc<Semaphore>,
    pub graph: Mutex<Option<Loaded>>,
}

impl AppState {
    pub fn graph(&self) -> MutexGuard<'_, Option<Loaded>> {
        self.graph.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// An error answer: a status and a JSON body with a stable `code` and a `message`, plus details.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: Value,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> ApiError {
        ApiError { status, body: json!({ "code": code, "message": message.into() }) }
    }

    pub fn with(mut self, key: &str, value: impl Into<Value>) -> ApiError {
        if let Some(object) = self.body.as_object_mut() {
            object.insert(key.to_owned(), value.into());
        }
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}

pub fn main(args: &ServeArgs) -> ExitCode {
    let refuse = |message: String| {
        eprintln!("streamlib-runtime serve: {message}");
        ExitCode::from(2)
    };
    let address: SocketAddr = match args.listen.parse() {
        Ok(address) => address,
        Err(_) => {
            return refuse(format!("--listen '{}' is not an IP address and port (e.g. 127.0.0.1:8080)", args.listen))
        }
    };
    let token = match &args.token_file {
        None => None,
        Some(path) => match std::fs::read_to_string(path) {
            Ok(text) if !text.trim().is_empty() => Some(text.trim().to_owned()),
            Ok(_) => return refuse(format!("the token file '{}' is empty", path.display())),
            Err(err) => return refuse(format!("cannot read the token file '{}': {err}", path.display())),
        },
    };
    if token.is_none() && !address.ip().is_loopback() {
        return refuse(format!("refusing to listen on {address} without a token: anything but a loopback address needs --token-file FILE (every request must then send 'Authorization: Bearer <token>')"));
    }
    let compiler = match crate::compiler() {
        Ok(compiler) => compiler,
        Err(err) => {
            eprintln!("streamlib-runtime serve: {err:#}");
            return ExitCode::from(1);
        }
    };
    let max_concurrent = args.max_concurrent as usize;
    let state = Arc::new(AppState {
        compiler,
        token,
        allow_files: args.allow_files,
        max_concurrent,
        limit: Arc::new(Semaphore::new(max_concurrent)),
        graph: Mutex::new(None),
    });
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("streamlib-runtime serve: cannot start the async runtime: {err}");
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(serve(address, state.clone()));
    // Stop a running graph so its sinks finish their files.
    if let Some(mut loaded) = state.graph().take() {
        if let Some(mut running) = loaded.running.take() {
            running.stop();
        }
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("streamlib-runtime serve: {err}");
            ExitCode::from(1)
        }
    }
}

async fn serve(address: SocketAddr, state: Arc<AppState>) -> Result<(), String> {
    let listener =
        tokio::net::TcpListener::bind(address).await.map_err(|e| format!("cannot listen on {address}: {e}"))?;
    let bound = listener.local_addr().map_err(|e| e.to_string())?;
    println!("streamlib-runtime: listening on http://{bound}");
    let app = crate::routes::router(state.clone()).layer(axum::middleware::from_fn_with_state(state, guard));
    axum::serve(listener, app).with_graceful_shutdown(shutdown()).await.map_err(|e| format!("the server failed: {e}"))
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
}

/// Every request but `/v1/health`: the bearer token when one is configured, then a slot among
/// `max_concurrent` (none free: 503 busy, at once rather than queued).
async fn guard(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    if request.uri().path() == "/v1/health" {
        return next.run(request).await;
    }
    if let Some(token) = &state.token {
        let given = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if !given.is_some_and(|given| same(given.trim().as_bytes(), token.as_bytes())) {
            let mut response = ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "this server needs 'Authorization: Bearer <token>'",
            )
            .into_response();
            response.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
            return response;
        }
    }
    let Ok(_permit) = state.limit.clone().try_acquire_owned() else {
        return ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            format!("{} requests are already being handled; retry shortly", state.max_concurrent),
        )
        .into_response();
    };
    next.run(request).await
}

/// Compares without stopping at the first differing byte.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
