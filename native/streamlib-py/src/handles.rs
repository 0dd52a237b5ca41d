//! Handles Python drives running nodes through: an effect's parameters and shader, a numpy sink's latest
//! frame, a preview's encoded frames, a push source's slot.

use std::sync::Arc;
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use streamlib_core::nodes::{EffectHandle, LatestFrame, PreviewQueue, PushSlot};

use crate::call::long_call;
use crate::errors::{gpu_error, streamlib_error};
use crate::gpu::{param_value, params_from_dict};
use crate::graph::overrun_dict;
use crate::shader::NativeShader;

#[pyclass(frozen, module = "streamlib._native")]
pub struct NativeEffect {
    pub inner: Arc<EffectHandle>,
}

#[pymethods]
impl NativeEffect {
    fn set(&self, py: Python<'_>, name: &str, value: &Bound<'_, PyAny>) -> PyResult<()> {
        self.inner.set(name, &param_value(value)).map_err(|e| gpu_error(py, e))
    }

    /// Sets every value or none, between two frames; a bad name or value is refused with the parameter named.
    fn set_all(&self, py: Python<'_>, values: &Bound<'_, PyDict>) -> PyResult<()> {
        let values = params_from_dict(Some(values))?;
        self.inner.set_all(&values).map(|_| ()).map_err(|e| gpu_error(py, e.error))
    }

    /// Swaps in a compiled shader between two frames (pipeline built with the GIL released).
    fn replace(&self, py: Python<'_>, shader: &NativeShader) -> PyResult<()> {
        let compiled = shader.inner.clone();
        long_call(py, "swapping a shader", || self.inner.replace(compiled))?.map_err(|e| gpu_error(py, e))
    }

    fn values<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        for (name, values) in self.inner.lock().values() {
            dict.set_item(name, values)?;
        }
        Ok(dict)
    }

    #[getter]
    fn input_names(&self) -> Vec<String> {
        self.inner.input_names()
    }

    #[getter]
    fn gpu_path(&self) -> &'static str {
        self.inner.lock().pipeline.gpu_path
    }

    #[getter]
    fn swaps(&self) -> u64 {
        self.inner.swaps()
    }

    fn shader(&self) -> NativeShader {
        NativeShader { inner: self.inner.shader() }
    }

    /// Why the frame watchdog bypasses this effect (pass_ms, budget_ms, frame, message), or None.
    #[getter]
    fn overrun<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        self.inner.overrun().map(|overrun| overrun_dict(py, &self.inner.name, &overrun)).transpose()
    }

    /// Runs a bypassed effect again from the next frame.
    fn resume(&self) {
        self.inner.resume()
    }
}

#[pyclass(frozen, module = "streamlib._native")]
pub struct NativeLatestFrame {
    pub inner: Arc<LatestFrame>,
}

type FrameTuple<'py> = (u64, u32, u32, Bound<'py, PyBytes>);
type PreviewTuple<'py> = (u64, u32, u32, &'static str, Bound<'py, PyBytes>);

#[pymethods]
impl NativeLatestFrame {
    fn latest<'py>(&self, py: Python<'py>) -> Option<FrameTuple<'py>> {
        self.inner.latest().map(|f| (f.index, f.width, f.height, PyBytes::new(py, &f.pixels)))
    }

    fn wait_for<'py>(&self, py: Python<'py>, index: u64, timeout_s: f64) -> PyResult<Option<FrameTuple<'py>>> {
        let frame = long_call(py, "waiting for a frame", || {
            self.inner.wait_for(index, Duration::from_secs_f64(timeout_s.max(0.0)))
        })?;
        Ok(frame.map(|f| (f.index, f.width, f.height, PyBytes::new(py, &f.pixels))))
    }

    #[getter]
    fn received(&self) -> u64 {
        self.inner.received()
    }
}

#[pyclass(frozen, module = "streamlib._native")]
pub struct NativePreviewQueue {
    pub inner: Arc<PreviewQueue>,
}

#[pymethods]
impl NativePreviewQueue {
    /// (frame index, width, height, mime, bytes) of the waiting frame, waiting up to `timeout_s`.
    fn take<'py>(&self, py: Python<'py>, timeout_s: f64) -> PyResult<Option<PreviewTuple<'py>>> {
        let frame = long_call(py, "waiting for a preview frame", || {
            self.inner.take(Duration::from_secs_f64(timeout_s.max(0.0)))
        })?;
        Ok(frame.map(|f| (f.index, f.width, f.height, f.mime, PyBytes::new(py, &f.bytes))))
    }

    #[getter]
    fn dropped(&self) -> u64 {
        self.inner.dropped()
    }

    fn set_lossless(&self, lossless: bool) {
        self.inner.set_lossless(lossless);
    }

    /// Whether the reader paces the graph: with only such previews as sinks, frames are made when asked for.
    fn set_paced(&self, paced: bool) {
        self.inner.set_paced(paced);
    }

    /// The size the page shows the preview at, in device pixels; (0, 0) asks for full-size frames.
    fn set_display_size(&self, width: u32, height: u32) {
        self.inner.set_display_size(width, height);
    }

    /// The size of the frames fed to the preview, before they are scaled to the display size.
    #[getter]
    fn source_size(&self) -> (u32, u32) {
        self.inner.source_size()
    }

    #[getter]
    fn delivered(&self) -> u64 {
        self.inner.delivered()
    }
}

#[pyclass(frozen, module = "streamlib._native")]
pub struct NativePushSlot {
    pub inner: Arc<PushSlot>,
}

#[pymethods]
impl NativePushSlot {
    #[pyo3(signature = (pixels, timeout_s=5.0))]
    fn push(&self, py: Python<'_>, pixels: Vec<u8>, timeout_s: f64) -> PyResult<()> {
        let slot = self.inner.clone();
        long_call(py, "pushing a frame", move || slot.push(pixels, Duration::from_secs_f64(timeout_s.max(0.0))))?
            .map_err(|e| streamlib_error(py, e))
    }

    /// Pushes a JPEG/PNG-encoded frame, decoded in Rust with the GIL released.
    #[pyo3(signature = (data, timeout_s=5.0))]
    fn push_encoded(&self, py: Python<'_>, data: Vec<u8>, timeout_s: f64) -> PyResult<()> {
        let slot = self.inner.clone();
        long_call(py, "pushing a frame", move || slot.push_encoded(&data, Duration::from_secs_f64(timeout_s.max(0.0))))?
            .map_err(|e| streamlib_error(py, e))
    }

    #[getter]
    fn pushed(&self) -> u64 {
        self.inner.pushed()
    }

    #[getter]
    fn dropped(&self) -> u64 {
        self.inner.dropped()
    }

    #[getter]
    fn rejected(&self) -> u64 {
        self.inner.rejected()
    }
}
