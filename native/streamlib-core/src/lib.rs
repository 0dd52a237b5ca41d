//! streamlib core: the platform-agnostic pieces (shader compile pipeline today; GPU graph next).

pub mod agents;
pub mod config;
pub mod features;
pub mod gpu;
pub mod graph;
pub mod nodes;
pub mod session;
pub mod shader;
pub mod webrtc;

pub use features::{features, features_here};
pub use shader::{
    BackendKind, CompileError, CompileOptions, CompileRequest, CompiledShader, Compiler, Diagnostic, OptLevel,
    Severity, Stage,
};
