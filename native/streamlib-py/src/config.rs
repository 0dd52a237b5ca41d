//! Bindings for the graph config: Python describes its graph, the core formats, hashes, validates and loads.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::PyDict;
use streamlib_core::config::{load_shaders, ConfigError, ExportDescription, GraphConfig, Target};

use crate::call::long_call;
use crate::errors::{config_error, streamlib_error};
use crate::shader::{compiler, NativeShader};

/// The canonical config text for a graph `description` (JSON: runtime, nodes, edges, shaders without
/// hashes), with artifacts for `targets` taken from the compiled `shaders` (one per description key).
#[pyfunction]
pub fn export_config(
    py: Python<'_>,
    description: &str,
    shaders: HashMap<String, PyRef<'_, NativeShader>>,
    targets: Vec<String>,
) -> PyResult<String> {
    let mut wanted = Vec::new();
    for name in &targets {
        let target = Target::parse(name).ok_or_else(|| {
            let known: Vec<&str> = Target::ALL.iter().map(|t| t.as_str()).collect();
            let message = format!("unknown target '{name}' (known: {})", known.join(", "));
            config_error(py, &ConfigError::new("targets", message))
        })?;
        if !wanted.contains(&target) {
            wanted.push(target);
        }
    }
    let description: ExportDescription = serde_json::from_str(description)
        .map_err(|e| streamlib_error(py, format!("the export description is malformed: {e}")))?;
    let compiled: BTreeMap<String, Arc<_>> =
        shaders.iter().map(|(key, shader)| (key.clone(), shader.inner.clone())).collect();
    let config = GraphConfig::export(description, &compiled, &wanted).map_err(|e| config_error(py, &e))?;
    config.to_json().map_err(|e| config_error(py, &e))
}

type Loaded<'py> = (String, HashMap<String, NativeShader>, Vec<Bound<'py, PyDict>>);

/// Parses and validates a config and compiles its shaders (artifacts when they match the source), with the
/// GIL released. Returns the graph description as JSON (edges in the order to connect them, each with its
/// `index` in the file), the shaders by key, and one report per shader: shader, used, why.
#[pyfunction]
pub fn load_config<'py>(py: Python<'py>, text: &str) -> PyResult<Loaded<'py>> {
    let config = GraphConfig::parse(text).map_err(|e| config_error(py, &e))?;
    let compiler = compiler(py)?;
    let (shaders, report) = long_call(py, "loading the config's shaders", || load_shaders(&compiler, &config))?
        .map_err(|e| config_error(py, &e))?;
    let description = config.description().map_err(|e| config_error(py, &e))?;
    let shaders = shaders.into_iter().map(|(key, inner)| (key, NativeShader { inner })).collect();
    let mut lines = Vec::with_capacity(report.len());
    for line in report {
        let dict = PyDict::new(py);
        dict.set_item("shader", line.shader)?;
        dict.set_item("used", line.used)?;
        dict.set_item("why", line.why)?;
        lines.push(dict);
    }
    Ok((description.to_string(), shaders, lines))
}
