//! `streamlib-runtime`: runs an exported graph config headless, or serves the HTTP API. This file only
//! parses arguments and maps outcomes to exit statuses; the work is in the `streamlib_runtime` library.
//!
//! `streamlib-runtime run graph.streamlib.json [--frames N | --seconds S] [--sink NODE=PATH]…`
//! `streamlib-runtime serve [--listen 127.0.0.1:8080] [--token-file FILE] [--allow-files]` (also MCP at /mcp)
//! `streamlib-runtime mcp [CONFIG] [--allow-files]` (MCP over stdio, for agents)
//! Exit status of `run`: 0 ran to the end, 1 runtime error (no GPU, a sink could not write, …), 2 bad config
//! or arguments (the message names the field). `serve`: 0 stopped by Ctrl-C / SIGTERM, 1 could not listen,
//! 2 refused to start.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use streamlib_runtime::http::{ServeError, ServeOptions};
use streamlib_runtime::mcp::{HttpSettings, McpOptions};
use streamlib_runtime::run::{RunError, RunRequest};
use streamlib_runtime::WORKER_COMMAND;

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
    /// Serve the HTTP API (compile shaders, load / start / stop a graph, stats, latest frame) and MCP over
    /// streamable HTTP at /mcp, both behind the same token.
    Serve(ServeArgs),
    /// Serve the same operations as MCP tools on stdin/stdout, for agents (an MCP client launches this).
    Mcp(McpArgs),
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

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on; anything but loopback needs --token-file.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    listen: String,
    /// File holding the bearer token every route but /v1/health requires.
    #[arg(long, value_name = "FILE")]
    token_file: Option<PathBuf>,
    /// Accept graph configs whose nodes read or write files on this machine (image/video paths, image
    /// sequences, video files); without it only inline images, test patterns, push sources, numpy and
    /// preview sinks are accepted.
    #[arg(long)]
    allow_files: bool,
    /// Requests handled at once; more are answered 503 {"code": "busy"}.
    #[arg(long, value_name = "N", default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=1024))]
    max_concurrent: u32,
    /// A `Host` name /mcp accepts besides localhost, 127.0.0.1, ::1 and the listen address (the name clients
    /// reach a public server by); repeatable.
    #[arg(long = "allow-host", value_name = "NAME")]
    allow_hosts: Vec<String>,
    /// A browser `Origin` whose pages may call this server (e.g. http://localhost:6274, a JupyterLab's
    /// http://127.0.0.1:8888): /mcp accepts it and /v1 answers it with CORS headers (a notebook playing a
    /// node over WHEP); other sites' pages are refused. `*` allows any, only with --token-file. Repeatable.
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    allow_origins: Vec<String>,
    /// UDP ports WebRTC (WHEP) sessions take their sockets from, FIRST-LAST (open these in a firewall);
    /// any free port when not given.
    #[arg(long, value_name = "FIRST-LAST", value_parser = streamlib_core::webrtc::Network::parse_ports)]
    webrtc_ports: Option<(u16, u16)>,
    /// WebRTC sessions at once; more offers are answered 503 {"code": "too_many_sessions"}.
    #[arg(long, value_name = "N", default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=1024))]
    max_webrtc_sessions: u32,
}

#[derive(Args)]
struct McpArgs {
    /// A graph config to load and start before serving (agents can also load one with load_graph).
    config: Option<PathBuf>,
    /// Accept graph configs whose nodes read or write files on this machine.
    #[arg(long)]
    allow_files: bool,
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

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::CompileWorker => match streamlib_core::shader::worker::serve() {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("streamlib-runtime {WORKER_COMMAND}: {err}");
                ExitCode::from(1)
            }
        },
        Command::Serve(args) => {
            let options = ServeOptions {
                listen: args.listen,
                token_file: args.token_file,
                allow_files: args.allow_files,
                max_concurrent: args.max_concurrent as usize,
                mcp: HttpSettings { extra_hosts: args.allow_hosts, allowed_origins: args.allow_origins },
                webrtc_ports: args.webrtc_ports,
                max_webrtc_sessions: args.max_webrtc_sessions as usize,
            };
            match streamlib_runtime::http::serve(&options) {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) => {
                    eprintln!("streamlib-runtime serve: {err}");
                    ExitCode::from(if matches!(err, ServeError::Refused(_)) { 2 } else { 1 })
                }
            }
        }
        Command::Mcp(args) => {
            match streamlib_runtime::mcp::serve_stdio(&McpOptions {
                config: args.config,
                allow_files: args.allow_files,
            }) {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) => {
                    eprintln!("streamlib-runtime mcp: {err}");
                    ExitCode::from(1)
                }
            }
        }
        Command::Run(args) => {
            let request =
                RunRequest { config: args.config, frames: args.frames, seconds: args.seconds, sinks: args.sinks };
            match streamlib_runtime::run::run(&request) {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) => {
                    eprintln!("streamlib-runtime: {err}");
                    ExitCode::from(if matches!(err, RunError::Config { .. }) { 2 } else { 1 })
                }
            }
        }
    }
}
