//! The runtime's operations (`crate::ops`) as Model Context Protocol tools, resources and a prompt, with the
//! official Rust SDK (`rmcp`): over stdio for `streamlib-runtime mcp` (what desktop agents launch) and over
//! streamable HTTP at `serve`'s `/mcp` (`http_service`). A tool that fails returns a tool error carrying the
//! same JSON an HTTP client gets (`code`, `message`, the diagnostics of a compile), never a protocol failure,
//! so an agent reads why and tries again; a shader that does not compile leaves the graph running its last
//! good one. What an agent is told is `streamlib_core::agents`.

use std::path::PathBuf;
use std::sync::Arc;

use base64::Engine;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{
    CallToolResult, ContentBlock, GetPromptRequestParams, GetPromptResponse, GetPromptResult, Implementation,
    ListPromptsResult, ListResourceTemplatesResult, ListResourcesResult, ListToolsResult, PaginatedRequestParams,
    Prompt, PromptArgument, PromptMessage, ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult,
    Resource, ResourceContents, ResourceTemplate, Role, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{schemars, tool, tool_handler, tool_router, ErrorData, RoleServer, ServerHandler, ServiceExt};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use streamlib_core::agents::{
    write_effect_prompt, EFFECT_REFERENCE, GRAPH_URI, INSTRUCTIONS, LIBRARY_URI, REFERENCE_URI, WRITE_EFFECT,
};

use crate::http::{ApiError, AppState};
use crate::ops::{effects, graph, library, shaders};

/// The MCP server over one runtime's state (the same `AppState` the HTTP API serves).
#[derive(Clone)]
pub struct StreamlibMcp {
    state: Arc<AppState>,
}

#[derive(Deserialize, schemars::JsonSchema)]
pub struct CompileInput {
    /// Source of the effect: HLSL, or GLSL with language "glsl".
    pub source: String,
    /// "auto" (default: compute when the entry has [numthreads]), "pixel", "vertex" or "compute".
    pub stage: Option<String>,
    /// Entry point (default "main").
    pub entry: Option<String>,
    /// "hlsl" (default) or "glsl": a Shadertoy-style `mainImage` effect with iTime, iResolution, iChannel0…
    pub language: Option<String>,
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
    /// The new source.
    pub source: String,
    /// "hlsl" or "glsl" (default: the running shader's language).
    pub language: Option<String>,
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
    /// The node whose output to show (default: the end of the chain, where the latest frame comes from).
    pub node: Option<String>,
    /// Longest side of the image in pixels; larger frames are scaled down (default 512).
    pub max_size: Option<u32>,
    /// "png" (default, exact) or "jpeg" (smaller).
    pub format: Option<String>,
}

#[derive(Deserialize, schemars::JsonSchema)]
pub struct AddEffectInput {
    /// The new effect node's id.
    pub id: String,
    /// Its HLSL source (give this or `library`).
    pub source: Option<String>,
    /// A library shader's name (list_library), instead of `source`.
    pub library: Option<String>,
    /// The node it follows; that node's readers then read the new effect (default: the end of the chain).
    pub after: Option<String>,
    /// Starting parameter values: name → list of numbers (one per component).
    pub values: Option<std::collections::BTreeMap<String, Vec<f64>>>,
    /// The language of `source`: "hlsl" (default) or "glsl" (a Shadertoy-style `mainImage` effect).
    pub language: Option<String>,
}

const DEFAULT_FRAME_SIZE: u32 = 512;

fn answer(result: Result<Value, ApiError>) -> Result<CallToolResult, ErrorData> {
    Ok(match result {
        Ok(value) => CallToolResult::structured(value),
        Err(error) => CallToolResult::structured_error(error.body),
    })
}

impl StreamlibMcp {
    /// Runs an operation off the async threads once one of the server's `max_concurrent` slots is free (tool
    /// calls queue for a slot, where the HTTP API answers busy: an agent's parallel calls all get answers). A
    /// panic in the work becomes a tool error, not a dead server.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&AppState) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let slot = self.state.wait_slot().await;
        let state = self.state.clone();
        let done = tokio::task::spawn_blocking(move || {
            let _slot = slot;
            work(&state)
        });
        done.await.map_err(|e| ApiError::internal(format!("the tool's work failed: {e}")))?
    }
}

#[tool_router]
impl StreamlibMcp {
    pub fn new(state: Arc<AppState>) -> StreamlibMcp {
        StreamlibMcp { state }
    }

