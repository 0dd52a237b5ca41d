//! Bindings for GPU textures and the one-shot primitives (`create_texture`, `run_shader`, readback).

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyByteArray, PyDict, PyFloat, PyInt, PyList, PyTuple};
use streamlib_core::gpu::{
    run_once, AdapterPreference, EffectPipeline, FrameValues, Gpu, GpuTexture, ParamValue, TextureFormat,
};

use crate::call::long_call;
use crate::errors::{gpu_error, streamlib_error};
use crate::shader::NativeShader;

#[pyclass(frozen, module = "streamlib._native")]
pub struct NativeTexture {
    pub inner: Arc<GpuTexture>,
    pub gpu: Arc<Gpu>,
}

#[pymethods]
impl NativeTexture {
    #[getter]
    fn width(&self) -> u32 {
        self.inner.width
    }

    #[getter]
    fn height(&self) -> u32 {
        self.inner.height
    }

    #[getter]
    fn format(&self) -> &'static str {
        self.inner.format.as_str()
    }

    /// Tightly packed rows, top first; waits for the GPU with the GIL released. A bytearray, so numpy can
    /// wrap it writable without copying the frame again.
    fn read<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyByteArray>> {
        let bytes =
            long_call(py, "reading a texture back", || self.inner.read(&self.gpu))?.map_err(|e| gpu_error(py, e))?;
        Ok(PyByteArray::new(py, &bytes))
    }

    fn upload(&self, py: Python<'_>, data: Vec<u8>) -> PyResult<()> {
        self.inner.upload(&self.gpu, &data).map_err(|e| gpu_error(py, e))
    }
}

#[pyclass(frozen, module = "streamlib._native")]
pub struct NativePipeline {
    pub inner: Arc<EffectPipeline>,
}

#[pymethods]
impl NativePipeline {
    #[getter]
    fn gpu_path(&self) -> &'static str {
        self.inner.gpu_path
    }

    #[getter]
    fn input_names(&self) -> Vec<String> {
        self.inner.input_names()
    }

    #[getter]
    fn output_format(&self) -> &'static str {
        self.inner.output_format().as_str()
    }
}

#[pyclass(frozen, module = "streamlib._native")]
pub struct NativeGpu {
    pub inner: Arc<Gpu>,
}

fn format(py: Python<'_>, text: &str) -> PyResult<TextureFormat> {
    TextureFormat::parse(text).ok_or_else(|| {
        streamlib_error(
            py,
            format!("unknown texture format '{text}': expected 'rgba8unorm', 'rgba16float' or 'rgba32float'"),
        )
    })
}

/// Python value → parameter value; the core checks it against the parameter's type.
pub fn param_value(value: &Bound<'_, PyAny>) -> ParamValue {
    if value.is_instance_of::<PyBool>() {
        return value.extract::<bool>().map_or_else(|_| ParamValue::Unsupported("bool".into()), ParamValue::Bool);
    }
    if value.is_instance_of::<PyInt>() || value.is_instance_of::<PyFloat>() {
        return value.extract::<f64>().map_or_else(|_| ParamValue::Unsupported("number".into()), ParamValue::Number);
    }
    if value.is_instance_of::<PyList>()
        || value.is_instance_of::<PyTuple>()
        || value.hasattr("__array__").unwrap_or(false)
    {
        if let Ok(list) = value.extract::<Vec<f64>>() {
            return ParamValue::List(list);
        }
    }
    if let Ok(number) = value.call_method0("__float__").and_then(|f| f.extract::<f64>()) {
        return ParamValue::Number(number);
    }
    let kind = value.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "object".into());
    ParamValue::Unsupported(kind)
}

pub fn params_from_dict(params: Option<&Bound<'_, PyDict>>) -> PyResult<Vec<(String, ParamValue)>> {
    let mut out = Vec::new();
    if let Some(dict) = params {
        for (key, value) in dict.iter() {
            out.push((key.extract::<String>()?, param_value(&value)));
        }
    }
    Ok(out)
}

#[pymethods]
impl NativeGpu {
    #[new]
    #[pyo3(signature = (adapter=None, low_power=false))]
    pub fn new(py: Python<'_>, adapter: Option<String>, low_power: bool) -> PyResult<NativeGpu> {
        let mut preference = AdapterPreference::from_env();
        if adapter.is_some() {
            preference.name_contains = adapter;
        }
        preference.low_power = low_power;
        let gpu = long_call(py, "opening the GPU", || Gpu::shared(&preference))?.map_err(|e| gpu_error(py, e))?;
        Ok(NativeGpu { inner: gpu })
    }

