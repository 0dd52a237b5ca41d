//! One effect of the loaded graph: `PATCH …/params` (all or nothing) and `PUT …/shader` (hot swap).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{json, Value};
use streamlib_core::gpu::ParamValue;
use streamlib_core::nodes::EffectHandle;
use streamlib_core::session::{record_swap, record_values};

use super::shaders::{compile_request, shader_json, ShaderBody};
use super::{ok, Answer, Shared};
use crate::http::body::{blocking, parse_value, read_body, read_json};
use crate::http::state::{AppState, SHADER_BODY_LIMIT, SMALL_BODY_LIMIT};
use crate::http::ApiError;

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

pub(super) async fn set_params(State(state): State<Shared>, Path(id): Path<String>, body: Body) -> Answer {
    let bytes = read_body(body, SMALL_BODY_LIMIT).await?;
    let Value::Object(given) = parse_value(&bytes)? else {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "the body must be a JSON object {parameter: value}",
        ));
    };
    let handle = effect(&state, &id)?;
    let values: Vec<(String, ParamValue)> =
        given.iter().map(|(name, value)| (name.clone(), param_value(value))).collect();
    let current = handle.set_all(&values).map_err(|err| {
        let message = format!("effect '{id}' ({}): {err}", handle.shader().name);
        ApiError::new(StatusCode::BAD_REQUEST, "bad_parameter", message)
            .with("effect", id.clone())
            .with("parameter", err.name.clone())
            .with("value", given.get(&err.name).cloned().unwrap_or(Value::Null))
    })?;
    if let Some(loaded) = state.graph().as_mut() {
        let changed: Vec<&str> = given.keys().map(String::as_str).collect();
        record_values(&mut loaded.config, &id, &current, &changed);
    }
    let current: serde_json::Map<String, Value> = current.into_iter().map(|(k, v)| (k, json!(v))).collect();
    ok(json!({ "effect": id, "values": current }))
}

pub(super) async fn replace_shader(State(state): State<Shared>, Path(id): Path<String>, body: Body) -> Answer {
    let body: ShaderBody = read_json(body, SHADER_BODY_LIMIT, false).await?;
    let handle = effect(&state, &id)?;
    let old = handle.shader();
    let request = compile_request(body, Some(old.stage), &old.entry, &old.name)?;
    if request.options.stage != old.stage {
        return Err(ApiError::bad_field(
            "stage",
            format!("effect '{id}' runs a {} shader; a {} shader cannot replace it", old.stage, request.options.stage),
        ));
    }
    let answer = blocking(move || {
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
            record_swap(&mut loaded.config, &id, &shader, request.source);
        }
        let mut value = shader_json(&shader);
        value["effect"] = json!(id);
        value["swaps"] = json!(handle.swaps());
        Ok::<_, ApiError>(value)
    })
    .await??;
    ok(answer)
}