    #[tool(description = "Compile HLSL: its reflection (stage, parameters with ranges and defaults), or the \
        diagnostics (file, line, column, message, the source line) when it does not compile.")]
    async fn compile_shader(&self, Parameters(input): Parameters<CompileInput>) -> Result<CallToolResult, ErrorData> {
        let body = shaders::ShaderBody {
            source: input.source,
            stage: input.stage,
            entry: input.entry,
            name: None,
            backend: None,
            language: input.language,
        };
        answer(self.run(move |state| shaders::compile(state, body)).await)
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
        answer(
            self.run(move |state| {
                let text = input.config.to_string();
                let mut loaded = graph::load(state, &text)?;
                if input.start.unwrap_or(true) {
                    loaded["started"] = graph::start(state, None, input.fps)?;
                }
                Ok(loaded)
            })
            .await,
        )
    }

    #[tool(description = "Grow the loaded graph by an effect (HLSL source or a library shader) after a node: \
        that node's readers then read the new effect. A shader that does not compile returns its diagnostics and \
        changes nothing; otherwise the graph is rebuilt and keeps running.")]
    async fn add_effect(&self, Parameters(input): Parameters<AddEffectInput>) -> Result<CallToolResult, ErrorData> {
        let new = graph::NewEffect {
            id: input.id,
            source: input.source,
            library: input.library,
            after: input.after,
            values: input.values.unwrap_or_default(),
            language: input.language,
        };
        answer(self.run(move |state| graph::add_effect(state, new)).await)
    }

    #[tool(description = "Stop the loaded graph; its final stats.")]
    async fn stop_graph(&self) -> Result<CallToolResult, ErrorData> {
        answer(self.run(graph::stop).await)
    }

    #[tool(description = "Compile HLSL and swap it into a running effect between two frames. On a compile error \
        the diagnostics come back and the effect keeps running its last good shader.")]
    async fn replace_shader(&self, Parameters(input): Parameters<SwapInput>) -> Result<CallToolResult, ErrorData> {
        let body = shaders::ShaderBody {
            source: input.source,
            stage: None,
            entry: None,
            name: None,
            backend: None,
            language: input.language,
        };
        answer(self.run(move |state| effects::replace_shader(state, &input.effect, body)).await)
    }

    #[tool(description = "Set an effect's parameters, all or none: an unknown name or a value of the wrong type \
        is refused, naming it. The @range of each parameter (compile_shader, describe_graph) is its useful span.")]
    async fn set_params(&self, Parameters(input): Parameters<ParamsInput>) -> Result<CallToolResult, ErrorData> {
        answer(effects::set_params(&self.state, &input.effect, &input.values))
    }

