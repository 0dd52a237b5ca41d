//! Bindings for node types: the core's catalog for Python, and node specs made from constructor calls.

use std::collections::HashMap;
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};
use serde_json::{Map, Value};
use streamlib_core::nodes::{NodeSpec, NodeTypeInfo, CATALOG};
use streamlib_core::shader::CompiledShader;

use crate::call::long_call;
use crate::errors::{graph_error, internal};
use crate::handles::{NativeLatestFrame, NativePreviewQueue, NativePushSlot};
use crate::shader::NativeShader;
use crate::values::{to_json, to_python};

/// The built-in test pattern as GLSL ES 3.00 and the name of its uniform block, for in-page previews.
#[pyfunction]
pub fn test_pattern_glsl_es() -> PyResult<(String, String)> {
    streamlib_core::nodes::test_pattern::glsl_es().map_err(internal)
}

/// Every node type: class, kind, type, summary, and its params (name, positional, default when it has one).
#[pyfunction]
pub fn node_types(py: Python<'_>) -> PyResult<Bound<'_, PyList>> {
    let types = PyList::empty(py);
    for info in CATALOG {
        let entry = PyDict::new(py);
        entry.set_item("class", info.class)?;
        entry.set_item("kind", info.role.as_str())?;
        entry.set_item("type", info.name)?;
        entry.set_item("summary", info.summary)?;
        let params = PyList::empty(py);
        for param in info.params {
            let item = PyDict::new(py);
            item.set_item("name", param.name)?;
            item.set_item("positional", param.positional)?;
            if let Some(default) = param.default {
                let value: Value = serde_json::from_str(default).map_err(|e| internal(e.to_string()))?;
                item.set_item("default", to_python(py, &value)?)?;
            }
            params.append(item)?;
        }
        entry.set_item("params", params)?;
        types.append(entry)?;
    }
    Ok(types)
}

/// A node made from a constructor call, before it joins a graph.
#[pyclass(frozen, module = "streamlib._native")]
pub struct NativeNodeSpec {
    pub inner: NodeSpec,
}

#[pymethods]
impl NativeNodeSpec {
    /// The node `class_name` makes from `args` and `params`; a compiled shader may be a param's value.
    #[new]
    fn new(
        py: Python<'_>,
        class_name: &str,
        args: &Bound<'_, PyTuple>,
        params: &Bound<'_, PyDict>,
    ) -> PyResult<NativeNodeSpec> {
        let Some(info) = NodeTypeInfo::by_class(class_name) else {
            let known: Vec<&str> = CATALOG.iter().map(|i| i.class).collect();
            return Err(graph_error(
                py,
                format!("'{class_name}' is not a node type (node types: {})", known.join(", ")),
            ));
        };
        let mut shaders: HashMap<String, Arc<CompiledShader>> = HashMap::new();
        let mut convert = |value: &Bound<'_, PyAny>| -> PyResult<Value> {
            match value.cast::<NativeShader>() {
                Ok(shader) => {
                    let compiled = shader.get().inner.clone();
                    shaders.insert(compiled.name.clone(), compiled.clone());
                    Ok(Value::String(compiled.name.clone()))
                }
                Err(_) => to_json(value),
            }
        };
        let positional = args.iter().map(|arg| convert(&arg)).collect::<PyResult<Vec<_>>>()?;
        let mut named = Map::new();
        for (key, value) in params.iter() {
            named.insert(key.extract::<String>()?, convert(&value)?);
        }
        let refuse = |e: streamlib_core::config::ConfigError| {
            let message = match e.field.strip_prefix("params.") {
                Some(param) => format!("{}({param}): {}", info.class, e.message),
                None => format!("{}: {}", info.class, e.message),
            };
            graph_error(py, message)
        };
        let params = info.call(positional, named).map_err(refuse)?;
        // Reading an image or probing a video may take a while.
        let spec = long_call(py, "making a node", || NodeSpec::new(params, |key| shaders.get(key).cloned()))?
            .map_err(refuse)?;
        Ok(NativeNodeSpec { inner: spec })
    }

    #[getter]
    fn class_name(&self) -> &'static str {
        self.inner.params.info().class
    }

    #[getter]
    fn type_name(&self) -> &'static str {
        self.inner.params.type_name()
    }

    #[getter]
    fn kind(&self) -> &'static str {
        self.inner.params.role().as_str()
    }

    /// The params as the config writes them, defaults filled in.
    fn params<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let value = self.inner.params.params_value().map_err(|e| internal(e.to_string()))?;
        to_python(py, &value)
    }

    /// The JSON edit (`PATCH /v1/graph`) that adds this node as `id` to a runtime's graph.
    fn addition(&self, py: Python<'_>, id: &str) -> PyResult<String> {
        let edit = self.inner.addition(id).map_err(|e| graph_error(py, format!("'{id}': {}", e.message)))?;
        serde_json::to_string(&edit).map_err(|e| internal(e.to_string()))
    }

    fn input_ports(&self) -> Vec<String> {
        self.inner.input_ports()
    }

    fn output_ports(&self) -> Vec<String> {
        self.inner.output_ports()
    }

    #[getter]
    fn resolution(&self) -> Option<(u32, u32)> {
        self.inner.resolution()
    }

    fn push_slot(&self) -> Option<NativePushSlot> {
        self.inner.push_slot().map(|inner| NativePushSlot { inner })
    }

    fn latest_frame(&self) -> Option<NativeLatestFrame> {
        self.inner.latest_frame().map(|inner| NativeLatestFrame { inner })
    }

    fn preview_queue(&self) -> Option<NativePreviewQueue> {
        self.inner.preview_queue().map(|inner| NativePreviewQueue { inner })
    }
}
