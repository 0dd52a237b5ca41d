//! Bindings for the stream graph, its nodes and the frame loop.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use streamlib_core::graph::scheduler::{self, Mouse};
use streamlib_core::graph::{Delivery, Graph, NodeKind, RunOptions, Running, SinkKind, SourceKind, Stats};
use streamlib_core::nodes::{EffectHandle, LatestFrame, PreviewQueue, PushSlot};

use crate::call::long_call;
use crate::errors::{gpu_error, graph_error, streamlib_error};
use crate::gpu::{param_value, NativeGpu};
use crate::shader::NativeShader;

#[pyclass(frozen, module = "streamlib._native")]
pub struct NativeEffect {
    pub inner: Arc<EffectHandle>,
}

#[pymethods]
impl NativeEffect {
    #[new]
    fn new(py: Python<'_>, gpu: &NativeGpu, name: String, shader: &NativeShader) -> PyResult<NativeEffect> {
        let (gpu, compiled) = (gpu.inner.clone(), shader.inner.clone());
        let handle = long_call(py, "creating an effect", || EffectHandle::new(gpu, &name, compiled))?
            .map_err(|e| gpu_error(py, e))?;
        Ok(NativeEffect { inner: Arc::new(handle) })
    }

    fn set(&self, py: Python<'_>, name: &str, value: &Bound<'_, PyAny>) -> PyResult<()> {
        self.inner.set(name, &param_value(value)).map_err(|e| gpu_error(py, e))
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
}

#[pyclass(frozen, module = "streamlib._native")]
pub struct NativeLatestFrame {
    pub inner: Arc<LatestFrame>,
}

type FrameTuple<'py> = (u64, u32, u32, Bound<'py, PyBytes>);
type PreviewTuple<'py> = (u64, u32, u32, &'static str, Bound<'py, PyBytes>);

#[pymethods]
impl NativeLatestFrame {
    #[new]
    fn new() -> NativeLatestFrame {
        NativeLatestFrame { inner: Arc::new(LatestFrame::default()) }
    }

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
    #[new]
    #[pyo3(signature = (quality=80))]
    fn new(quality: u8) -> NativePreviewQueue {
        NativePreviewQueue { inner: Arc::new(PreviewQueue::new(quality)) }
    }

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
    #[new]
    #[pyo3(signature = (width, height, every_frame=false))]
    fn new(width: u32, height: u32, every_frame: bool) -> NativePushSlot {
        NativePushSlot { inner: Arc::new(PushSlot::new(width, height, every_frame)) }
    }

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
}

#[pyclass(module = "streamlib._native")]
pub struct NativeGraph {
    gpu: Arc<streamlib_core::gpu::Gpu>,
    graph: Mutex<Graph>,
    running: Mutex<Option<Running>>,
    mouse: Mouse,
}

fn stats_dict<'py>(py: Python<'py>, stats: &Stats) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    dict.set_item("running", stats.running)?;
    dict.set_item("frames", stats.frames)?;
    dict.set_item("elapsed_s", stats.elapsed_s)?;
    dict.set_item("fps", stats.fps)?;
    dict.set_item("frame_ms_p50", stats.frame_ms_p50)?;
    dict.set_item("frame_ms_p99", stats.frame_ms_p99)?;
    dict.set_item("dropped", stats.dropped.clone())?;
    dict.set_item("adapter", &stats.adapter)?;
    dict.set_item("error", &stats.error)?;
    dict.set_item("ended", &stats.ended)?;
    Ok(dict)
}

impl NativeGraph {
    fn add(&self, py: Python<'_>, name: &str, kind: NodeKind) -> PyResult<usize> {
        self.graph.lock().unwrap_or_else(|p| p.into_inner()).add(name, kind).map_err(|e| graph_error(py, e.0))
    }
}

#[pymethods]
impl NativeGraph {
    #[new]
    fn new(gpu: &NativeGpu) -> NativeGraph {
        NativeGraph {
            gpu: gpu.inner.clone(),
            graph: Mutex::new(Graph::default()),
            running: Mutex::new(None),
            mouse: Arc::new(Mutex::new([0.0; 4])),
        }
    }

    fn add_test_pattern(&self, py: Python<'_>, name: &str, width: u32, height: u32) -> PyResult<usize> {
        self.add(py, name, NodeKind::Source { kind: SourceKind::TestPattern, width, height })
    }

    fn add_image(&self, py: Python<'_>, name: &str, width: u32, height: u32, pixels: Vec<u8>) -> PyResult<usize> {
        let kind = NodeKind::image_source(pixels, width, height)
            .map_err(|e| streamlib_error(py, format!("image source '{name}': {e}")))?;
        self.add(py, name, kind)
    }

    #[pyo3(signature = (name, path, width=None, height=None, looping=false))]
    fn add_video_file(
        &self,
        py: Python<'_>,
        name: &str,
        path: PathBuf,
        width: Option<u32>,
        height: Option<u32>,
        looping: bool,
    ) -> PyResult<usize> {
        let (w, h) =
            long_call(py, "probing a video file", || streamlib_core::nodes::video::source_size(&path, width, height))?
                .map_err(|e| streamlib_error(py, format!("video source '{name}': {e}")))?;
        self.add(py, name, NodeKind::Source { kind: SourceKind::VideoFile { path, looping }, width: w, height: h })
    }