    #[tool(description = "The newest frame of a node's output (default: the end of the chain) as an image you \
        can look at. The first look at another node adds a sink to it, restarting the graph once.")]
    async fn get_frame(&self, Parameters(input): Parameters<FrameInput>) -> Result<CallToolResult, ErrorData> {
        let jpeg = match input.format.as_deref() {
            None | Some("png") => false,
            Some("jpeg" | "jpg") => true,
            Some(other) => {
                return answer(Err(ApiError::bad_field("format", format!("'{other}' is not png or jpeg"))));
            }
        };
        let max_size = input.max_size.unwrap_or(DEFAULT_FRAME_SIZE);
        let node = input.node;
        match self.run(move |state| graph::latest_frame(state, node.as_deref(), jpeg, Some(max_size))).await {
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
        let capabilities = ServerCapabilities::builder().enable_tools().enable_resources().enable_prompts().build();
        ServerConfig::new(capabilities)
            .with_server_info(Implementation::new("streamlib-runtime", env!("CARGO_PKG_VERSION")))
            .with_instructions(INSTRUCTIONS)
    }

    /// The tools, with `set_params`'s schema made from the loaded graph: its effects and their parameters'
    /// ranges, defaults and shapes (reflected from the shaders), so an agent sees what it may set.
    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let mut tools = Self::tool_router().list_all();
        if let Some(schema) = effects::params_schema(&self.state) {
            for tool in tools.iter_mut().filter(|t| t.name == "set_params") {
                tool.input_schema = Arc::new(schema.clone());
            }
        }
        Ok(ListToolsResult::with_all_items(tools))
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let mut resources = vec![
            Resource::new(REFERENCE_URI, "effect-reference")
                .with_description("How to write an effect: the prelude (input, tex2D, frame values), the pixel and compute forms, parameter annotations (@range, @default, @color, @checkbox) and the library's effects")
                .with_mime_type("text/markdown"),
            Resource::new(GRAPH_URI, "graph")
                .with_description("The loaded graph as its config JSON (streamlib.graph/v1), kept current by set_params and replace_shader")
                .with_mime_type("application/json"),
        ];
        let listed = library::list(&self.state);
        for shader in listed["shaders"].as_array().into_iter().flatten() {
            let name = shader["name"].as_str().unwrap_or_default();
            resources.push(
                Resource::new(format!("{LIBRARY_URI}{name}.hlsl"), format!("library/{name}"))
                    .with_description(shader["summary"].as_str().unwrap_or_default())
                    .with_mime_type("text/x-hlsl"),
            );
        }
        Ok(ListResourcesResult::with_all_items(resources))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        let template = ResourceTemplate::new(format!("{LIBRARY_URI}{{name}}.hlsl"), "library-shader")
            .with_description("A library shader's HLSL source (names: list_library)")
            .with_mime_type("text/x-hlsl");
        Ok(ListResourceTemplatesResult::with_all_items(vec![template]))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let uri = request.uri;
        let (text, mime) = if uri == REFERENCE_URI {
            (EFFECT_REFERENCE.to_owned(), "text/markdown")
        } else if uri == GRAPH_URI {
            let text = graph::config_text(&self.state)
                .map_err(|e| ErrorData::resource_not_found(error_message(&e), Some(e.body.clone())))?;
            (text, "application/json")
        } else if let Some(name) = uri.strip_prefix(LIBRARY_URI).and_then(|rest| rest.strip_suffix(".hlsl")) {
            let text = library::source(&self.state, name).ok_or_else(|| {
                let missing = library::missing(name);
                ErrorData::resource_not_found(error_message(&missing), Some(missing.body.clone()))
            })?;
            (text, "text/x-hlsl")
        } else {
            let known = format!("{REFERENCE_URI}, {GRAPH_URI} or {LIBRARY_URI}NAME.hlsl");
            return Err(ErrorData::resource_not_found(format!("no resource '{uri}' (known: {known})"), None));
        };
        Ok(ReadResourceResult::new(vec![ResourceContents::text(text, uri).with_mime_type(mime)]).into())
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        let arguments = vec![
            PromptArgument::new("description").with_description("What the effect should do").with_required(true),
            PromptArgument::new("effect")
                .with_description("The running effect to replace (replace_shader); without it, add_effect adds one")
                .with_required(false),
        ];
        let prompt = Prompt::new(
            WRITE_EFFECT,
            Some("Write an HLSL video effect for streamlib, compile it, fix it from the diagnostics, run it and look at it"),
            Some(arguments),
        );
        Ok(ListPromptsResult::with_all_items(vec![prompt]))
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        if request.name != WRITE_EFFECT {
            return Err(ErrorData::invalid_params(
                format!("no prompt '{}' (known: {WRITE_EFFECT})", request.name),
                None,
            ));
        }
        let arguments = request.arguments.unwrap_or_default();
        let description = arguments.get("description").and_then(Value::as_str).unwrap_or_default().trim();
        if description.is_empty() {
            return Err(ErrorData::invalid_params("write_effect needs a 'description' of the effect", None));
        }
        let effect = arguments.get("effect").and_then(Value::as_str).filter(|e| !e.is_empty());
        let text = write_effect_prompt(description, effect);
        let result = GetPromptResult::new(vec![PromptMessage::new_text(Role::User, text)])
            .with_description("Write, compile, fix and run a streamlib effect");
        Ok(result.into())
    }
}

fn error_message(error: &ApiError) -> String {
    error.body["message"].as_str().unwrap_or("failed").to_owned()
}

/// Settings of MCP over streamable HTTP (`serve`'s `/mcp`): which `Host` names and browser `Origin`s are let
/// in. Loopback names are always allowed; an `Origin` header is refused unless listed (DNS-rebinding
/// protection: a web page cannot reach a local runtime through a name it controls).
#[derive(Debug, Clone, Default)]
pub struct HttpSettings {
    pub extra_hosts: Vec<String>,
    pub allowed_origins: Vec<String>,
}

/// Largest `/mcp` request: a 1 MB shader source with JSON's escaping and the envelope.
const MCP_BODY_LIMIT: usize = 4 << 20;

/// MCP over streamable HTTP on `state`, stateless (every POST answered with JSON; no session to keep, so any
/// number of agents may call at once), for `serve` to mount at `/mcp` behind its bearer-token guard.
pub fn http_service(
    state: Arc<AppState>,
    settings: &HttpSettings,
) -> StreamableHttpService<StreamlibMcp, NeverSessionManager> {
    let mut hosts: Vec<String> = ["localhost", "127.0.0.1", "::1"].map(str::to_owned).to_vec();
    hosts.extend(settings.extra_hosts.iter().cloned());
    let config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_sse_keep_alive(None)
        .with_allowed_hosts(hosts)
        .with_allowed_origins(settings.allowed_origins.clone())
        .enforce_origin_validation()
        .with_max_request_body_bytes(MCP_BODY_LIMIT);
    StreamableHttpService::new(
        move || Ok(StreamlibMcp::new(state.clone())),
        Arc::new(NeverSessionManager::default()),
        config,
    )
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
