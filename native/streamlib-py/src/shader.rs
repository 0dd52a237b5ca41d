//! Bindings for the compile pipeline.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};
use streamlib_core::shader::{
    backends, BackendKind, CompileOptions, Compiler, CompilerConfig, EnvSettings, Isolation, Language, OptLevel,
    PreludeMode, Stage, WorkerCommand,
};

use crate::call::long_call;
use crate::errors::{compile_error, internal, streamlib_error};

static COMPILER: RwLock<Option<Arc<Compiler>>> = RwLock::new(None);

pub(crate) fn compiler(py: Python<'_>) -> PyResult<Arc<Compiler>> {
    let guard = COMPILER.read().map_err(|_| internal("compiler lock poisoned"))?;
    guard
        .clone()
        .ok_or_else(|| streamlib_error(py, "streamlib._native.configure() must be called before compiling".to_owned()))
}

/// Sets up the process-wide compiler; calling it again replaces it (the old worker exits).
#[pyfunction]
#[pyo3(signature = (*, worker_command, library_dirs, cache_dir=None, timeout_s=10.0, workers=1))]
pub fn configure(
    worker_command: Option<Vec<String>>,
    library_dirs: Vec<PathBuf>,
    cache_dir: Option<PathBuf>,
    timeout_s: f64,
    workers: usize,
) -> PyResult<()> {
    let isolation = match worker_command {
        Some(mut parts) if !parts.is_empty() => {
            let program = PathBuf::from(parts.remove(0));
            Isolation::Worker { command: WorkerCommand { program, args: parts }, workers }
        }
        _ => Isolation::InProcess,
    };
    let config =
        CompilerConfig { isolation, timeout: Duration::from_secs_f64(timeout_s.max(0.001)), cache_dir, library_dirs };
    *COMPILER.write().map_err(|_| internal("compiler lock poisoned"))? = Some(Arc::new(Compiler::new(config)));
    Ok(())
}

/// `(library_dirs, cache_dir)` from `STREAMLIB_SHADER_PATH` / `STREAMLIB_CACHE_DIR`, with `bundled` (the
/// package's shader library) after the user's directories.
#[pyfunction]
pub fn env_settings(bundled: Vec<PathBuf>) -> (Vec<PathBuf>, Option<PathBuf>) {
    let settings = EnvSettings::read(&bundled);
    (settings.library_dirs, settings.cache_dir)
}

fn named<T>(py: Python<'_>, parsed: Result<T, String>) -> PyResult<T> {
    parsed.map_err(|message| streamlib_error(py, message))
}

/// A compiled shader kept on the Rust side, so pipelines and graphs use it without a copy.
#[pyclass(frozen, module = "streamlib._native")]
pub struct NativeShader {
    pub inner: Arc<streamlib_core::shader::CompiledShader>,
}

#[pymethods]
impl NativeShader {
    fn metadata_json(&self) -> PyResult<String> {
        serde_json::to_string(&*self.inner).map_err(|e| internal(e.to_string()))
    }

    /// The HLSL it was compiled from.
    #[getter]
    fn source(&self) -> &str {
        &self.inner.source
    }

    fn spirv<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        let bytes: Vec<u8> = self.inner.spirv.iter().flat_map(|word| word.to_le_bytes()).collect();
        PyBytes::new(py, &bytes)
    }

    /// WGSL for a WebGPU page (compute form); ValueError saying why for another stage or a shader WebGPU cannot
    /// take.
    fn wgsl(&self) -> PyResult<String> {
        streamlib_core::shader::wgsl::to_wgsl(&self.inner.spirv, self.inner.stage).map_err(PyValueError::new_err)
    }
}

/// Compiles with the GIL released for the whole compile.
#[pyfunction]
#[pyo3(signature = (source, *, name, stage, entry, backend, defines, optimization, include_dirs, prelude, language="hlsl"))]
#[allow(clippy::too_many_arguments)]
pub fn compile(
    py: Python<'_>,
    source: Vec<u8>,
    name: String,
    stage: &str,
    entry: String,
    backend: Option<&str>,
    defines: Vec<(String, String)>,
    optimization: &str,
    include_dirs: Vec<PathBuf>,
    prelude: &str,
    language: &str,
) -> PyResult<NativeShader> {
    let options = CompileOptions {
        language: named(py, Language::from_name(language))?,
        stage: named(py, Stage::from_request(stage, &String::from_utf8_lossy(&source)))?,
        entry,
        defines,
        optimization: named(py, OptLevel::from_name(optimization))?,
        backend: match backend {
            Some(text) => Some(named(py, BackendKind::from_name(text))?),
            None => None,
        },
        include_dirs,
        prelude: named(py, PreludeMode::from_name(prelude))?,
    };
    let compiler = compiler(py)?;
    let what = format!("compiling shader '{name}'");
    let shader = long_call(py, &what, || compiler.compile_bytes(&name, &source, options))?
        .map_err(|err| compile_error(py, err))?;
    Ok(NativeShader { inner: Arc::new(shader) })
}

/// The language a file's extension says (`.glsl`, `.frag`, `.fs`: GLSL), the core's one rule.
#[pyfunction]
pub fn language_of_path(path: PathBuf) -> &'static str {
    Language::of_path(&path).as_str()
}

/// The stage `source` is written for when none is asked (the core's one rule).
#[pyfunction]
pub fn detect_stage(source: &str) -> &'static str {
    Stage::detect(source).as_str()
}

/// One dict per backend: name, version, available, detail.
#[pyfunction]
pub fn compilers(py: Python<'_>) -> PyResult<Bound<'_, PyList>> {
    let list = PyList::empty(py);
    for info in long_call(py, "listing compiler backends", backends)? {
        let dict = PyDict::new(py);
        dict.set_item("name", info.kind.as_str())?;
        dict.set_item("version", info.version)?;
        dict.set_item("available", info.available)?;
        dict.set_item("detail", info.detail)?;
        list.append(dict)?;
    }
    Ok(list)
}

#[pyfunction]
pub fn compiler_stats(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let stats = compiler(py)?.stats();
    let dict = PyDict::new(py);
    dict.set_item("cache_hits", stats.cache.hits)?;
    dict.set_item("cache_misses", stats.cache.misses)?;
    dict.set_item("disk_hits", stats.cache.disk_hits)?;
    dict.set_item("compiles", stats.compiles)?;
    dict.set_item("worker_restarts", stats.worker_restarts)?;
    Ok(dict)
}

/// Entry point of the compile worker process (`python -m streamlib._compile_worker`).
#[pyfunction]
pub fn serve_compile_worker(py: Python<'_>) -> PyResult<()> {
    long_call(py, "serving compiles", streamlib_core::shader::worker::serve)?
        .map_err(|e| internal(format!("compile worker: {e}")))
}
