//! Bindings for the stream graph, its nodes and the frame loop.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::PyDict;
use streamlib_core::config::{GraphConfig, RuntimeSettings, Target};
use streamlib_core::graph::fusion::Fusion;
use streamlib_core::graph::scheduler::{self, Mouse};
use streamlib_core::graph::{AddError, Delivery, Graph, NodeKind, Overrun, RunOptions, Running, Stats};
use streamlib_core::nodes::NodeSpec;

use crate::call::long_call;
use crate::errors::{config_error, gpu_error, graph_error};
use crate::gpu::NativeGpu;
use crate::handles::NativeEffect;
use crate::nodes::NativeNodeSpec;
use crate::shader::compiler;

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
    dict.set_item("loop_cpu_us", stats.loop_cpu_us)?;
    dict.set_item("loop_user_cpu_us", stats.loop_user_cpu_us)?;
    dict.set_item("dropped", stats.dropped.clone())?;
    dict.set_item("adapter", &stats.adapter)?;
    dict.set_item("error", &stats.error)?;
    dict.set_item("ended", &stats.ended)?;
    dict.set_item("watchdog_ms", stats.watchdog_ms)?;
    let bypassed = PyDict::new(py);
    for (name, overrun) in &stats.bypassed {
        bypassed.set_item(name, overrun_dict(py, name, overrun)?)?;
    }
    dict.set_item("bypassed", bypassed)?;
    dict.set_item("device_recoveries", stats.device_recoveries)?;
    dict.set_item("device_lost", &stats.device_lost)?;
    let remote =
        serde_json::to_value(&stats.remote).map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))?;
    dict.set_item("remote", crate::values::to_python(py, &remote)?)?;
    let fusion =
        serde_json::to_value(&stats.fusion).map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))?;
    dict.set_item("fusion", crate::values::to_python(py, &fusion)?)?;
    dict.set_item("unfused", stats.unfused.clone())?;
    dict.set_item("frames_in_flight", stats.frames_in_flight)?;
    dict.set_item("uploads", stats.uploads)?;
    Ok(dict)
}

/// Why the watchdog bypasses effect `name`: pass_ms, budget_ms, frame, and the sentence that says so.
pub fn overrun_dict<'py>(py: Python<'py>, name: &str, overrun: &Overrun) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    dict.set_item("pass_ms", overrun.pass_ms)?;
    dict.set_item("budget_ms", overrun.budget_ms)?;
    dict.set_item("frame", overrun.frame)?;
    dict.set_item("message", overrun.describe(name))?;
    Ok(dict)
}

impl NativeGraph {
    fn lock(&self) -> std::sync::MutexGuard<'_, Graph> {
        self.graph.lock().unwrap_or_else(|p| p.into_inner())
    }
}

type Loaded<'py> =
    (NativeGpu, NativeGraph, Option<f64>, Option<String>, Option<f64>, Option<bool>, Vec<Bound<'py, PyDict>>);

/// Builds the graph of a config on the GPU it asks for, with the GIL released: the GPU, the graph, the
/// config's fps and adapter, and per shader whether its artifact was used or it was recompiled, and why.
#[pyfunction]
pub fn load_graph<'py>(py: Python<'py>, text: &str) -> PyResult<Loaded<'py>> {
    let config = GraphConfig::parse(text).map_err(|e| config_error(py, &e))?;
    let gpu = NativeGpu::new(py, config.runtime.adapter.clone(), false)?;
    let compiler = compiler(py)?;
    let built =
        long_call(py, "loading the config", || Graph::from_config(&gpu.inner, &compiler, &config, &BTreeMap::new()))?
            .map_err(|e| config_error(py, &e))?;
    let mut report = Vec::with_capacity(built.report.len());
    for line in &built.report {
        let dict = PyDict::new(py);
        dict.set_item("shader", &line.shader)?;
        dict.set_item("used", line.used)?;
        dict.set_item("why", &line.why)?;
        report.push(dict);
    }
    let graph = NativeGraph::with_graph(&gpu, built.graph);
    let settings = config.runtime;
    Ok((gpu, graph, settings.fps, settings.adapter, settings.watchdog_ms, settings.fuse, report))
}

