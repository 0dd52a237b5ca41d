//! HLSL → SPIR-V → reflection → MSL / GLSL ES, cached, with front ends isolated in a worker process.

pub mod annotations;
pub mod cache;
pub mod compile;
pub mod cross;
pub mod d3d9;
pub mod diagnostics;
pub mod env;
pub mod fuse;
pub mod loop_guard;
pub mod pipeline;
pub mod prelude;
pub mod preprocess;
pub mod reflect;
pub mod shadertoy;
pub mod source_checks;
pub mod spirv_patch;
pub mod stage;
pub mod std140;
#[cfg(test)]
pub(crate) mod test_support;
pub mod tokens;
pub mod types;
pub mod wgsl;
pub mod worker;

use std::path::PathBuf;
use std::time::{Duration, Instant};

pub use cache::CacheStats;
pub use compile::{backends, BackendInfo, Unavailable};
pub use env::EnvSettings;
pub use reflect::{Member, ParamKind, Parameter, Reflection, Resource, ResourceKind, StageVariable, UniformBuffer};
pub use types::{
    BackendKind, CompileOptions, CompileRequest, CompiledShader, Diagnostic, Language, OptLevel, PreludeMode, Severity,
    Stage,
};
pub use worker::WorkerCommand;

use cache::{cache_key, ShaderCache};
use worker::Supervisor;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CompileError {
    #[error("{}", format_diagnostics(.name, .diagnostics))]
    Diagnostics { name: String, diagnostics: Vec<Diagnostic> },
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

fn format_diagnostics(name: &str, diagnostics: &[Diagnostic]) -> String {
    let errors = diagnostics.iter().filter(|d| d.severity == Severity::Error).count();
    let mut text = format!("shader '{name}' failed to compile ({errors} error{})", if errors == 1 { "" } else { "s" });
    for diagnostic in diagnostics {
        text.push('\n');
        text.push_str(&diagnostic.to_string());
    }
    text
}

/// Where front ends run. `Worker` is the default everywhere a crash must not take the process down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Isolation {
    Worker {
        command: WorkerCommand,
        workers: usize,
    },
    /// Only for the worker itself and for tests that want a crash to be loud.
    InProcess,
}

#[derive(Debug, Clone)]
pub struct CompilerConfig {
    pub isolation: Isolation,
    pub timeout: Duration,
    pub cache_dir: Option<PathBuf>,
    /// Directories `#include` may read from (the shader library); request options may add more.
    pub library_dirs: Vec<PathBuf>,
}

impl CompilerConfig {
    pub fn with_worker(command: WorkerCommand) -> CompilerConfig {
        CompilerConfig {
            isolation: Isolation::Worker { command, workers: 1 },
            timeout: Duration::from_secs(10),
            cache_dir: None,
            library_dirs: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CompilerStats {
    pub cache: CacheStats,
    pub compiles: u64,
    pub worker_restarts: u64,
}

pub struct Compiler {
    config: CompilerConfig,
    supervisor: Option<Supervisor>,
    cache: ShaderCache,
    compiles: std::sync::atomic::AtomicU64,
}

impl Compiler {
    pub fn new(config: CompilerConfig) -> Compiler {
        let supervisor = match &config.isolation {
            Isolation::Worker { command, workers } => Some(Supervisor::new(command.clone(), *workers, config.timeout)),
            Isolation::InProcess => None,
        };
        Compiler { cache: ShaderCache::new(config.cache_dir.clone()), config, supervisor, compiles: Default::default() }
    }

    pub fn config(&self) -> &CompilerConfig {
        &self.config
    }

    /// Compiles source bytes, refusing non-UTF-8 with a diagnostic that points at the bad byte.
    pub fn compile_bytes(
        &self,
        name: &str,
        source: &[u8],
        options: CompileOptions,
    ) -> Result<CompiledShader, CompileError> {
        let source = preprocess::decode_source(name, source)
            .map_err(|d| CompileError::Diagnostics { name: name.to_owned(), diagnostics: vec![d] })?;
        self.compile(&CompileRequest { name: name.to_owned(), source, options })
    }

    pub fn compile(&self, request: &CompileRequest) -> Result<CompiledShader, CompileError> {
        let started = Instant::now();
        let fail = |diagnostics| CompileError::Diagnostics { name: request.name.clone(), diagnostics };
        let prepared = preprocess::prepare(request, &self.config.library_dirs).map_err(fail)?;
        let (backend, version) = compile::resolve_backend_for(request.options.language, request.options.backend)
            .map_err(|message| fail(vec![Diagnostic::error(&request.name, message)]))??;
        let key = cache_key(&prepared, backend, &version);
        if let Some(mut shader) = self.cache.get(&key) {
            shader.cached = true;
            shader.compile_ms = started.elapsed().as_secs_f64() * 1e3;
            shader.name = request.name.clone();
            shader.source = request.source.clone();
            shader.defines = request.options.defines.clone();
            return Ok(shader);
        }
        self.compiles.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut shader = match &self.supervisor {
            Some(supervisor) => supervisor.compile(&prepared, backend),
            None => pipeline::compile_prepared(&prepared, backend),
        }
        .map_err(fail)?;
        shader.compile_ms = started.elapsed().as_secs_f64() * 1e3;
        shader.source = request.source.clone();
        shader.defines = request.options.defines.clone();
        self.cache.put(&key, &shader);
        Ok(shader)
    }

    pub fn stats(&self) -> CompilerStats {
        CompilerStats {
            cache: self.cache.stats(),
            compiles: self.compiles.load(std::sync::atomic::Ordering::Relaxed),
            worker_restarts: self.supervisor.as_ref().map_or(0, Supervisor::restarts),
        }
    }

    pub fn clear_memory_cache(&self) {
        self.cache.clear_memory();
    }
}
