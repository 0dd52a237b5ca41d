//! `streamlib-runtime serve`: the HTTP API. `serve` checks the options and runs the server; `app` is the
//! router with the guard every request passes (bearer token, concurrency bound), which tests drive
//! in-process. State is in `state`, error answers in `errors`, bodies in `body`, routes in `routes`.

pub mod body;
pub mod errors;
pub mod routes;
pub mod state;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use streamlib_core::webrtc::Network;

pub use errors::ApiError;

use crate::mcp::{http_service, HttpSettings};
pub use state::{AppState, Loaded};

/// The serve command's settings, as given on the command line.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Address to listen on; anything but loopback needs `token_file`.
    pub listen: String,
    /// File holding the bearer token every route but /v1/health requires.
    pub token_file: Option<PathBuf>,
    /// Accept configs whose nodes read or write this machine's files.
    pub allow_files: bool,
    /// Requests handled at once; more are answered 503 busy (MCP tool calls wait for a slot instead).
    pub max_concurrent: usize,
    /// Who `/mcp` lets in besides loopback names: more `Host` names, browser `Origin`s.
    pub mcp: HttpSettings,
    /// UDP port range of WebRTC sessions (None: any free port); their address is the listen address's.
    pub webrtc_ports: Option<(u16, u16)>,
    pub max_webrtc_sessions: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The options are unsafe or unusable (a public address without a token, an unreadable token file, an
    /// address that does not parse): exit 2.
    #[error("{0}")]
    Refused(String),
    /// The server could not start or failed while running: exit 1.
    #[error("{0}")]
    Failed(String),
}

/// Serves until Ctrl-C / SIGTERM; a graph still running then is stopped so its sinks finish their files.
pub fn serve(options: &ServeOptions) -> Result<(), ServeError> {
    let address: SocketAddr = options.listen.parse().map_err(|_| {
        ServeError::Refused(format!(
            "--listen '{}' is not an IP address and port (e.g. 127.0.0.1:8080)",
            options.listen
        ))
    })?;
    let token = match &options.token_file {
        None => None,
        Some(path) => match std::fs::read_to_string(path) {
            Ok(text) if !text.trim().is_empty() => Some(text.trim().to_owned()),
            Ok(_) => return Err(ServeError::Refused(format!("the token file '{}' is empty", path.display()))),
            Err(err) => {
                return Err(ServeError::Refused(format!("cannot read the token file '{}': {err}", path.display())))
            }
        },
    };
    if token.is_none() && options.mcp.allowed_origins.iter().any(|o| o == "*") {
        return Err(ServeError::Refused(
            "--allow-origin '*' lets any web page call this server: it needs --token-file FILE".to_owned(),
        ));
    }
    if token.is_none() && !address.ip().is_loopback() {
        return Err(ServeError::Refused(format!("refusing to listen on {address} without a token: anything but a loopback address needs --token-file FILE (every request must then send 'Authorization: Bearer <token>')")));
    }
    let compiler = crate::compiler().map_err(|e| ServeError::Failed(e.to_string()))?;
    let network = Network { ip: address.ip(), ports: options.webrtc_ports };
    let state = Arc::new(
        AppState::new(compiler, token, options.allow_files, options.max_concurrent)
            .with_webrtc(network, options.max_webrtc_sessions)
            .with_cors(options.mcp.allowed_origins.clone()),
    );
    let mut mcp = options.mcp.clone();
    if !address.ip().is_unspecified() {
        mcp.extra_hosts.push(address.ip().to_string());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| ServeError::Failed(format!("cannot start the async runtime: {e}")))?;
    let result = runtime.block_on(listen(address, app(state.clone(), &mcp)));
    state.stop_graph();
    result.map_err(ServeError::Failed)
}

/// The routes and MCP at `/mcp`, behind the guard: what `serve` answers with.
pub fn app(state: Arc<AppState>, mcp: &HttpSettings) -> Router {
    routes::router(state.clone())
        .nest_service(MCP_PATH, http_service(state.clone(), mcp))
        .layer(axum::middleware::from_fn_with_state(state, guard))
}

const MCP_PATH: &str = "/mcp";

async fn listen(address: SocketAddr, app: Router) -> Result<(), String> {
    let listener =
        tokio::net::TcpListener::bind(address).await.map_err(|e| format!("cannot listen on {address}: {e}"))?;
    let bound = listener.local_addr().map_err(|e| e.to_string())?;
    println!("streamlib-runtime: listening on http://{bound}");
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
/// `max_concurrent` (none free: 503 busy, at once rather than queued). `/mcp` takes its slots per tool call.
async fn guard(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let origin = cors_origin(&state, &request);
    if let (Some(origin), &Method::OPTIONS) = (&origin, request.method()) {
        return preflight(origin.clone());
    }
    let mut response = admit(state, request, next).await;
    if let Some(origin) = origin {
        let headers = response.headers_mut();
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static("Location, X-Frame-Index"));
        headers.append(header::VARY, HeaderValue::from_static("Origin"));
    }
    response
}

/// The `Origin` of a request to `/v1/…` from a page `--allow-origin` lets in (`*`: any, which `serve` allows
/// only with a token), so a browser may read the answer: a notebook page playing a node over WHEP, say.
/// Credentials stay the bearer token; cookies play no part.
fn cors_origin(state: &AppState, request: &Request) -> Option<HeaderValue> {
    if !request.uri().path().starts_with("/v1/") {
        return None;
    }
    let origin = request.headers().get(header::ORIGIN)?;
    let text = origin.to_str().ok()?;
    state.cors_origins.iter().any(|allowed| allowed == "*" || allowed == text).then(|| origin.clone())
}

fn preflight(origin: HeaderValue) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let headers = response.headers_mut();
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, POST, PUT, PATCH, DELETE"));
    headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("Authorization, Content-Type"));
    headers.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
    headers.insert(header::VARY, HeaderValue::from_static("Origin"));
    response
}

async fn admit(state: Arc<AppState>, request: Request, next: Next) -> Response {
    if request.uri().path() == "/v1/health" {
        return next.run(request).await;
    }
    if let Some(token) = state.token() {
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
    if request.uri().path() == MCP_PATH {
        return next.run(request).await;
    }
    let Some(_permit) = state.try_slot() else {
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