impl NativeGraph {
    fn with_graph(gpu: &NativeGpu, graph: Graph) -> NativeGraph {
        NativeGraph {
            gpu: gpu.inner.clone(),
            graph: Mutex::new(graph),
            running: Mutex::new(None),
            mouse: Arc::new(Mutex::new([0.0; 4])),
        }
    }
}

#[pymethods]
impl NativeGraph {
    #[new]
    fn new(gpu: &NativeGpu) -> NativeGraph {
        NativeGraph::with_graph(gpu, Graph::default())
    }

    /// Adds the node `spec` makes (an effect's pipeline is built here, with the GIL released).
    fn add(&self, py: Python<'_>, name: &str, spec: &NativeNodeSpec) -> PyResult<usize> {
        let gpu = self.gpu.current();
        let added = long_call(py, "adding a node", || self.lock().add(name, &spec.inner, &gpu))?;
        added.map_err(|e| match e {
            AddError::Graph(e) => graph_error(py, e.0),
            AddError::Gpu { error, .. } => gpu_error(py, error),
        })
    }

    /// The effect handle of node `id`; None for other nodes.
    fn effect(&self, id: usize) -> Option<NativeEffect> {
        match self.lock().nodes.get(id).map(|n| &n.kind) {
            Some(NodeKind::Effect(inner)) => Some(NativeEffect { inner: inner.clone() }),
            _ => None,
        }
    }

    /// Every node as (name, spec), in the order added.
    fn nodes(&self) -> Vec<(String, NativeNodeSpec)> {
        self.lock().nodes.iter().map(|n| (n.name.clone(), NativeNodeSpec { inner: NodeSpec::of(n) })).collect()
    }

    /// The graph as config text (canonical), with the artifacts `targets` ask for.
    #[pyo3(signature = (fps, adapter, targets, watchdog_ms=None, fuse=None))]
    fn to_config(
        &self,
        py: Python<'_>,
        fps: Option<f64>,
        adapter: Option<String>,
        targets: Vec<String>,
        watchdog_ms: Option<f64>,
        fuse: Option<bool>,
    ) -> PyResult<String> {
        let wanted = Target::parse_list(&targets).map_err(|e| config_error(py, &e))?;
        let settings = RuntimeSettings { fps, adapter, watchdog_ms, fuse };
        let config = self.lock().to_config(settings, &wanted).map_err(|e| config_error(py, &e))?;
        config.to_json().map_err(|e| config_error(py, &e))
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
        self.lock().input_ports(id)
    }

    fn output_ports(&self, id: usize) -> Vec<String> {
        self.lock().output_ports(id)
    }

    /// Every connection as (from node, from port, to node, to port, delivery), in the order made.
    fn edges(&self) -> Vec<(String, String, String, String, &'static str)> {
        let graph = self.lock();
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
        self.lock().resolution(id)
    }

    /// `fuse`: None or true draws chains of effects as single passes where they allow it.
    #[pyo3(signature = (frames=None, fps=None, watchdog_ms=None, fuse=None, frames_in_flight=None))]
    fn start(
        &self,
        py: Python<'_>,
        frames: Option<u64>,
        fps: Option<f64>,
        watchdog_ms: Option<f64>,
        fuse: Option<bool>,
        frames_in_flight: Option<i64>,
    ) -> PyResult<()> {
        // Checked by the core's rule, so -1 gets the same sentence as 3 rather than an overflow.
        let frames_in_flight =
            frames_in_flight.map(scheduler::frames_in_flight).transpose().map_err(|e| graph_error(py, e.0))?;
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        if running.as_ref().is_some_and(Running::is_running) {
            return Err(graph_error(py, "the graph is already running; stop() it first".to_owned()));
        }
        let graph = self.lock();
        let (gpu, mouse) = (self.gpu.current(), self.mouse.clone());
        // Without a configured compiler nothing was compiled, so there is no effect to fuse.
        let fusion = crate::shader::compiler(py).ok().and_then(|compiler| Fusion::unless_off(fuse, &compiler));
        let options = RunOptions { frames, fps, watchdog_ms, fusion, frames_in_flight };
        let started = long_call(py, "starting the graph", || scheduler::start(gpu, &graph, options, mouse))?
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