    #[pyo3(signature = (name, slot, fallback=false))]
    fn add_push(&self, py: Python<'_>, name: &str, slot: &NativePushSlot, fallback: bool) -> PyResult<usize> {
        let (width, height) = (slot.inner.width, slot.inner.height);
        self.add(
            py,
            name,
            NodeKind::Source { kind: SourceKind::Push { slot: slot.inner.clone(), fallback }, width, height },
        )
    }

    fn add_effect(&self, py: Python<'_>, name: &str, effect: &NativeEffect) -> PyResult<usize> {
        self.add(py, name, NodeKind::Effect(effect.inner.clone()))
    }

    fn add_numpy_sink(&self, py: Python<'_>, name: &str, latest: &NativeLatestFrame) -> PyResult<usize> {
        self.add(py, name, NodeKind::Sink(SinkKind::Numpy(latest.inner.clone())))
    }

    fn add_image_sequence(&self, py: Python<'_>, name: &str, directory: PathBuf, prefix: String) -> PyResult<usize> {
        self.add(py, name, NodeKind::Sink(SinkKind::ImageSequence { directory, prefix }))
    }

    fn add_video_sink(&self, py: Python<'_>, name: &str, path: PathBuf, fps: f64) -> PyResult<usize> {
        self.add(py, name, NodeKind::Sink(SinkKind::VideoFile { path, fps }))
    }

    fn add_preview(&self, py: Python<'_>, name: &str, queue: &NativePreviewQueue) -> PyResult<usize> {
        self.add(py, name, NodeKind::Sink(SinkKind::Preview(queue.inner.clone())))
    }

    #[pyo3(signature = (source, source_port, target, target_port, delivery=None))]
    fn connect(
        &self,
        py: Python<'_>,
        source: usize,
        source_port: &str,
        target: usize,
        target_port: &str,
        delivery: Option<&str>,
    ) -> PyResult<()> {
        let delivery = match delivery {
            None => None,
            Some(text) => Some(Delivery::parse(text).ok_or_else(|| {
                graph_error(py, format!("unknown delivery '{text}': expected 'latest' or 'every_frame'"))
            })?),
        };
        self.graph
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .connect(source, source_port, target, target_port, delivery)
            .map_err(|e| graph_error(py, e.0))
    }

    fn input_ports(&self, id: usize) -> Vec<String> {
        self.graph.lock().unwrap_or_else(|p| p.into_inner()).input_ports(id)
    }

    fn output_ports(&self, id: usize) -> Vec<String> {
        self.graph.lock().unwrap_or_else(|p| p.into_inner()).output_ports(id)
    }

    /// Every connection as (from node, from port, to node, to port, delivery), in the order made.
    fn edges(&self) -> Vec<(String, String, String, String, &'static str)> {
        let graph = self.graph.lock().unwrap_or_else(|p| p.into_inner());
        let name = |id: usize| graph.nodes.get(id).map(|n| n.name.clone());
        graph
            .edges
            .iter()
            .filter_map(|e| {
                let delivery = match e.delivery {
                    Delivery::Latest => "latest",
                    Delivery::EveryFrame => "every_frame",
                };
                Some((name(e.from)?, e.from_port.clone(), name(e.to)?, e.to_port.clone(), delivery))
            })
            .collect()
    }

    fn resolution(&self, id: usize) -> Option<(u32, u32)> {
        self.graph.lock().unwrap_or_else(|p| p.into_inner()).resolution(id)
    }

    #[pyo3(signature = (frames=None, fps=None))]
    fn start(&self, py: Python<'_>, frames: Option<u64>, fps: Option<f64>) -> PyResult<()> {
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        if running.as_ref().is_some_and(Running::is_running) {
            return Err(graph_error(py, "the graph is already running; stop() it first".to_owned()));
        }
        let graph = self.graph.lock().unwrap_or_else(|p| p.into_inner());
        let (gpu, mouse) = (self.gpu.clone(), self.mouse.clone());
        let started =
            long_call(py, "starting the graph", || scheduler::start(gpu, &graph, RunOptions { frames, fps }, mouse))?
                .map_err(|e| graph_error(py, e.0))?;
        *running = Some(started);
        Ok(())
    }

    /// Waits (GIL released, Ctrl-C aware) for the run to end; returns its final stats.
    fn wait<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        loop {
            let finished =
                self.running.lock().unwrap_or_else(|p| p.into_inner()).as_ref().is_none_or(|r| !r.is_running());
            if finished {
                break;
            }
            py.detach(|| std::thread::sleep(Duration::from_millis(5)));
            if let Err(interrupt) = py.check_signals() {
                self.stop(py)?;
                return Err(interrupt);
            }
        }
        let stats =
            self.running.lock().unwrap_or_else(|p| p.into_inner()).as_mut().map(Running::join).unwrap_or_default();
        stats_dict(py, &stats)
    }

    fn stop<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let taken = self.running.lock().unwrap_or_else(|p| p.into_inner()).take();
        let stats = match taken {
            Some(mut running) => long_call(py, "stopping the graph", move || running.stop())?,
            None => Stats::default(),
        };
        stats_dict(py, &stats)
    }

    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let stats =
            self.running.lock().unwrap_or_else(|p| p.into_inner()).as_ref().map(Running::stats).unwrap_or_default();
        stats_dict(py, &stats)
    }

    fn is_running(&self) -> bool {
        self.running.lock().unwrap_or_else(|p| p.into_inner()).as_ref().is_some_and(Running::is_running)
    }

    fn set_mouse(&self, x: f32, y: f32, buttons: f32) {
        *self.mouse.lock().unwrap_or_else(|p| p.into_inner()) = [x, y, buttons, 0.0];
    }
}
