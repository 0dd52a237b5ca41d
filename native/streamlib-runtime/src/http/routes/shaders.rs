//! `POST /v1/shaders`: compile a shader and answer its reflection, or 422 with diagnostics (`ops::shaders`).

use axum::body::Body;
use axum::extract::State;

use super::{ok, Answer, Shared};
use crate::http::body::{blocking, read_json};
use crate::http::state::SHADER_BODY_LIMIT;
use crate::ops::shaders::{compile, ShaderBody};

pub(super) async fn compile_shader(State(state): State<Shared>, body: Body) -> Answer {
    let body: ShaderBody = read_json(body, SHADER_BODY_LIMIT, false).await?;
    ok(blocking(move || compile(&state, body)).await??)
}
