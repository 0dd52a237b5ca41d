//! Core errors → the Python exception tree of `streamlib.errors`, with an exhaustive match.

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use streamlib_core::config::ConfigError;
use streamlib_core::gpu::GpuError;
use streamlib_core::shader::{CompileError, Diagnostic};

fn raise<'py, A: pyo3::call::PyCallArgs<'py>>(py: Python<'py>, class: &str, args: A) -> PyErr {
    let made =
        py.import("streamlib.errors").and_then(|module| module.getattr(class)).and_then(|class| class.call1(args));
    match made {
        Ok(instance) => PyErr::from_value(instance),
        Err(err) => err,
    }
}

pub fn diagnostic_dict<'py>(py: Python<'py>, diagnostic: &Diagnostic) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    dict.set_item("severity", diagnostic.severity.as_str())?;
    dict.set_item("file", &diagnostic.file)?;
    dict.set_item("line", diagnostic.line)?;
    dict.set_item("column", diagnostic.column)?;
    dict.set_item("message", &diagnostic.message)?;
    dict.set_item("source_line", &diagnostic.source_line)?;
    Ok(dict)
}

pub fn compile_error(py: Python<'_>, error: CompileError) -> PyErr {
    match &error {
        CompileError::Diagnostics { name, diagnostics } => {
            let list = PyList::empty(py);
            for diagnostic in diagnostics {
                match diagnostic_dict(py, diagnostic) {
                    Ok(dict) => {
                        if let Err(err) = list.append(dict) {
                            return err;
                        }
                    }
                    Err(err) => return err,
                }
            }
            raise(py, "ShaderCompileError", (error.to_string(), name.clone(), list))
        }
        CompileError::Unavailable(unavailable) => raise(
            py,
            "CompilerUnavailable",
            (error.to_string(), unavailable.backend.as_str(), unavailable.searched.clone()),
        ),
    }
}

pub fn streamlib_error(py: Python<'_>, message: String) -> PyErr {
    raise(py, "StreamlibError", (message,))
}

pub fn internal(message: impl Into<String>) -> PyErr {
    PyRuntimeError::new_err(message.into())
}

pub fn gpu_error(py: Python<'_>, error: GpuError) -> PyErr {
    let class = match &error {
        GpuError::NoAdapter { .. } | GpuError::Device { .. } | GpuError::Texture { .. } | GpuError::Operation(_) => {
            "GpuError"
        }
        GpuError::Effect { .. } => "EffectError",
        GpuError::Parameter { .. } => "ParameterError",
    };
    raise(py, class, (error.to_string(),))
}

pub fn graph_error(py: Python<'_>, message: String) -> PyErr {
    raise(py, "GraphError", (message,))
}

/// `ConfigError(message, field)`: `field` is the JSON path at fault, None when it is the whole document.
pub fn config_error(py: Python<'_>, error: &ConfigError) -> PyErr {
    let field = (!error.field.is_empty()).then(|| error.field.clone());
    raise(py, "ConfigError", (error.to_string(), field))
}
