//! One effect of the loaded graph: `PATCH …/params` (all or nothing) and `PUT …/shader` (hot swap); the
//! rules are `ops::effects`.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::Value;

use super::{ok, Answer, Shared};
use crate::http::body::{blocking, parse_value, read_body, read_json};
use crate::http::state::{SHADER_BODY_LIMIT, SMALL_BODY_LIMIT};
use crate::http::ApiError;
use crate::ops::effects;
use crate::ops::shaders::ShaderBody;

pub(super) async fn set_params(State(state): State<Shared>, Path(id): Path<String>, body: Body) -> Answer {
    let bytes = read_body(body, SMALL_BODY_LIMIT).await?;
    let Value::Object(given) = parse_value(&bytes)? else {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "the body must be a JSON object {parameter: value}",
        ));
    };
    ok(effects::set_params(&state, &id, &given)?)
}

pub(super) async fn replace_shader(State(state): State<Shared>, Path(id): Path<String>, body: Body) -> Answer {
    let body: ShaderBody = read_json(body, SHADER_BODY_LIMIT, false).await?;
    ok(blocking(move || effects::replace_shader(&state, &id, body)).await??)
}