    fn adapter<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let a = &self.inner.adapter;
        let dict = PyDict::new(py);
        dict.set_item("name", &a.name)?;
        dict.set_item("backend", &a.backend)?;
        dict.set_item("device_type", &a.device_type)?;
        dict.set_item("driver", &a.driver)?;
        dict.set_item("driver_info", &a.driver_info)?;
        dict.set_item("passthrough", self.inner.passthrough)?;
        Ok(dict)
    }

    #[pyo3(signature = (width, height, format="rgba8unorm", data=None))]
    fn create_texture(
        &self,
        py: Python<'_>,
        width: u32,
        height: u32,
        format: &str,
        data: Option<Vec<u8>>,
    ) -> PyResult<NativeTexture> {
        let texture_format = self::format(py, format)?;
        let gpu = self.inner.current();
        let texture = GpuTexture::new(&gpu, width, height, texture_format, "texture").map_err(|e| gpu_error(py, e))?;
        if let Some(bytes) = data {
            texture.upload(&gpu, &bytes).map_err(|e| gpu_error(py, e))?;
        }
        Ok(NativeTexture { inner: Arc::new(texture), gpu })
    }

    fn create_pipeline(&self, py: Python<'_>, shader: &NativeShader) -> PyResult<NativePipeline> {
        let compiled = shader.inner.clone();
        let gpu = self.inner.current();
        let pipeline = long_call(py, "building a pipeline", || EffectPipeline::new(&gpu, compiled))?
            .map_err(|e| gpu_error(py, e))?;
        Ok(NativePipeline { inner: Arc::new(pipeline) })
    }

    #[pyo3(signature = (pipeline, inputs, output=None, params=None, time=0.0, frame=0))]
    #[allow(clippy::too_many_arguments)]
    fn run(
        &self,
        py: Python<'_>,
        pipeline: &NativePipeline,
        inputs: Vec<PyRef<'_, NativeTexture>>,
        output: Option<PyRef<'_, NativeTexture>>,
        params: Option<&Bound<'_, PyDict>>,
        time: f32,
        frame: u32,
    ) -> PyResult<NativeTexture> {
        let params = params_from_dict(params)?;
        let textures: Vec<Arc<GpuTexture>> = inputs.iter().map(|t| t.inner.clone()).collect();
        let output = output.map(|t| t.inner.clone());
        let gpu = self.inner.current();
        let pipeline = pipeline.inner.clone();
        let values = FrameValues { time, frame, ..FrameValues::default() };
        let on = gpu.clone();
        let result = long_call(py, "running a shader", move || {
            let refs: Vec<&GpuTexture> = textures.iter().map(|t| t.as_ref()).collect();
            run_once(&on, pipeline, &refs, output, &params, &values)
        })?;
        let texture = result.map_err(|e| gpu_error(py, e))?;
        Ok(NativeTexture { inner: texture, gpu })
    }

    /// Destroys the device as a driver reset would lose it; running graphs move to a new one.
    fn simulate_loss(&self, py: Python<'_>) -> PyResult<()> {
        let gpu = self.inner.current();
        long_call(py, "losing the GPU device", move || gpu.simulate_loss())
    }
}

#[pyfunction]
pub fn adapters(py: Python<'_>) -> PyResult<Bound<'_, PyList>> {
    let list = PyList::empty(py);
    for a in long_call(py, "listing GPU adapters", streamlib_core::gpu::adapters)? {
        let dict = PyDict::new(py);
        dict.set_item("name", a.name)?;
        dict.set_item("backend", a.backend)?;
        dict.set_item("device_type", a.device_type)?;
        dict.set_item("driver", a.driver)?;
        dict.set_item("driver_info", a.driver_info)?;
        list.append(dict)?;
    }
    Ok(list)
}

/// The feature names available with `gpu` (a runtime's device) or, without one, with this machine's adapters.
#[pyfunction]
#[pyo3(signature = (gpu=None))]
pub fn features(py: Python<'_>, gpu: Option<&NativeGpu>) -> PyResult<Vec<&'static str>> {
    let gpu = gpu.map(|g| g.inner.clone());
    long_call(py, "listing features", || streamlib_core::features_here(gpu.as_deref()))
}
