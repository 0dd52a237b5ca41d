//! What an agent is told (`streamlib_core::agents`), for the notebook kernel's MCP server.

use pyo3::prelude::*;
use pyo3::types::PyDict;
use streamlib_core::agents;
use streamlib_core::config::GraphConfig;
use streamlib_core::session::latest_frame_source;

use crate::errors::config_error;

/// The instructions, the effect reference and the resource URIs every streamlib MCP server gives.
#[pyfunction]
pub fn agent_texts(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let texts = PyDict::new(py);
    texts.set_item("instructions", agents::INSTRUCTIONS)?;
    texts.set_item("reference", agents::EFFECT_REFERENCE)?;
    texts.set_item("reference_uri", agents::REFERENCE_URI)?;
    texts.set_item("graph_uri", agents::GRAPH_URI)?;
    texts.set_item("library_uri", agents::LIBRARY_URI)?;
    texts.set_item("write_effect", agents::WRITE_EFFECT)?;
    Ok(texts)
}

/// The `write_effect` prompt's text for `description` (and the running `effect` to replace, if any).
#[pyfunction]
#[pyo3(signature = (description, effect=None))]
pub fn write_effect_prompt(description: &str, effect: Option<&str>) -> String {
    agents::write_effect_prompt(description, effect)
}

/// The node a "latest frame" shows for the graph config `text` (`session::latest_frame_source`): the last
/// effect in node order, else the last source; None when there is neither.
#[pyfunction]
pub fn chain_end(py: Python<'_>, text: &str) -> PyResult<Option<String>> {
    let config = GraphConfig::parse(text).map_err(|e| config_error(py, &e))?;
    Ok(latest_frame_source(&config))
}
