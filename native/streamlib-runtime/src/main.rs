//! `streamlib-runtime`: a thin `main` over streamlib-core that runs an exported graph config headless, or
//! serves the HTTP API (`serve`, in `serve.rs` and `routes.rs`).
//!
//! `streamlib-runtime run graph.streamlib.json [--frames N | --seconds S] [--sink NODE=PATH]…`
//! `streamlib-runtime serve [--listen 127.0.0.1:8080] [--token-file FILE] [--allow-files]`
//! Exit status: 0 ran to the end, 1 runtime error (no GPU, a sink could not write, …), 2 bad config or
//! arguments (the message names the field). HLSL compiles run in a copy of this binary started with the
//! hidden `__compile-worker` command, so a crashing front end costs a restart of that copy, never the run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};
use streamlib_core::config::{check_sink_overrides, GraphConfig};
use streamlib_core::gpu::{AdapterPreference, Gpu};
use streamlib_core::graph::build_graph;
use streamlib_core::graph::scheduler;
use streamlib_core::graph::{RunOptions, Stats};
use streamlib_core::shader::{Compiler, CompilerConfig, WorkerCommand};

mod routes;
mod serve;

const WORKER_COMMAND: &str = "__compile-worker";

#[derive(Parser)]
#[command(name = "streamlib-runtime", version, about = "Runs streamlib graph configs exported from Python")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a graph config headless; prints stats when it ends.
    Run(RunArgs),
    /// Serve the HTTP API (compile shaders, load / start / stop a graph, stats, latest frame).
    Serve(serve::ServeArgs),
    /// The supervised compile worker (started by this binary itself).
    #[command(name = WORKER_COMMAND, hide = true)]
    CompileWorker,
}

#[derive(Args)]
struct RunArgs {
    /// The graph config (`*.streamlib.json`).
    config: PathBuf,
    /// Stop after this many frames.
    #[arg(long, value_name = "N", conflicts_with = "seconds")]
    frames: Option<u64>,
    /// Stop after this many seconds.
    #[arg(long, value_name = "S", value_parser = parse_seconds)]
    seconds: Option<f64>,
    /// Write a file sink's output to PATH instead (image_sequence: a directory, video_file: a file); repeatable.
    #[arg(long = "sink", value_name = "NODE=PATH", value_parser = parse_sink)]
    sinks: Vec<(String, PathBuf)>,
}

fn parse_sink(text: &str) -> Result<(String, PathBuf), String> {
    match text.split_once('=') {
        Some((node, path)) if !node.is_empty() && !path.is_empty() => Ok((node.to_owned(), PathBuf::from(path))),
        _ => Err(format!("'{text}' is not NODE=PATH (e.g. --sink out=frames/)")),
    }
}

fn parse_seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(seconds) if seconds.is_finite() && seconds > 0.0 => Ok(seconds),
        _ => Err(format!("'{text}' is not a positive number of seconds")),
    }
}

/// Why a run failed, which decides the exit status.
enum Failure {
    /// The config (or an argument about it) is wrong: exit 2.
    Config(String),
    /// The config is fine but running it failed: exit 1.
    Runtime(anyhow::Error),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::CompileWorker => match streamlib_core::shader::worker::serve() {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("streamlib-runtime {WORKER_COMMAND}: {err}");
                ExitCode::from(1)
            }
        },
        Command::Serve(args) => serve::main(&args),
        Command::Run(args) => match run(&args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(Failure::Config(message)) => {
                eprintln!("streamlib-runtime: bad config '{}': {message}", args.config.display());
                ExitCode::from(2)
            }
            Err(Failure::Runtime(err)) => {
                eprintln!("streamlib-runtime: error: {err:#}");
                ExitCode::from(1)
            }
        },
    }
}

fn run(args: &RunArgs) -> Result<(), Failure> {
    let text = std::fs::read_to_string(&args.config).map_err(|e| Failure::Config(format!("cannot read it: {e}")))?;
    let config = GraphConfig::parse(&text).map_err(|e| Failure::Config(e.to_string()))?;
    let mut overrides = BTreeMap::new();
    for (node, path) in &args.sinks {
        if overrides.insert(node.clone(), path.clone()).is_some() {
            return Err(Failure::Config(format!("--sink {node}=…: given more than once")));
        }
    }
    // Before the GPU and the compiler start, so a typo fails fast.
    check_sink_overrides(&config, &overrides).map_err(|e| Failure::Config(e.to_string()))?;

    let compiler = compiler().map_err(Failure::Runtime)?;
    let mut preference = AdapterPreference::from_env();
    // As in Python, an adapter the graph asks for by name beats the environment's.
    if let Some(adapter) = &config.runtime.adapter {
        preference.name_contains = Some(adapter.clone());
    }
    let gpu = Gpu::shared(&preference).map_err(|e| Failure::Runtime(e.into()))?;
    let built = build_graph(gpu.clone(), &compiler, &config, &overrides).map_err(|e| Failure::Config(e.to_string()))?;
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
    let options = RunOptions { frames: args.frames, fps: config.runtime.fps };
    let mouse = Arc::new(Mutex::new([0.0f32; 4]));
    let mut running = scheduler::start(gpu, &built.graph, options, mouse)
        .map_err(|e| Failure::Runtime(anyhow::anyhow!(e.0).context("cannot start the graph")))?;
    let started = Instant::now();
    let deadline = args.seconds.map(Duration::from_secs_f64);
    while running.is_running() {
        if stop.load(Ordering::SeqCst) || deadline.is_some_and(|d| started.elapsed() >= d) {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let stats = running.stop();
    print_stats(&args.config, &stats);
    match stats.error {
        Some(error) => Err(Failure::Runtime(
            anyhow::anyhow!(error).context(format!("the graph stopped at frame {}", stats.frames)),
        )),
        None => Ok(()),
    }
}

/// The compiler with its worker: this very binary, re-executed with the hidden worker command.
pub(crate) fn compiler() -> anyhow::Result<Compiler> {
    let program = std::env::current_exe().context("cannot find this executable to start the compile worker")?;
    let mut config = CompilerConfig::with_worker(WorkerCommand { program, args: vec![WORKER_COMMAND.to_owned()] });
    // Where `#include` may read from, as in Python: the shader library directories.
    config.library_dirs = std::env::var_os("STREAMLIB_SHADER_PATH")
        .map(|paths| std::env::split_paths(&paths).filter(|p| !p.as_os_str().is_empty()).collect())
        .unwrap_or_default();
    config.cache_dir = std::env::var_os("STREAMLIB_CACHE_DIR").filter(|d| !d.is_empty()).map(PathBuf::from);
    Ok(Compiler::new(config))
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
    if let Some(ended) = &stats.ended {
        println!("ended: {ended}");
    }
}
