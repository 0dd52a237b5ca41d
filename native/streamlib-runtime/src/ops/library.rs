//! The shader library a client may `#include` from and start effects with: the `.hlsl` files in the
//! compiler's library directories (`STREAMLIB_SHADER_PATH`).

use std::path::Path;

use serde_json::{json, Value};

use axum::http::StatusCode;

use crate::http::{ApiError, AppState};

/// Each library shader: name, file, and its first comment line as a summary. A name in two directories is
/// the first one's (the order `#include` searches them).
pub fn list(state: &AppState) -> Value {
    let mut seen = std::collections::BTreeSet::new();
    let mut shaders = Vec::new();
    for dir in &state.compiler.config().library_dirs {
        let Ok(entries) = std::fs::read_dir(dir) else { continue };
        let mut files: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        files.sort();
        for path in files.into_iter().filter(|p| p.extension().is_some_and(|e| e == "hlsl")) {
            let Some(name) = path.file_stem().and_then(|s| s.to_str()).map(str::to_owned) else { continue };
            if seen.insert(name.clone()) {
                shaders.push(json!({ "name": name, "path": path.display().to_string(), "summary": summary(&path) }));
            }
        }
    }
    json!({ "shaders": shaders, "directories": state.compiler.config().library_dirs })
}

/// The text of the file's first `//` comment line.
fn summary(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .map(str::trim)
        .find_map(|line| line.strip_prefix("//"))
        .map(|line| line.trim_start_matches('/').trim().to_owned())
        .unwrap_or_default()
}

/// The source of library shader `name`, if there is one.
pub fn source(state: &AppState, name: &str) -> Option<String> {
    if name.contains(['/', '\\']) || name.starts_with('.') {
        return None;
    }
    state
        .compiler
        .config()
        .library_dirs
        .iter()
        .find_map(|dir| std::fs::read_to_string(dir.join(format!("{name}.hlsl"))).ok())
}

/// The answer when the library has no shader `name`.
pub fn missing(name: &str) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "no_library_shader", format!("the library has no shader '{name}'"))
        .with("field", "library")
}
