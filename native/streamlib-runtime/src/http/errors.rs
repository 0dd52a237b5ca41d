//! Error answers: a status and a JSON body `{code, message, …}` with a stable `code` and details such as
//! `field`, `effect`, `parameter` or `diagnostics`. The codes are listed in `openapi.json`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use streamlib_core::config::ConfigError;
use streamlib_core::shader::CompileError;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: Value,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> ApiError {
        ApiError { status, body: json!({ "code": code, "message": message.into() }) }
    }

    pub fn with(mut self, key: &str, value: impl Into<Value>) -> ApiError {
        if let Some(object) = self.body.as_object_mut() {
            object.insert(key.to_owned(), value.into());
        }
        self
    }

    /// 400 `bad_request` about one field of the request body.
    pub fn bad_field(field: &str, message: impl std::fmt::Display) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", format!("{field}: {message}")).with("field", field)
    }

    /// 400 `bad_config` naming the config field it is about.
    pub fn bad_config(error: &ConfigError) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_config", error.to_string()).with("field", error.field.clone())
    }

    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }

    pub fn no_graph() -> ApiError {
        ApiError::new(StatusCode::CONFLICT, "no_graph", "no graph is loaded (PUT /v1/graph first)")
    }

    /// 422: `compile_error` with the diagnostics, or `compiler_unavailable`.
    pub fn compile(err: CompileError) -> ApiError {
        match err {
            CompileError::Diagnostics { name, diagnostics } => {
                let message =
                    CompileError::Diagnostics { name: name.clone(), diagnostics: diagnostics.clone() }.to_string();
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "compile_error", message)
                    .with("name", name)
                    .with("diagnostics", serde_json::to_value(diagnostics).unwrap_or(Value::Null))
            }
            CompileError::Unavailable(missing) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "compiler_unavailable", missing.to_string())
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}
