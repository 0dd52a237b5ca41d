//! HLSL → SPIR-V front ends behind one trait: glslang (linked in) and DXC (loaded at run time).
//!
//! Both are told the same binding rule (see `prelude.rs`) and the same cbuffer layout (std140: glslang
//! without `--hlsl-offsets`, DXC with `-fvk-use-gl-layout`), so they give one layout.

use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use super::diagnostics::{parse_dxc, parse_glslang, LineMap};
use super::prelude::{BINDING_SHIFT_CBUFFER, BINDING_SHIFT_SAMPLER, BINDING_SHIFT_TEXTURE, BINDING_SHIFT_UAV};
use super::preprocess::PreparedSource;
use super::types::{BackendKind, Diagnostic, Language, OptLevel, Severity, Stage};

/// SPIR-V from a front end, with any warnings it printed.
pub struct FrontEndOutput {
    pub spirv: Vec<u32>,
    pub warnings: Vec<Diagnostic>,
}

pub trait Backend {
    fn kind(&self) -> BackendKind;
    fn version(&self) -> &str;
    fn compile(&self, prepared: &PreparedSource) -> Result<FrontEndOutput, Vec<Diagnostic>>;
}

/// What `compilers()` reports for one backend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackendInfo {
    pub kind: BackendKind,
    pub version: String,
    pub available: bool,
    /// Where it was loaded from, or for a missing one, where we looked and why each failed.
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("{backend} compiler is unavailable: {reason}")]
pub struct Unavailable {
    pub backend: BackendKind,
    pub reason: String,
    pub searched: Vec<String>,
}

/// Every backend this build knows, in preference order (DXC first when loadable).
pub fn backends() -> Vec<BackendInfo> {
    let dxc = match dxc_library() {
        Ok(found) => BackendInfo {
            kind: BackendKind::Dxc,
            version: found.version.clone(),
            available: true,
            detail: found.path.display().to_string(),
        },
        Err(missing) => BackendInfo {
            kind: BackendKind::Dxc,
            version: String::new(),
            available: false,
            detail: missing.reason.clone(),
        },
    };
    let glslang = BackendInfo {
        kind: BackendKind::Glslang,
        version: glslang_version().to_owned(),
        available: true,
        detail: "linked in (libshaderc_combined)".to_owned(),
    };
    vec![dxc, glslang]
}

/// The backend a request gets: the explicit one, else DXC when loadable, else glslang.
pub fn resolve_backend(requested: Option<BackendKind>) -> Result<(BackendKind, String), Unavailable> {
    match requested {
        Some(BackendKind::Glslang) => Ok((BackendKind::Glslang, glslang_version().to_owned())),
        Some(BackendKind::Dxc) => {
            dxc_library().map(|found| (BackendKind::Dxc, found.version.clone())).map_err(Clone::clone)
        }
        None => match dxc_library() {
            Ok(found) => Ok((BackendKind::Dxc, found.version.clone())),
            Err(_) => Ok((BackendKind::Glslang, glslang_version().to_owned())),
        },
    }
}

/// The backend for a source in `language`: HLSL as `resolve_backend`; GLSL only through glslang (DXC
/// compiles HLSL alone), so asking for DXC is refused with a message.
pub fn resolve_backend_for(
    language: Language,
    requested: Option<BackendKind>,
) -> Result<Result<(BackendKind, String), Unavailable>, String> {
    match (language, requested) {
        (Language::Hlsl, _) => Ok(resolve_backend(requested)),
        (Language::Glsl, Some(BackendKind::Dxc)) => {
            Err("DXC compiles HLSL only; a GLSL effect compiles with glslang (backend=\"glslang\" or none)".to_owned())
        }
        (Language::Glsl, _) => Ok(resolve_backend(Some(BackendKind::Glslang))),
    }
}

pub fn backend_for(kind: BackendKind) -> Result<Box<dyn Backend>, Unavailable> {
    match kind {
        BackendKind::Glslang => Ok(Box::new(Glslang)),
        BackendKind::Dxc => {
            let found = dxc_library().map_err(Clone::clone)?;
            Ok(Box::new(Dxc { path: found.path.clone(), version: found.version.clone() }))
        }
    }
}

