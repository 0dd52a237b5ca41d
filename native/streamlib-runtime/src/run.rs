//! `streamlib-runtime run CONFIG`: builds the graph of an exported config and runs it headless until a frame
//! count, a duration, the end of a video source or Ctrl-C, then prints its stats.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use streamlib_core::config::{check_sink_overrides, GraphConfig};
use streamlib_core::gpu::{AdapterPreference, Gpu};
use streamlib_core::graph::fusion::Fusion;
use streamlib_core::graph::{scheduler, Graph, RunOptions, Stats};

/// What to run and for how long.
#[derive(Debug, Clone, Default)]
pub struct RunRequest {
    /// The graph config (`*.streamlib.json`).
    pub config: PathBuf,
    /// Stop after this many frames.
    pub frames: Option<u64>,
    /// Stop after this many seconds.
    pub seconds: Option<f64>,
    /// File sinks' outputs replaced (node id, image directory or video path), in the order given.
    pub sinks: Vec<(String, PathBuf)>,
}

/// Why a run failed, which decides the exit status.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The config (or an argument about it) is wrong: exit 2.
    #[error("bad config '{}': {message}", .path.display())]
    Config { path: PathBuf, message: String },
    /// The config is fine but running it failed: exit 1.
    #[error("error: {0}")]
    Runtime(String),
}

/// Runs `request` to its end; the load report and the final stats go to stdout.
pub fn run(request: &RunRequest) -> Result<(), RunError> {
    let bad = |message: String| RunError::Config { path: request.config.clone(), message };
    let text = std::fs::read_to_string(&request.config).map_err(|e| bad(format!("cannot read it: {e}")))?;
    let config = GraphConfig::parse(&text).map_err(|e| bad(e.to_string()))?;
    let mut overrides = BTreeMap::new();
    for (node, path) in &request.sinks {
        if overrides.insert(node.clone(), path.clone()).is_some() {
            return Err(bad(format!("--sink {node}=…: given more than once")));
        }
    }
    // Before the GPU and the compiler start, so a typo fails fast.
    check_sink_overrides(&config, &overrides).map_err(|e| bad(e.to_string()))?;

    let compiler = Arc::new(crate::compiler().map_err(|e| RunError::Runtime(e.to_string()))?);
    let mut preference = AdapterPreference::from_env();
    // As in Python, an adapter the graph asks for by name beats the environment's.
    if let Some(adapter) = &config.runtime.adapter {
        preference.name_contains = Some(adapter.clone());
    }
    let gpu = Gpu::shared(&preference).map_err(|e| RunError::Runtime(e.to_string()))?;
    let built = Graph::from_config(&gpu, &compiler, &config, &overrides).map_err(|e| bad(e.to_string()))?;
    for line in &built.report {
        println!("shader '{}': {}: {}", line.shader, line.used, line.why);
    }

    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        if let Err(err) = ctrlc::set_handler(move || stop.store(true, Ordering::SeqCst)) {
            eprintln!("streamlib-runtime: warning: Ctrl-C will not stop the run cleanly ({err})");
        }
    }
    let fusion = Fusion::unless_off(config.runtime.fuse, &compiler);
    let options = RunOptions {
        frames: request.frames,
        fps: config.runtime.fps,
        watchdog_ms: config.runtime.watchdog_ms,
        fusion,
        frames_in_flight: None,
    };
    let mouse = Arc::new(Mutex::new([0.0f32; 4]));
    let mut running = scheduler::start(gpu, &built.graph, options, mouse)
        .map_err(|e| RunError::Runtime(format!("cannot start the graph: {e}")))?;
    let started = Instant::now();
    let deadline = request.seconds.map(Duration::from_secs_f64);
    while running.is_running() {
        if stop.load(Ordering::SeqCst) || deadline.is_some_and(|d| started.elapsed() >= d) {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let stats = running.stop();
    print_stats(&request.config, &stats);
    match stats.error {
        Some(error) => Err(RunError::Runtime(format!("the graph stopped at frame {}: {error}", stats.frames))),
        None => Ok(()),
    }
}

fn print_stats(config: &Path, stats: &Stats) {
    println!(
        "{}: {} frames in {:.2} s ({:.1} fps; frame time p50 {:.2} ms, p99 {:.2} ms) on {}",
        config.display(),
        stats.frames,
        stats.elapsed_s,
        stats.fps,
        stats.frame_ms_p50,
        stats.frame_ms_p99,
        stats.adapter
    );
    for (sink, dropped) in &stats.dropped {
        println!("sink '{sink}': {dropped} frames dropped");
    }
    if let Some(note) = &stats.device_lost {
        println!("device: {note} ({} recoveries)", stats.device_recoveries);
    }
    for (effect, overrun) in &stats.bypassed {
        println!("watchdog: {}", overrun.describe(effect));
    }
    if let Some(ended) = &stats.ended {
        println!("ended: {ended}");
    }
}
