//! Plain data shared by every stage of the pipeline and sent over the worker pipe.

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::reflect::{Parameter, Reflection};

/// The refusal of an option name nobody knows, listing the names there are (Python and the HTTP API say it).
pub fn unknown_name(what: &str, given: &str, known: &[&str]) -> String {
    let known: Vec<String> = known.iter().map(|name| format!("'{name}'")).collect();
    format!("unknown {what} '{given}': expected one of {}", known.join(", "))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    Pixel,
    Vertex,
    Compute,
}

impl Stage {
    pub fn parse(text: &str) -> Option<Stage> {
        match text {
            "pixel" | "fragment" | "ps" | "frag" => Some(Stage::Pixel),
            "vertex" | "vs" | "vert" => Some(Stage::Vertex),
            "compute" | "cs" | "comp" => Some(Stage::Compute),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Pixel => "pixel",
            Stage::Vertex => "vertex",
            Stage::Compute => "compute",
        }
    }

    /// Shader model 6.0 profile as DXC spells it.
    pub fn dxc_profile(self) -> &'static str {
        match self {
            Stage::Pixel => "ps_6_0",
            Stage::Vertex => "vs_6_0",
            Stage::Compute => "cs_6_0",
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    Dxc,
    Glslang,
}

impl BackendKind {
    pub fn parse(text: &str) -> Option<BackendKind> {
        match text {
            "dxc" => Some(BackendKind::Dxc),
            "glslang" | "shaderc" => Some(BackendKind::Glslang),
            _ => None,
        }
    }

    pub fn from_name(text: &str) -> Result<BackendKind, String> {
        BackendKind::parse(text).ok_or_else(|| unknown_name("backend", text, &["dxc", "glslang"]))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            BackendKind::Dxc => "dxc",
            BackendKind::Glslang => "glslang",
        }
    }
}

impl fmt::Display for BackendKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OptLevel {
    None,
    Size,
    #[default]
    Performance,
}

impl OptLevel {
    pub fn parse(text: &str) -> Option<OptLevel> {
        match text {
            "none" | "0" => Some(OptLevel::None),
            "size" | "s" => Some(OptLevel::Size),
            "performance" | "speed" | "3" => Some(OptLevel::Performance),
            _ => None,
        }
    }

    pub fn from_name(text: &str) -> Result<OptLevel, String> {
        OptLevel::parse(text).ok_or_else(|| unknown_name("optimization", text, &["none", "size", "performance"]))
    }
}

/// How a pixel shader gets the runtime's prelude (`input`, `tex2D`, the frame values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PreludeMode {
    /// Pixel shaders get it unless they declare their own samplers (written for another host).
    #[default]
    Auto,
    Always,
    Never,
}

impl PreludeMode {
    pub fn parse(text: &str) -> Option<PreludeMode> {
        match text {
            "auto" => Some(PreludeMode::Auto),
            "always" => Some(PreludeMode::Always),
            "never" => Some(PreludeMode::Never),
            _ => None,
        }
    }

    pub fn from_name(text: &str) -> Result<PreludeMode, String> {
        PreludeMode::parse(text).ok_or_else(|| unknown_name("prelude mode", text, &["auto", "always", "never"]))
    }
}

/// The language a shader is written in: HLSL (D3D11 or D3D9 style), or Shadertoy-style GLSL (`mainImage`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    Hlsl,
    Glsl,
}

impl Language {
    pub fn as_str(self) -> &'static str {
        match self {
            Language::Hlsl => "hlsl",
            Language::Glsl => "glsl",
        }
    }

    pub fn is_hlsl(&self) -> bool {
        *self == Language::Hlsl
    }

    pub fn from_name(text: &str) -> Result<Language, String> {
        match text {
            "hlsl" => Ok(Language::Hlsl),
            "glsl" => Ok(Language::Glsl),
            _ => Err(unknown_name("language", text, &["hlsl", "glsl"])),
        }
    }

    /// The language a file's extension says: `.glsl`, `.frag` and `.fs` are GLSL, anything else HLSL.
    pub fn of_path(path: &std::path::Path) -> Language {
        match path.extension().and_then(|e| e.to_str()) {
            Some("glsl" | "frag" | "fs") => Language::Glsl,
            _ => Language::Hlsl,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CompileOptions {
    pub stage: Stage,
    pub entry: String,
    pub defines: Vec<(String, String)>,
    pub optimization: OptLevel,
    /// `None` picks DXC when loadable, else glslang.
    pub backend: Option<BackendKind>,
    /// Extra directories `#include "x.hlsl"` may read from, besides the shader library.
    pub include_dirs: Vec<PathBuf>,
    pub prelude: PreludeMode,
    #[serde(default)]
    pub language: Language,
}

impl Default for CompileOptions {
    fn default() -> Self {
        CompileOptions {
            stage: Stage::Pixel,
            entry: "main".to_owned(),
            defines: Vec::new(),
            optimization: OptLevel::default(),
            backend: None,
            include_dirs: Vec::new(),
            prelude: PreludeMode::default(),
            language: Language::default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompileRequest {
    pub name: String,
    pub source: String,
    pub options: CompileOptions,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Note,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

/// One compiler message, in the user's own line numbers (1-based; prelude lines already subtracted).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// The file the message is about: the shader's own name, or an included file.
    pub file: String,
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub message: String,
    pub source_line: Option<String>,
}

impl Diagnostic {
    pub fn error(file: &str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            file: file.to_owned(),
            line: None,
            column: None,
            message: message.into(),
            source_line: None,
        }
    }

    /// Points the diagnostic at a line (and column) of `source`, filling in the source line.
    pub fn at(mut self, source: &str, line: u32, column: Option<u32>) -> Diagnostic {
        self.line = Some(line);
        self.column = column;
        self.source_line = source.lines().nth(line.saturating_sub(1) as usize).map(str::to_owned);
        self
    }
}

impl fmt::Display for Diagnostic {
    /// Reads like a compiler's own output: `name:line:col: error: message`, the line, and a caret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        write!(f, ": {}: {}", self.severity.as_str(), self.message)?;
        if let Some(text) = &self.source_line {
            write!(f, "\n    {}", text.trim_end())?;
            if let Some(column) = self.column {
                // Keep tabs so the caret lines up under the same characters.
                let pad: String = text
                    .chars()
                    .take(column.saturating_sub(1) as usize)
                    .map(|c| if c == '\t' { '\t' } else { ' ' })
                    .collect();
                write!(f, "\n    {pad}^")?;
            }
        }
        Ok(())
    }
}

/// Everything one successful compile produces.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompiledShader {
    pub name: String,
    /// The source as given (what an export writes). Not stored in the cache nor sent by the worker: the
    /// compiler fills it in from the request.
    #[serde(skip)]
    pub source: String,
    /// The preprocessor defines it was compiled with (`CompileOptions::defines`); filled in like `source`.
    #[serde(skip)]
    pub defines: Vec<(String, String)>,
    pub language: Language,
    pub stage: Stage,
    pub entry: String,
    pub backend: BackendKind,
    pub backend_version: String,
    pub spirv: Vec<u32>,
    pub msl: String,
    /// GLSL ES 3.00 for WebGL2; pixel stage only (compute needs ESSL 3.10).
    pub glsl_es: Option<String>,
    pub reflection: Reflection,
    pub parameters: Vec<Parameter>,
    pub source_hash: String,
    pub uses_prelude: bool,
    pub warnings: Vec<Diagnostic>,
    /// Wall time of the compile that produced this (0 when it came from the cache).
    pub compile_ms: f64,
    pub cached: bool,
}