fn glslang_version() -> &'static str {
    concat!("shaderc ", env!("STREAMLIB_SHADERC_VERSION"), " (glslang)")
}

// ---------------------------------------------------------------------------------------------- glslang

pub struct Glslang;

impl Backend for Glslang {
    fn kind(&self) -> BackendKind {
        BackendKind::Glslang
    }

    fn version(&self) -> &str {
        glslang_version()
    }

    fn compile(&self, prepared: &PreparedSource) -> Result<FrontEndOutput, Vec<Diagnostic>> {
        let request = &prepared.request;
        let name = request.name.as_str();
        let internal = |what: String| vec![Diagnostic::error(name, format!("glslang: {what}"))];
        let mut options = shaderc::CompileOptions::new().map_err(|e| internal(e.to_string()))?;
        options.set_source_language(match request.options.language {
            Language::Hlsl => shaderc::SourceLanguage::HLSL,
            Language::Glsl => shaderc::SourceLanguage::GLSL,
        });
        options.set_target_env(shaderc::TargetEnv::Vulkan, shaderc::EnvVersion::Vulkan1_1 as u32);
        options.set_hlsl_io_mapping(true);
        // std140-style cbuffer layout rather than HLSL packing: naga (wgpu's SPIR-V front end) rejects a
        // float3 at offset 4. Parameters are packed from reflected offsets, so callers never notice.
        options.set_hlsl_offsets(false);
        options.set_auto_bind_uniforms(true);
        options.set_auto_map_locations(true);
        options.set_binding_base(shaderc::ResourceKind::Buffer, BINDING_SHIFT_CBUFFER);
        options.set_binding_base(shaderc::ResourceKind::Texture, BINDING_SHIFT_TEXTURE);
        options.set_binding_base(shaderc::ResourceKind::Sampler, BINDING_SHIFT_SAMPLER);
        options.set_binding_base(shaderc::ResourceKind::Image, BINDING_SHIFT_UAV);
        options.set_binding_base(shaderc::ResourceKind::UnorderedAccessView, BINDING_SHIFT_UAV);
        options.set_binding_base(shaderc::ResourceKind::StorageBuffer, BINDING_SHIFT_UAV);
        options.set_optimization_level(match request.options.optimization {
            OptLevel::None => shaderc::OptimizationLevel::Zero,
            OptLevel::Size => shaderc::OptimizationLevel::Size,
            OptLevel::Performance => shaderc::OptimizationLevel::Performance,
        });
        // Without debug info the optimiser strips every OpName, and reflection needs the names.
        options.set_generate_debug_info();
        for (define, value) in &request.options.defines {
            options.add_macro_definition(define, Some(value));
        }
        let includes = &prepared.includes;
        options.set_include_callback(move |requested, _kind, _from, _depth| match includes.get(requested) {
            Some(text) => Ok(shaderc::ResolvedInclude { resolved_name: requested.to_owned(), content: text.clone() }),
            None => Err(format!("include '{requested}' was not resolved before compiling")),
        });
        let kind = match request.options.stage {
            Stage::Pixel => shaderc::ShaderKind::Fragment,
            Stage::Vertex => shaderc::ShaderKind::Vertex,
            Stage::Compute => shaderc::ShaderKind::Compute,
        };
        let source = normalise_attributes(&prepared.full_source);
        let map = LineMap::new(prepared);
        let result = with_shaderc(|compiler| {
            compiler.compile_into_spirv(&source, kind, name, &request.options.entry, Some(&options))
        })
        .map_err(internal)?;
        match result {
            Ok(artifact) => {
                let warnings = if artifact.get_num_warnings() > 0 {
                    parse_glslang(&artifact.get_warning_messages(), &map)
                } else {
                    Vec::new()
                };
                Ok(FrontEndOutput { spirv: artifact.as_binary().to_vec(), warnings })
            }
            Err(shaderc::Error::CompilationError(_, text)) => {
                let mut diagnostics = parse_glslang(&text, &map);
                explain_entry_point(&mut diagnostics, prepared);
                Err(diagnostics)
            }
            Err(other) => Err(internal(other.to_string())),
        }
    }
}

