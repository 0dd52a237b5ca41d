//! One effect of the loaded graph: set its parameters (all or nothing) or hot-swap its shader.

use std::sync::Arc;

use axum::http::StatusCode;
use serde_json::{json, Map, Value};
use streamlib_core::gpu::ParamValue;
use streamlib_core::nodes::EffectHandle;
use streamlib_core::session::{record_swap, record_values};

use super::shaders::{compile_request, shader_json, ShaderBody};
use crate::http::{ApiError, AppState};

fn effect(state: &AppState, id: &str) -> Result<Arc<EffectHandle>, ApiError> {
    let graph = state.graph();
    let loaded = graph.as_ref().ok_or_else(ApiError::no_graph)?;
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

/// Sets every value in `given` or none (400 naming the parameter); answers the effect's values after.
pub fn set_params(state: &AppState, id: &str, given: &Map<String, Value>) -> Result<Value, ApiError> {
    let handle = effect(state, id)?;
    let values: Vec<(String, ParamValue)> =
        given.iter().map(|(name, value)| (name.clone(), param_value(value))).collect();
    let current = handle.set_all(&values).map_err(|err| {
        let message = format!("effect '{id}' ({}): {err}", handle.shader().name);
        ApiError::new(StatusCode::BAD_REQUEST, "bad_parameter", message)
            .with("effect", id)
            .with("parameter", err.name.clone())
            .with("value", given.get(&err.name).cloned().unwrap_or(Value::Null))
    })?;
    if let Some(loaded) = state.graph().as_mut() {
        let changed: Vec<&str> = given.keys().map(String::as_str).collect();
        record_values(&mut loaded.config, id, &current, &changed);
    }
    let current: Map<String, Value> = current.into_iter().map(|(k, v)| (k, json!(v))).collect();
    Ok(json!({ "effect": id, "values": current }))
}

/// Compiles `body` and swaps it into effect `id` between two frames; on any failure the old shader keeps
/// running and the error (422 with diagnostics for a compile error) says why.
pub fn replace_shader(state: &AppState, id: &str, body: ShaderBody) -> Result<Value, ApiError> {
    let handle = effect(state, id)?;
    let old = handle.shader();
    // Without a language the new source is taken to be in the running shader's.
    let mut body = body;
    body.language.get_or_insert_with(|| old.language.as_str().to_owned());
    let request = compile_request(body, Some(old.stage), &old.entry, &old.name)?;
    if request.options.stage != old.stage {
        return Err(ApiError::bad_field(
            "stage",
            format!("effect '{id}' runs a {} shader; a {} shader cannot replace it", old.stage, request.options.stage),
        ));
    }
    let shader = state.compiler.compile(&request).map_err(ApiError::compile)?;
    handle.replace(Arc::new(shader)).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "pipeline_error",
            format!("the new shader compiled but cannot run here; the old one keeps running: {e}"),
        )
    })?;
    let shader = handle.shader();
    if let Some(loaded) = state.graph().as_mut() {
        record_swap(&mut loaded.config, id, &shader, request.source);
    }
    let mut value = shader_json(&shader);
    value["effect"] = json!(id);
    value["swaps"] = json!(handle.swaps());
    Ok(value)
}

/// `set_params`'s input schema for the loaded graph: the effect ids it may name and, per effect, each
/// parameter's schema (range, default, shape). None when no graph is loaded.
pub fn params_schema(state: &AppState) -> Option<Map<String, Value>> {
    let graph = state.graph();
    let loaded = graph.as_ref()?;
    let ids: Vec<&String> = loaded.built.effects.keys().collect();
    let per_effect: Vec<Value> = loaded
        .built
        .effects
        .iter()
        .map(|(id, handle)| {
            let shader = handle.shader();
            let parameters: Map<String, Value> =
                shader.parameters.iter().map(|p| (p.name.clone(), p.json_schema())).collect();
            json!({
                "properties": {
                    "effect": { "const": id },
                    "values": { "type": "object", "properties": parameters, "additionalProperties": false },
                },
            })
        })
        .collect();
    let schema = json!({
        "type": "object",
        "required": ["effect", "values"],
        "properties": {
            "effect": { "type": "string", "enum": ids, "description": "The effect node's id in the graph." },
            "values": { "type": "object", "description": "Parameter name → value: a number, a bool, or a list of numbers for vectors and colours." },
        },
        "oneOf": per_effect,
    });
    schema.as_object().cloned()
}
