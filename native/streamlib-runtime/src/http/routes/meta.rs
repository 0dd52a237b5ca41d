//! About the server: health, the OpenAPI document, capabilities.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use streamlib_core::features::{features, GpuFacts};
use streamlib_core::shader::backends;

use super::{ok, Answer, Shared};
use crate::http::body::blocking;
use crate::http::state::{GRAPH_BODY_LIMIT, SHADER_BODY_LIMIT};
use crate::ops::graph::default_gpu;

const OPENAPI: &str = include_str!("../../openapi.json");
const GRAPH_SCHEMA: &str = include_str!("../../../../../schemas/graph.streamlib.v1.schema.json");
const GRAPH_SCHEMA_REF: &str = "https://streamlib/schemas/graph.streamlib.v1.schema.json";

pub(super) async fn health() -> Json<Value> {
    Json(json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") }))
}

pub(super) async fn openapi() -> Response {
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

pub(super) async fn capabilities(State(state): State<Shared>) -> Answer {
    let (gpu, features) = blocking(|| {
        let gpu = default_gpu(None);
        // A device that fails to open gives no GPU features, whatever adapters the machine lists.
        let gpus: Vec<GpuFacts> = gpu.as_deref().ok().map(GpuFacts::of).into_iter().collect();
        (gpu, features(&gpus))
    })
    .await?;
    let compilers: Vec<Value> = backends()
        .iter()
        .map(|b| json!({ "name": b.kind.as_str(), "version": b.version, "available": b.available }))
        .collect();
    let (adapter, adapter_error) = match &gpu {
        Ok(gpu) => {
            let a = &gpu.adapter;
            (
                json!({ "name": a.name, "backend": a.backend, "device_type": a.device_type, "driver": a.driver, "driver_info": a.driver_info, "passthrough": gpu.passthrough }),
                Value::Null,
            )
        }
        Err(err) => (Value::Null, Value::String(err.to_string())),
    };
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
