//! The HTTP API driven in-process: the real router and guard with their state, requests sent through
//! `tower::ServiceExt::oneshot` — no port, no server process. Compiles go through this package's binary as
//! the worker, as in `serve`. The end-to-end tests against the running binary are `tests/runtime/` (Python).

use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use serde_json::{json, Value};
use streamlib_runtime::http::{app, AppState};
use streamlib_runtime::mcp::HttpSettings;
use tower::ServiceExt as _;

const TINT: &str = "cbuffer params { float strength; float3 tint; };\nfloat4 main(float2 uv : TEXCOORD) : SV_Target { return tex2D(input, uv) * strength * float4(tint, 1); }\n";
const BROKEN: &str = "float4 main(float2 uv : TEXCOORD) : SV_Target\n{\n    return float4(gain, 0, 1, 1);\n}\n";

fn state(token: Option<&str>) -> Arc<AppState> {
    let compiler = streamlib_runtime::compiler_with_worker(PathBuf::from(env!("CARGO_BIN_EXE_streamlib-runtime")));
    Arc::new(AppState::new(compiler, token.map(str::to_owned), false, 16))
}

/// Sends one request; the status and the body as JSON (Null when it is not JSON).
async fn call(
    router: &Router,
    method: Method,
    path: &str,
    body: Option<Value>,
    token: Option<&str>,
) -> (StatusCode, Value) {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
    let response = router.clone().oneshot(request.body(body).unwrap()).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

fn sha256(text: &str) -> String {
    streamlib_core::shader::cache::sha256_hex(text.as_bytes())
}

/// test pattern → tint (effect "fill") → numpy, as a config document.
fn tint_graph() -> Value {
    json!({
        "format": "streamlib.graph", "version": 1, "runtime": {"fps": null, "adapter": null},
        "nodes": [
            {"id": "pattern", "kind": "source", "type": "test_pattern", "params": {"width": 32, "height": 16}},
            {"id": "fill", "kind": "effect", "type": "effect", "params": {"shader": "tint", "values": {"strength": [0.5]}}},
            {"id": "peek", "kind": "sink", "type": "numpy", "params": {}}
        ],
        "edges": [
            {"from": "pattern.video", "to": "fill.video", "delivery": "latest"},
            {"from": "fill.video", "to": "peek.video", "delivery": "latest"}
        ],
        "shaders": {"tint": {"name": "tint.hlsl", "stage": "pixel", "entry": "main", "backend": "glslang",
                             "source": TINT, "sha256": sha256(TINT), "artifacts": {}, "artifact_source_sha256": null}}
    })
}

#[tokio::test]
async fn health_answers_without_a_token() {
    let router = app(state(Some("secret")), &HttpSettings::default());
    let (status, body) = call(&router, Method::GET, "/v1/health", None, None).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")})));
}

#[tokio::test]
async fn other_routes_need_the_token_when_one_is_configured() {
    let router = app(state(Some("secret")), &HttpSettings::default());
    let request = Request::builder().uri("/v1/stats").body(Body::empty()).unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(response.headers()[header::WWW_AUTHENTICATE], "Bearer");
    let (status, body) = call(&router, Method::GET, "/v1/stats", None, Some("wrong")).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthorized")));
    let (status, body) = call(&router, Method::GET, "/v1/stats", None, Some("secret")).await;
    assert_eq!((status, &body["graph_loaded"]), (StatusCode::OK, &json!(false)));
}

#[tokio::test]
async fn capabilities_list_the_cores_features() {
    let router = app(state(None), &HttpSettings::default());
    let (status, body) = call(&router, Method::GET, "/v1/capabilities", None, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let features: Vec<&str> = body["features"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    let gpu = streamlib_core::gpu::Gpu::shared(&streamlib_core::gpu::AdapterPreference::from_env()).ok();
    assert_eq!(features, streamlib_core::features_here(gpu.as_deref()));
    assert!(features.contains(&"glslang") && features.contains(&"camera"), "{features:?}");
    assert!(body["compilers"].as_array().unwrap().iter().any(|c| c["name"] == "glslang" && c["available"] == true));
    assert_eq!(body["limits"]["shader_body_bytes"], 1 << 20);
    assert_eq!(body["config_versions"], json!([1]));
}

#[tokio::test]
async fn without_a_stage_the_core_detects_it() {
    let router = app(state(None), &HttpSettings::default());
    let compute = "// a [numthreads(1, 1, 1)] in a comment does not count; the attribute below does\n\
                   RWTexture2D<float4> output;\n[numthreads(8, 8, 1)] void main(uint3 id : SV_DispatchThreadID) \
                   { output[id.xy] = float4(1, 0, 0, 1); }\n";
    for (source, stage) in [(compute, "compute"), (TINT, "pixel")] {
        let (status, body) = call(&router, Method::POST, "/v1/shaders", Some(json!({"source": source})), None).await;
        assert_eq!((status, &body["stage"]), (StatusCode::OK, &json!(stage)), "{body}");
    }
    let pixel_with_mention = format!("// not a [numthreads(8, 8, 1)] shader\n{TINT}");
    let (status, body) =
        call(&router, Method::POST, "/v1/shaders", Some(json!({"source": pixel_with_mention, "stage": "auto"})), None)
            .await;
    assert_eq!((status, &body["stage"]), (StatusCode::OK, &json!("pixel")), "{body}");
}

#[tokio::test]
async fn a_shader_that_compiles_answers_its_reflection() {
    let router = app(state(None), &HttpSettings::default());
    let (status, body) =
        call(&router, Method::POST, "/v1/shaders", Some(json!({"source": TINT, "name": "tint.hlsl"})), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (&body["name"], &body["stage"], &body["backend"]),
        (&json!("tint.hlsl"), &json!("pixel"), &json!("glslang"))
    );
    let names: Vec<&Value> = body["parameters"].as_array().unwrap().iter().map(|p| &p["name"]).collect();
    assert_eq!(names, [&json!("strength"), &json!("tint")]);
    assert_eq!(body["source_sha256"], json!(sha256(TINT)));
    // Warnings are diagnostics too, in the same shape as the errors below.
    for warning in body["warnings"].as_array().unwrap() {
        assert!(["severity", "line", "column", "message", "source_line"].iter().all(|k| warning.get(k).is_some()));
    }
}

#[tokio::test]
async fn a_broken_shader_is_422_with_the_line_and_column() {
    let router = app(state(None), &HttpSettings::default());
    let (status, body) = call(&router, Method::POST, "/v1/shaders", Some(json!({"source": BROKEN})), None).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("compile_error")), "{body}");
    let errors: Vec<&Value> =
        body["diagnostics"].as_array().unwrap().iter().filter(|d| d["severity"] == "error").collect();
    assert!(!errors.is_empty(), "{body}");
    // In the user's own numbers, 1-based: `gain` starts at column 19 of line 3.
    assert_eq!((&errors[0]["line"], &errors[0]["column"]), (&json!(3), &json!(19)), "{body}");
    assert_eq!(errors[0]["source_line"], "    return float4(gain, 0, 1, 1);");
    assert!(errors[0]["message"].as_str().is_some_and(|m| m.contains("gain")), "{body}");
}

#[tokio::test]
async fn a_bad_request_field_is_named() {
    let router = app(state(None), &HttpSettings::default());
    let (status, body) =
        call(&router, Method::POST, "/v1/shaders", Some(json!({"source": TINT, "stage": "geometry"})), None).await;
    assert_eq!(
        (status, &body["code"], &body["field"]),
        (StatusCode::BAD_REQUEST, &json!("bad_request"), &json!("stage"))
    );
}

#[tokio::test]
async fn a_graph_with_a_bad_field_is_400_naming_it() {
    let router = app(state(None), &HttpSettings::default());
    let mut config = tint_graph();
    config["nodes"][0]["params"]["width"] = json!("wide");
    let (status, body) = call(&router, Method::PUT, "/v1/graph", Some(config), None).await;
    assert_eq!((status, &body["code"]), (StatusCode::BAD_REQUEST, &json!("bad_config")), "{body}");
    assert_eq!(body["field"], "nodes[0].params.width");
    assert_eq!(body["message"], "nodes[0].params.width: node 'pattern': invalid type: string \"wide\", expected u32");
    // A node that writes the server's files is refused without --allow-files, naming its field.
    let mut config = tint_graph();
    config["nodes"][2] =
        json!({"id": "peek", "kind": "sink", "type": "image_sequence", "params": {"directory": "out", "prefix": "f"}});
    let (status, body) = call(&router, Method::PUT, "/v1/graph", Some(config), None).await;
    assert_eq!((status, &body["field"]), (StatusCode::BAD_REQUEST, &json!("nodes[2].params.directory")), "{body}");
}

#[tokio::test]
async fn parameters_are_set_all_or_nothing() {
    let state = state(None);
    let router = app(state.clone(), &HttpSettings::default());
    let (status, body) = call(&router, Method::PUT, "/v1/graph", Some(tint_graph()), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["latest_frame_from"], "fill");
    let values = || state.graph().as_ref().unwrap().built.effects["fill"].lock().values();
    let before = values();

    // `strength` is fine, `tint` is not: neither is set.
    let patch = json!({"strength": 0.25, "tint": [1.0, 0.5]});
    let (status, body) = call(&router, Method::PATCH, "/v1/effects/fill/params", Some(patch), None).await;
    assert_eq!((status, &body["code"]), (StatusCode::BAD_REQUEST, &json!("bad_parameter")), "{body}");
    assert_eq!(
        (&body["effect"], &body["parameter"], &body["value"]),
        (&json!("fill"), &json!("tint"), &json!([1.0, 0.5]))
    );
    assert_eq!(values(), before);
    let (_, config) = call(&router, Method::GET, "/v1/graph", None, None).await;
    assert_eq!(config["nodes"][1]["params"]["values"], json!({"strength": [0.5]}));

    let patch = json!({"strength": 0.25, "tint": [1.0, 0.5, 0.0]});
    let (status, body) = call(&router, Method::PATCH, "/v1/effects/fill/params", Some(patch), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["values"], json!({"strength": [0.25], "tint": [1.0, 0.5, 0.0]}));
    let (_, config) = call(&router, Method::GET, "/v1/graph", None, None).await;
    assert_eq!(config["nodes"][1]["params"]["values"], json!({"strength": [0.25], "tint": [1.0, 0.5, 0.0]}));
}

/// POSTs a JSON-RPC `initialize` to /mcp as an MCP client would, with `headers` added; the status and the
/// body as JSON (Null when it is not JSON).
async fn mcp_initialize(router: &Router, headers: &[(&str, &str)]) -> (StatusCode, Value) {
    let message = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "routes-test", "version": "1"}}});
    let mut request = Request::builder()
        .method(Method::POST)
        .uri("/mcp")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT, "application/json, text/event-stream");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = router.clone().oneshot(request.body(Body::from(message.to_string())).unwrap()).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

