//! streamlib-runtime as a library: the headless `run` command (`run`), the operations a client asks for
//! (`ops`), and the two ways to ask — the HTTP API (`http`) and MCP (`mcp`) — over streamlib-core. The
//! binary's `main.rs` only parses arguments and calls in here, so routes and tools can be tested in-process.
//!
//! HLSL compiles run in a copy of the binary started with the hidden `__compile-worker` command
//! (`WORKER_COMMAND`), so a crashing front end costs a restart of that copy, never the run or the server.

pub mod http;
pub mod mcp;
pub mod ops;
pub mod run;

use std::path::PathBuf;

use streamlib_core::shader::{Compiler, CompilerConfig, WorkerCommand};

/// The hidden subcommand that makes the binary a compile worker.
pub const WORKER_COMMAND: &str = "__compile-worker";

/// A compiler whose worker is `program` re-executed with `WORKER_COMMAND`; `#include` reads the library
/// directories of `STREAMLIB_SHADER_PATH`, and `STREAMLIB_CACHE_DIR` holds the disk cache.
pub fn compiler_with_worker(program: PathBuf) -> Compiler {
    let worker = WorkerCommand { program, args: vec![WORKER_COMMAND.to_owned()] };
    // The binary ships no shader library of its own: only the user's directories are readable.
    Compiler::new(CompilerConfig::from_env(worker, &[]))
}

/// `compiler_with_worker` for this very executable (the `streamlib-runtime` binary).
pub fn compiler() -> Result<Compiler, std::io::Error> {
    let program = std::env::current_exe().map_err(|e| {
        std::io::Error::new(e.kind(), format!("cannot find this executable to start the compile worker: {e}"))
    })?;
    Ok(compiler_with_worker(program))
}
