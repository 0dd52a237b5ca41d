//! `streamlib-runtime mcp`: the runtime's operations (`crate::ops`) as Model Context Protocol tools, over
//! stdio (what desktop agents launch), with the official Rust SDK (`rmcp`). A tool that fails returns a tool
//! error carrying the same JSON an HTTP client gets (`code`, `message`, the diagnostics of a compile), never
//! a protocol failure, so an agent reads why and tries again; a shader that does not compile leaves the graph
//! running its last good one.

use std::path::PathBuf;
use std::sync::Arc;

use base64::Engine;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, ContentBlock, ServerCapabilities, ServerConfig};
use rmcp::{schemars, tool, tool_handler, tool_router, ErrorData, ServerHandler, ServiceExt};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::http::{ApiError, AppState};
use crate::ops::{effects, graph, library, shaders};

const INSTRUCTIONS: &str = "streamlib runs HLSL video effects on the GPU. Write a pixel effect as \
`float4 main(float2 uv : TEXCOORD) : SV_Target`, read the incoming frame with `tex2D(input, uv)`, use the frame \
values `time`, `frame`, `resolution`, `mouse`, and declare parameters in a `cbuffer Params { float strength; \
/* @range(0, 1) @default(0.5) */ };` (`@color` for colours). compile_shader reports diagnostics with line and \
column; replace_shader swaps a running effect and keeps the last good shader on a compile error; get_frame \
shows the result.";

/// The MCP server over one runtime's state (the same `AppState` the HTTP API serves).
#[derive(Clone)]
pub struct StreamlibMcp {
    state: Arc<AppState>,
}

#[derive(Deserialize, schemars::JsonSchema)]
pub struct CompileInput {
    /// HLSL source of the effect.
    pub source: String,
    /// "auto" (default: compute when the entry has [numthreads]), "pixel", "vertex" or "compute".
    pub stage: Option<String>,
    /// Entry point (default "main").
    pub entry: Option<String>,
}

#[derive(Deserialize, schemars::JsonSchema)]
pub struct LoadInput {
    /// A graph config (`streamlib.graph/v1`): nodes, edges, shaders, runtime.
    pub config: Value,
    /// Start the graph after loading it (default true).
    pub start: Option<bool>,
    /// Frames per second to run at (default: the config's).
    pub fps: Option<f64>,
}

#[derive(Deserialize, schemars::JsonSchema)]
pub struct SwapInput {
    /// The effect node's id in the graph.
    pub effect: String,
    /// The new HLSL source.
    pub source: String,
}

#[derive(Deserialize, schemars::JsonSchema)]
pub struct ParamsInput {
    /// The effect node's id in the graph.
    pub effect: String,
    /// Parameter name → value (a number, a bool, or a list of numbers for vectors and colours).
    pub values: Map<String, Value>,
}

#[derive(Deserialize, schemars::JsonSchema)]
pub struct FrameInput {
    /// Longest side of the image in pixels; larger frames are scaled down (default 512).
    pub max_size: Option<u32>,
    /// "png" (default, exact) or "jpeg" (smaller).
    pub format: Option<String>,
}

const DEFAULT_FRAME_SIZE: u32 = 512;

fn answer(result: Result<Value, ApiError>) -> Result<CallToolResult, ErrorData> {
    Ok(match result {
        Ok(value) => CallToolResult::structured(value),
        Err(error) => CallToolResult::structured_error(error.body),
    })
}

/// Runs an operation off the async threads; a panic in it becomes a tool error, not a dead server.
async fn run<T: Send + 'static>(work: impl FnOnce() -> Result<T, ApiError> + Send + 'static) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work).await.map_err(|e| ApiError::internal(format!("the tool's work failed: {e}")))?
}

#[tool_router]
impl StreamlibMcp {
    pub fn new(state: Arc<AppState>) -> StreamlibMcp {
        StreamlibMcp { state }
    }

    #[tool(description = "Compile HLSL: its reflection (stage, parameters with ranges and defaults), or the \
        diagnostics (file, line, column, message, the source line) when it does not compile.")]
    async fn compile_shader(&self, Parameters(input): Parameters<CompileInput>) -> Result<CallToolResult, ErrorData> {
        let state = self.state.clone();
        let body = shaders::ShaderBody {
            source: input.source,
            stage: input.stage,
            entry: input.entry,
            name: None,
            backend: None,
        };
        answer(run(move || shaders::compile(&state, body)).await)
    }

    #[tool(description = "The shader library: each effect's name, file and summary (for #include and as a start).")]
    async fn list_library(&self) -> Result<CallToolResult, ErrorData> {
        answer(Ok(library::list(&self.state)))
    }