/// Runs `f` with this thread's shaderc compiler. Keeping one alive matters: when the last compiler is
/// released glslang finalizes, dropping its built-in symbol tables, and rebuilding them costs ~10 ms a compile.
fn with_shaderc<T>(f: impl FnOnce(&shaderc::Compiler) -> T) -> Result<T, String> {
    thread_local! {
        static COMPILER: std::cell::OnceCell<Option<shaderc::Compiler>> = const { std::cell::OnceCell::new() };
    }
    COMPILER.with(|cell| match cell.get_or_init(|| shaderc::Compiler::new().ok()) {
        Some(compiler) => Ok(f(compiler)),
        None => Err("cannot initialise shaderc".to_owned()),
    })
}

/// DXC's `[[vk::image_format("rgba8")]]` is ignored by glslang, which honours `[[spv::format_rgba8]]`.
fn normalise_attributes(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut rest = source;
    while let Some(start) = rest.find("[[vk::image_format(\"") {
        out.push_str(&rest[..start]);
        let after = &rest[start + "[[vk::image_format(\"".len()..];
        match after.find("\")]]") {
            Some(end) if after[..end].chars().all(|c| c.is_ascii_alphanumeric()) => {
                out.push_str("[[spv::format_");
                out.push_str(&after[..end]);
                out.push_str("]]");
                rest = &after[end + "\")]]".len()..];
            }
            _ => {
                out.push_str("[[vk::image_format(\"");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// glslang says only "Entry point not found"; name the entry and what the source does define.
fn explain_entry_point(diagnostics: &mut [Diagnostic], prepared: &PreparedSource) {
    for diagnostic in diagnostics.iter_mut() {
        if diagnostic.message.contains("Entry point not found") {
            diagnostic.message = format!(
                "entry point '{}' not found: the {} shader needs a function named '{}' (pass entry=… to use another)",
                prepared.request.options.entry, prepared.request.options.stage, prepared.request.options.entry
            );
            diagnostic.severity = Severity::Error;
        }
    }
}

// -------------------------------------------------------------------------------------------------- DXC

struct DxcLibrary {
    path: PathBuf,
    version: String,
}

/// DXC is looked up once per process: `STREAMLIB_DXC_PATH` (a file or a directory), then the system's
/// library search, then the places SDKs install it.
fn dxc_library() -> Result<&'static DxcLibrary, &'static Unavailable> {
    static FOUND: OnceLock<Result<DxcLibrary, Unavailable>> = OnceLock::new();
    FOUND.get_or_init(|| find_dxc(&dxc_candidates())).as_ref()
}

pub fn dxc_candidates() -> Vec<PathBuf> {
    candidates_in_order(std::env::var_os("STREAMLIB_DXC_PATH"), std::env::var_os("VULKAN_SDK"))
}

/// The search order, apart from the process environment so that it can be tested.
fn candidates_in_order(configured: Option<OsString>, vulkan_sdk: Option<OsString>) -> Vec<PathBuf> {
    let file = libloading_filename();
    let mut candidates = Vec::new();
    if let Some(configured) = configured {
        let configured = PathBuf::from(configured);
        candidates.push(if configured.is_dir() { configured.join(&file) } else { configured });
    }
    candidates.push(PathBuf::from(&file));
    if let Some(sdk) = vulkan_sdk {
        candidates.push(PathBuf::from(sdk).join("lib").join(&file));
    }
    for dir in [
        "/usr/lib/x86_64-linux-gnu",
        "/usr/lib/aarch64-linux-gnu",
        "/usr/local/lib",
        "/usr/lib",
        "/opt/dxc/lib",
        "/opt/homebrew/lib",
    ] {
        candidates.push(PathBuf::from(dir).join(&file));
    }
    candidates
}

fn libloading_filename() -> String {
    format!("{}dxcompiler{}", std::env::consts::DLL_PREFIX, std::env::consts::DLL_SUFFIX)
}

fn find_dxc(candidates: &[PathBuf]) -> Result<DxcLibrary, Unavailable> {
    let mut searched = Vec::new();
    for path in candidates {
        match hassle_rs::Dxc::new(Some(path.clone())) {
            Ok(_dxc) => {
                // hassle-rs exposes no version query for the compiler itself; the file's identity keeps
                // cache keys apart when the library is replaced.
                let stamp = std::fs::metadata(path)
                    .ok()
                    .and_then(|m| m.modified().ok())
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_secs());
                return Ok(DxcLibrary {
                    path: path.clone(),
                    version: format!("dxc ({}, modified {stamp})", path.display()),
                });
            }
            Err(err) => searched.push(format!("{}: {}", path.display(), first_line(&err.to_string()))),
        }
    }
    Err(Unavailable {
        backend: BackendKind::Dxc,
        reason: format!(
            "libdxcompiler was not found; set STREAMLIB_DXC_PATH to the library or its directory (looked in: {})",
            candidates.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
        ),
        searched,
    })
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or(text)
}

/// DXC's arguments for a request: SPIR-V for Vulkan 1.1, the shared binding rule, std140 cbuffers.
pub fn dxc_arguments(stage: Stage, optimization: OptLevel) -> Vec<String> {
    let mut args: Vec<String> = vec![
        "-spirv".into(),
        "-fspv-target-env=vulkan1.1".into(),
        "-fvk-use-gl-layout".into(),
        "-fvk-auto-shift-bindings".into(),
    ];
    for (class, shift) in [
        ("b", BINDING_SHIFT_CBUFFER),
        ("t", BINDING_SHIFT_TEXTURE),
        ("s", BINDING_SHIFT_SAMPLER),
        ("u", BINDING_SHIFT_UAV),
    ] {
        args.extend([format!("-fvk-{class}-shift"), shift.to_string(), "all".to_owned()]);
    }
    args.push(match optimization {
        OptLevel::None => "-O0".into(),
        OptLevel::Size | OptLevel::Performance => "-O3".into(),
    });
    if stage == Stage::Vertex {
        args.push("-fvk-invert-y".into());
    }
    args
}

pub struct Dxc {
    path: PathBuf,
    version: String,
}

struct ResolvedIncludes<'a>(&'a std::collections::BTreeMap<String, String>);

impl hassle_rs::wrapper::DxcIncludeHandler for ResolvedIncludes<'_> {
    fn load_source(&mut self, filename: String) -> Option<String> {
        let name = filename.trim_start_matches("./");
        self.0.get(name).cloned()
    }
}

impl Backend for Dxc {
    fn kind(&self) -> BackendKind {
        BackendKind::Dxc
    }

    fn version(&self) -> &str {
        &self.version
    }

    fn compile(&self, prepared: &PreparedSource) -> Result<FrontEndOutput, Vec<Diagnostic>> {
        let request = &prepared.request;
        let name = request.name.as_str();
        let internal = |what: String| vec![Diagnostic::error(name, format!("dxc: {what}"))];
        let dxc = hassle_rs::Dxc::new(Some(self.path.clone())).map_err(|e| internal(e.to_string()))?;
        let compiler = dxc.create_compiler().map_err(|e| internal(e.to_string()))?;
        let library = dxc.create_library().map_err(|e| internal(e.to_string()))?;
        let blob =
            library.create_blob_with_encoding_from_str(&prepared.full_source).map_err(|e| internal(e.to_string()))?;
        let args = dxc_arguments(request.options.stage, request.options.optimization);
        let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let defines: Vec<(&str, Option<&str>)> =
            request.options.defines.iter().map(|(k, v)| (k.as_str(), Some(v.as_str()))).collect();
        let mut handler = ResolvedIncludes(&prepared.includes);
        let map = LineMap::new(prepared);
        let result = compiler.compile(
            &blob,
            name,
            &request.options.entry,
            request.options.stage.dxc_profile(),
            &arg_refs,
            Some(&mut handler),
            &defines,
        );
        match result {
            Ok(op) => {
                let warnings = op
                    .get_error_buffer()
                    .ok()
                    .and_then(|b| library.get_blob_as_string(&b.into()).ok())
                    .map(|text| parse_dxc(&text, &map))
                    .unwrap_or_default();
                let blob = op.get_result().map_err(|e| internal(e.to_string()))?;
                let bytes: Vec<u8> = blob.to_vec();
                Ok(FrontEndOutput { spirv: words_from_bytes(&bytes).map_err(internal)?, warnings })
            }
            Err((op, _hr)) => {
                let text = op
                    .get_error_buffer()
                    .ok()
                    .and_then(|b| library.get_blob_as_string(&b.into()).ok())
                    .unwrap_or_default();
                let mut diagnostics = parse_dxc(&text, &map);
                if diagnostics.is_empty() {
                    diagnostics.push(Diagnostic::error(name, "dxc failed without a message"));
                }
                Err(diagnostics)
            }
        }
    }
}

fn words_from_bytes(bytes: &[u8]) -> Result<Vec<u32>, String> {
    if !bytes.len().is_multiple_of(4) {
        return Err(format!("SPIR-V of {} bytes is not a whole number of words", bytes.len()));
    }
    Ok(bytes.chunks_exact(4).map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]])).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dxc_missing_lists_every_place_it_looked() {
        let candidates =
            vec![PathBuf::from("/nonexistent/libdxcompiler.so"), PathBuf::from("/also/missing/libdxcompiler.so")];
        let err = find_dxc(&candidates).err().expect("no DXC at made-up paths");
        assert_eq!(err.backend, BackendKind::Dxc);
        assert!(
            err.reason.contains("/nonexistent/libdxcompiler.so") && err.reason.contains("/also/missing"),
            "{}",
            err.reason
        );
        assert_eq!(err.searched.len(), 2);
        assert!(err.reason.contains("STREAMLIB_DXC_PATH"));
    }

    #[test]
    fn dxc_path_env_is_searched_first() {
        let file = libloading_filename();
        let system = [
            "/usr/lib/x86_64-linux-gnu",
            "/usr/lib/aarch64-linux-gnu",
            "/usr/local/lib",
            "/usr/lib",
            "/opt/dxc/lib",
            "/opt/homebrew/lib",
        ]
        .map(|dir| PathBuf::from(dir).join(&file));
        // A configured file is taken as it is, then the loader's own search, then the SDK, then system dirs.
        let mut expected =
            vec![PathBuf::from("/custom/dxc.so"), PathBuf::from(&file), PathBuf::from("/sdk/lib").join(&file)];
        expected.extend(system.iter().cloned());
        assert_eq!(candidates_in_order(Some("/custom/dxc.so".into()), Some("/sdk".into())), expected);
        // A configured directory names the library inside it; without the env vars only the defaults remain.
        let dir = tempfile::tempdir().unwrap();
        let found = candidates_in_order(Some(dir.path().into()), None);
        assert_eq!(found[..2], [dir.path().join(&file), PathBuf::from(&file)]);
        assert_eq!(found[2..], system);
        let mut defaults = vec![PathBuf::from(&file)];
        defaults.extend(system.iter().cloned());
        assert_eq!(candidates_in_order(None, None), defaults);
    }

    #[test]
    fn dxc_arguments_follow_the_binding_rule() {
        let args = dxc_arguments(Stage::Pixel, OptLevel::Performance).join(" ");
        assert!(
            args.contains("-fvk-t-shift 16 all")
                && args.contains("-fvk-s-shift 32 all")
                && args.contains("-fvk-u-shift 48 all")
                && args.contains("-fvk-b-shift 0 all"),
            "{args}"
        );
        assert!(args.contains("-fvk-use-gl-layout"), "cbuffer layout must match glslang's std140");
    }

    #[test]
    fn explicit_dxc_without_library_is_unavailable() {
        if dxc_library().is_ok() {
            eprintln!("skipped: libdxcompiler is present here, so the missing-library path cannot be exercised");
            return;
        }
        let err = resolve_backend(Some(BackendKind::Dxc)).unwrap_err();
        assert!(err.reason.contains("libdxcompiler"));
        assert_eq!(resolve_backend(None).unwrap().0, BackendKind::Glslang);
    }

    #[test]
    fn vk_image_format_becomes_spv_format() {
        assert_eq!(
            normalise_attributes("[[vk::image_format(\"rgba8\")]] RWTexture2D<float4> o;"),
            "[[spv::format_rgba8]] RWTexture2D<float4> o;"
        );
        assert_eq!(normalise_attributes("[[vk::image_format(\"a b\")]]"), "[[vk::image_format(\"a b\")]]");
    }
}
