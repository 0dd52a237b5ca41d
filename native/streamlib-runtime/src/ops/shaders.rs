//! Compiling a shader: the request a client sends (shared with the hot swap) and the answer it gets.

use serde::Deserialize;
use serde_json::{json, Value};
use streamlib_core::shader::{BackendKind, CompileOptions, CompileRequest, CompiledShader, Language, Stage};

use crate::http::{ApiError, AppState};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShaderBody {
    pub source: String,
    pub stage: Option<String>,
    pub entry: Option<String>,
    pub name: Option<String>,
    pub backend: Option<String>,
    /// "hlsl" (the default) or "glsl" (a Shadertoy-style effect).
    #[serde(default)]
    pub language: Option<String>,
}

/// The compile request `body` asks for, with the defaults filled in; 400 naming a field that does not parse.
/// Without a stage (or with "auto") it is `default_stage`, else the one the core detects in the source.
pub fn compile_request(
    body: ShaderBody,
    default_stage: Option<Stage>,
    default_entry: &str,
    default_name: &str,
) -> Result<CompileRequest, ApiError> {
    let stage = match (body.stage.as_deref().unwrap_or("auto"), default_stage) {
        ("auto", Some(stage)) => stage,
        (text, _) => {
            Stage::from_request(text, &body.source).map_err(|message| ApiError::bad_field("stage", message))?
        }
    };
    let backend = match &body.backend {
        None => None,
        Some(text) => Some(BackendKind::from_name(text).map_err(|message| ApiError::bad_field("backend", message))?),
    };
    let language = match &body.language {
        None => Language::Hlsl,
        Some(text) => Language::from_name(text).map_err(|message| ApiError::bad_field("language", message))?,
    };
    // No include_dirs from the request: `#include` reads only the server's shader library.
    let options = CompileOptions {
        language,
        stage,
        entry: body.entry.unwrap_or_else(|| default_entry.to_owned()),
        backend,
        ..CompileOptions::default()
    };
    Ok(CompileRequest { name: body.name.unwrap_or_else(|| default_name.to_owned()), source: body.source, options })
}

pub fn shader_json(shader: &CompiledShader) -> Value {
    json!({
        "name": shader.name,
        "language": shader.language.as_str(),
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

/// Compiles `body`: its reflection, or 422 with the diagnostics.
pub fn compile(state: &AppState, body: ShaderBody) -> Result<Value, ApiError> {
    let request = compile_request(body, None, "main", "shader.hlsl")?;
    let shader = state.compiler.compile(&request).map_err(ApiError::compile)?;
    Ok(shader_json(&shader))
}