    #[tool(description = "The loaded graph as its config (nodes, edges, shaders with their sources and \
        parameter values) and its stats (fps, frame times, each effect's swaps).")]
    async fn describe_graph(&self) -> Result<CallToolResult, ErrorData> {
        let config = graph::config_text(&self.state)
            .and_then(|text| serde_json::from_str::<Value>(&text).map_err(|e| ApiError::internal(e.to_string())));
        answer(config.map(|config| json!({ "config": config, "stats": graph::stats(&self.state) })))
    }

    #[tool(description = "Load a graph config (replacing the loaded graph) and start it unless start is false.")]
    async fn load_graph(&self, Parameters(input): Parameters<LoadInput>) -> Result<CallToolResult, ErrorData> {
        let state = self.state.clone();
        answer(
            run(move || {
                let text = input.config.to_string();
                let mut loaded = graph::load(&state, &text)?;
                if input.start.unwrap_or(true) {
                    loaded["started"] = graph::start(&state, None, input.fps)?;
                }
                Ok(loaded)
            })
            .await,
        )
    }

    #[tool(description = "Stop the loaded graph; its final stats.")]
    async fn stop_graph(&self) -> Result<CallToolResult, ErrorData> {
        let state = self.state.clone();
        answer(run(move || graph::stop(&state)).await)
    }

    #[tool(description = "Compile HLSL and swap it into a running effect between two frames. On a compile error \
        the diagnostics come back and the effect keeps running its last good shader.")]
    async fn replace_shader(&self, Parameters(input): Parameters<SwapInput>) -> Result<CallToolResult, ErrorData> {
        let state = self.state.clone();
        let body = shaders::ShaderBody { source: input.source, stage: None, entry: None, name: None, backend: None };
        answer(run(move || effects::replace_shader(&state, &input.effect, body)).await)
    }

    #[tool(description = "Set an effect's parameters, all or none: an unknown name or a value of the wrong type \
        is refused, naming it. The @range of each parameter (compile_shader, describe_graph) is its useful span.")]
    async fn set_params(&self, Parameters(input): Parameters<ParamsInput>) -> Result<CallToolResult, ErrorData> {
        answer(effects::set_params(&self.state, &input.effect, &input.values))
    }

    #[tool(description = "The newest frame of the graph's output as an image you can look at.")]
    async fn get_frame(&self, Parameters(input): Parameters<FrameInput>) -> Result<CallToolResult, ErrorData> {
        let state = self.state.clone();
        let jpeg = match input.format.as_deref() {
            None | Some("png") => false,
            Some("jpeg" | "jpg") => true,
            Some(other) => {
                return answer(Err(ApiError::bad_field("format", format!("'{other}' is not png or jpeg"))));
            }
        };
        let max_size = input.max_size.unwrap_or(DEFAULT_FRAME_SIZE);
        match run(move || graph::latest_frame(&state, jpeg, Some(max_size))).await {
            Ok(picture) => {
                let data = base64::engine::general_purpose::STANDARD.encode(&picture.bytes);
                let facts = json!({ "index": picture.index, "width": picture.width, "height": picture.height, "mime": picture.mime });
                let mut result = CallToolResult::success(vec![
                    ContentBlock::image(data, picture.mime),
                    ContentBlock::text(facts.to_string()),
                ]);
                result.structured_content = Some(facts);
                Ok(result)
            }
            Err(error) => answer(Err(error)),
        }
    }

    #[tool(
        description = "The runtime's stats: fps, frame times, frames, each effect's shader and swaps, compiler counts."
    )]
    async fn get_stats(&self) -> Result<CallToolResult, ErrorData> {
        answer(Ok(graph::stats(&self.state)))
    }
}

#[tool_handler]
impl ServerHandler for StreamlibMcp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build()).with_instructions(INSTRUCTIONS)
    }
}

/// The `mcp` command's settings.
#[derive(Debug, Clone, Default)]
pub struct McpOptions {
    /// A graph config to load and start before serving.
    pub config: Option<PathBuf>,
    /// Accept configs whose nodes read or write this machine's files.
    pub allow_files: bool,
}

/// Serves MCP on stdin/stdout until the client closes it; a graph still running then is stopped.
pub fn serve_stdio(options: &McpOptions) -> Result<(), String> {
    let compiler = crate::compiler().map_err(|e| e.to_string())?;
    let state = Arc::new(AppState::new(compiler, None, options.allow_files, 16));
    if let Some(path) = &options.config {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read '{}': {e}", path.display()))?;
        graph::load(&state, &text).map_err(|e| e.body["message"].as_str().unwrap_or("cannot load").to_owned())?;
        graph::start(&state, None, None)
            .map_err(|e| e.body["message"].as_str().unwrap_or("cannot start").to_owned())?;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let result = runtime.block_on(async {
        let service = StreamlibMcp::new(state.clone())
            .serve(rmcp::transport::stdio())
            .await
            .map_err(|e| format!("cannot start MCP on stdio: {e}"))?;
        service.waiting().await.map(|_| ()).map_err(|e| format!("MCP on stdio failed: {e}"))
    });
    state.stop_graph();
    result
}