#[tokio::test]
async fn mcp_needs_the_token_a_loopback_host_and_no_foreign_origin() {
    let router = app(state(Some("secret")), &HttpSettings::default());
    let loopback = ("host", "127.0.0.1:8080");
    let token = ("authorization", "Bearer secret");
    let (status, body) = mcp_initialize(&router, &[loopback]).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthorized")));
    let (status, _) = mcp_initialize(&router, &[loopback, ("authorization", "Bearer wrong")]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // DNS rebinding: a page on another site reaching this server through a name it controls.
    let (status, _) = mcp_initialize(&router, &[("host", "evil.example:8080"), token]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = mcp_initialize(&router, &[loopback, token, ("origin", "http://evil.example")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = mcp_initialize(&router, &[loopback, token]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["result"]["serverInfo"]["name"], "streamlib-runtime", "{body}");
    assert!(
        body["result"]["capabilities"]["resources"].is_object()
            && body["result"]["capabilities"]["prompts"].is_object()
    );
}

#[tokio::test]
async fn mcp_lets_in_the_hosts_and_origins_it_is_told_to() {
    let settings =
        HttpSettings { extra_hosts: vec!["studio.lan".into()], allowed_origins: vec!["http://localhost:6274".into()] };
    let router = app(state(None), &settings);
    let (status, body) = mcp_initialize(&router, &[("host", "studio.lan:8080")]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) =
        mcp_initialize(&router, &[("host", "localhost:8080"), ("origin", "http://localhost:6274")]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = mcp_initialize(&router, &[("host", "localhost:8080"), ("origin", "http://localhost:9999")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_added_effect_joins_the_chain_and_a_broken_one_changes_nothing() {
    let router = app(state(None), &HttpSettings::default());
    let (status, body) = call(&router, Method::PUT, "/v1/graph", Some(tint_graph()), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let broken = json!({"id": "gain", "source": BROKEN});
    let (status, body) = call(&router, Method::POST, "/v1/graph/effects", Some(broken), None).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("compile_error")), "{body}");
    assert_eq!(body["diagnostics"][0]["line"], 3, "{body}");
    let (_, config) = call(&router, Method::GET, "/v1/graph", None, None).await;
    assert_eq!(config["nodes"].as_array().unwrap().len(), 3);
    let added = json!({"id": "gain", "source": TINT, "after": "fill", "values": {"strength": [2.0]}});
    let (status, body) = call(&router, Method::POST, "/v1/graph/effects", Some(added), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!((body["effect"].as_str(), body["after"].as_str()), (Some("gain"), Some("fill")));
    let (_, config) = call(&router, Method::GET, "/v1/graph", None, None).await;
    let ids: Vec<&str> = config["nodes"].as_array().unwrap().iter().filter_map(|n| n["id"].as_str()).collect();
    assert_eq!(ids, ["pattern", "fill", "gain", "peek"]);
    let mut edges: Vec<String> =
        config["edges"].as_array().unwrap().iter().map(|e| format!("{} -> {}", e["from"], e["to"])).collect();
    edges.sort();
    assert_eq!(
        edges,
        [r#""fill.video" -> "gain.video""#, r#""gain.video" -> "peek.video""#, r#""pattern.video" -> "fill.video""#]
    );
    assert_eq!(config["nodes"][2]["params"]["values"]["strength"], json!([2.0]));
    let (status, body) =
        call(&router, Method::POST, "/v1/graph/effects", Some(json!({"id": "gain", "library": "nope"})), None).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::NOT_FOUND, Some("no_library_shader")), "{body}");
}

#[tokio::test]
async fn a_glsl_effect_compiles_and_swaps_in_with_its_language() {
    let router = app(state(None), &HttpSettings::default());
    let glsl = "uniform float gain; // @range(0, 2) @default(1)\nvoid mainImage(out vec4 o, in vec2 p) {\n    o = vec4(gain);\n}\n";
    let (status, body) =
        call(&router, Method::POST, "/v1/shaders", Some(json!({"source": glsl, "language": "glsl"})), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!((body["language"].as_str(), body["parameters"][0]["max"].as_f64()), (Some("glsl"), Some(2.0)));
    let (status, body) =
        call(&router, Method::POST, "/v1/shaders", Some(json!({"source": glsl, "language": "wgsl"})), None).await;
    assert_eq!((status, body["field"].as_str()), (StatusCode::BAD_REQUEST, Some("language")), "{body}");

    let (status, _) = call(&router, Method::PUT, "/v1/graph", Some(tint_graph()), None).await;
    assert_eq!(status, StatusCode::OK);
    let swap = json!({"source": glsl, "language": "glsl"});
    let (status, body) = call(&router, Method::PUT, "/v1/effects/fill/shader", Some(swap), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, config) = call(&router, Method::GET, "/v1/graph", None, None).await;
    let key = config["nodes"][1]["params"]["shader"].as_str().unwrap().to_owned();
    assert_eq!(config["shaders"][key.as_str()]["language"], "glsl", "the swap is recorded with its language");
    // Without a language the next swap is read in the running shader's: GLSL again.
    let again = json!({"source": glsl.replace("vec4(gain)", "vec4(gain * 0.5)")});
    let (status, body) = call(&router, Method::PUT, "/v1/effects/fill/shader", Some(again), None).await;
    assert_eq!((status, body["language"].as_str()), (StatusCode::OK, Some("glsl")), "{body}");
}
