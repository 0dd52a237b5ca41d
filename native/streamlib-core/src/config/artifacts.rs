//! Shaders between a config and a runtime: export stores the artifacts each target asks for, load uses the
//! stored SPIR-V when it was built from the very source in the config and recompiles otherwise.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;

use super::model::{GraphConfig, ShaderConfig, Target, ARTIFACT_GLSL_ES, ARTIFACT_MSL, ARTIFACT_SPIRV};
use super::ConfigError;
use crate::shader::cache::sha256_hex;
use crate::shader::cross::{to_glsl_es, to_msl};
use crate::shader::prelude::prelude_for;
use crate::shader::reflect::reflect;
use crate::shader::shadertoy;
use crate::shader::{
    CompileError, CompileOptions, CompileRequest, CompiledShader, Compiler, Language, PreludeMode, Stage,
};

const SPIRV_MAGIC: u32 = 0x0723_0203;

impl ShaderConfig {
    /// A shader as an export writes it: its source, the source's hash, and the artifacts `targets` ask for.
    pub fn export(shader: &CompiledShader, targets: &[Target]) -> ShaderConfig {
        let sha256 = sha256_hex(shader.source.as_bytes());
        let mut artifacts = BTreeMap::new();
        for target in targets {
            let text = match target {
                Target::Vulkan => {
                    Some(BASE64.encode(shader.spirv.iter().flat_map(|w| w.to_le_bytes()).collect::<Vec<u8>>()))
                }
                Target::Metal => Some(shader.msl.clone()),
                Target::WebGl => shader.glsl_es.clone(),
            };
            artifacts.insert(target.artifact().to_owned(), text);
        }
        // A shader compiled from another text than `source` (none today) must not vouch for its artifacts.
        let artifact_source_sha256 = (!artifacts.is_empty() && shader.source_hash == sha256).then(|| sha256.clone());
        ShaderConfig {
            name: shader.name.clone(),
            language: shader.language,
            stage: shader.stage,
            entry: shader.entry.clone(),
            backend: shader.backend,
            source: shader.source.clone(),
            defines: shader.defines.iter().cloned().collect(),
            sha256,
            artifacts,
            artifact_source_sha256,
        }
    }
}

pub(super) fn decode_spirv(text: &str) -> Result<Vec<u32>, String> {
    let bytes = BASE64.decode(text).map_err(|e| format!("SPIR-V artifact is not valid base64 ({e})"))?;
    if bytes.len() % 4 != 0 || bytes.len() < 20 {
        return Err(format!("SPIR-V artifact is {} bytes, not a whole SPIR-V module", bytes.len()));
    }
    let words: Vec<u32> = bytes.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
    if words.first() != Some(&SPIRV_MAGIC) {
        return Err(
            "SPIR-V artifact does not start with the SPIR-V magic number (little-endian words expected)".to_owned()
        );
    }
    Ok(words)
}

/// How a shader reached this runtime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadReport {
    pub shader: String,
    /// "artifact" (the precompiled SPIR-V was used) or "recompiled" (compiled here from the source).
    pub used: &'static str,
    pub why: String,
}

/// Compiled shaders by config key.
pub type LoadedShaders = BTreeMap<String, Arc<CompiledShader>>;

pub const USED_ARTIFACT: &str = "artifact";
pub const USED_RECOMPILED: &str = "recompiled";

/// Every shader of the config, compiled: from its SPIR-V artifact when that was built from this very source,
/// else recompiled from the source with `compiler`. Shaders are keyed as in the config.
pub fn load_shaders(
    compiler: &Compiler,
    config: &GraphConfig,
) -> Result<(LoadedShaders, Vec<LoadReport>), ConfigError> {
    let mut shaders = BTreeMap::new();
    let mut report = Vec::new();
    for (key, shader) in &config.shaders {
        let (compiled, used, why) = match from_artifacts(shader) {
            Ok(compiled) => (
                compiled,
                USED_ARTIFACT,
                format!("the {ARTIFACT_SPIRV} artifact was compiled from this source (artifact_source_sha256 matches)"),
            ),
            Err(reason) => {
                let (compiled, note) = recompile(compiler, key, shader)?;
                (compiled, USED_RECOMPILED, format!("{reason}{note}"))
            }
        };
        report.push(LoadReport { shader: key.clone(), used, why });
        shaders.insert(key.clone(), Arc::new(compiled));
    }
    Ok((shaders, report))
}

/// The shader from its artifacts, or why they cannot be used. SPIRV-Cross reflects the SPIR-V in this
/// process (it is not a front end: the crash-prone HLSL compilers never see an artifact).
fn from_artifacts(shader: &ShaderConfig) -> Result<CompiledShader, String> {
    let started = Instant::now();
    match &shader.artifact_source_sha256 {
        Some(hash) if *hash == shader.sha256 => {}
        Some(_) => {
            return Err("artifact_source_sha256 differs from the source's sha256: the artifacts are stale".to_owned())
        }
        None => return Err("the config has no artifacts (artifact_source_sha256 is null)".to_owned()),
    }
    let Some(Some(text)) = shader.artifacts.get(ARTIFACT_SPIRV) else {
        return Err(format!("no {ARTIFACT_SPIRV} artifact (export with the \"vulkan\" target to include it)"));
    };
    let spirv = decode_spirv(text)?;
    let annotated = match shader.language {
        Language::Hlsl => shader.source.clone(),
        Language::Glsl => shadertoy::prepare(&shader.name, &shader.source)
            .map(|prepared| prepared.annotation_view)
            .map_err(|_| "the GLSL source does not prepare here".to_owned())?,
    };
    let (reflection, parameters) = reflect(&spirv, shader.stage, &annotated)
        .map_err(|e| format!("the {ARTIFACT_SPIRV} artifact cannot be reflected ({e})"))?;
    let msl = match shader.artifacts.get(ARTIFACT_MSL) {
        Some(Some(msl)) => msl.clone(),
        _ => to_msl(&spirv).map_err(|e| format!("MSL translation of the artifact failed ({e})"))?,
    };
    let glsl_es = match (shader.artifacts.get(ARTIFACT_GLSL_ES), shader.stage) {
        (Some(glsl), _) => glsl.clone(),
        (None, Stage::Pixel) => Some(
            to_glsl_es(&spirv, &reflection).map_err(|e| format!("GLSL ES translation of the artifact failed ({e})"))?,
        ),
        (None, Stage::Vertex | Stage::Compute) => None,
    };
    Ok(CompiledShader {
        name: shader.name.clone(),
        source: shader.source.clone(),
        defines: shader.defines.clone().into_iter().collect(),
        language: shader.language,
        stage: shader.stage,
        entry: shader.entry.clone(),
        backend: shader.backend,
        backend_version: "precompiled artifact".to_owned(),
        spirv,
        msl,
        glsl_es,
        reflection,
        parameters,
        source_hash: shader.sha256.clone(),
        uses_prelude: shader.language == Language::Glsl
            || !prelude_for(&shader.source, shader.stage, PreludeMode::Auto).is_empty(),
        warnings: Vec::new(),
        compile_ms: started.elapsed().as_secs_f64() * 1e3,
        cached: false,
    })
}

/// Compiles the source with the backend the config names, or with the default one when that backend is not
/// installed here (a config exported where DXC was available still runs where only glslang is).
fn recompile(compiler: &Compiler, key: &str, shader: &ShaderConfig) -> Result<(CompiledShader, String), ConfigError> {
    let request = |backend| CompileRequest {
        name: shader.name.clone(),
        source: shader.source.clone(),
        options: CompileOptions {
            stage: shader.stage,
            entry: shader.entry.clone(),
            backend,
            language: shader.language,
            defines: shader.defines.clone().into_iter().collect(),
            ..CompileOptions::default()
        },
    };
    let failed = |err: CompileError| {
        ConfigError::new(format!("shaders.{key}.source"), format!("shader '{key}' does not compile here: {err}"))
    };
    match compiler.compile(&request(Some(shader.backend))) {
        Ok(compiled) => Ok((compiled, String::new())),
        Err(CompileError::Unavailable(missing)) => {
            let compiled = compiler.compile(&request(None)).map_err(failed)?;
            let note = format!(
                "; compiled with {} because {} is not available here ({missing})",
                compiled.backend, shader.backend
            );
            Ok((compiled, note))
        }
        Err(err) => Err(failed(err)),
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::config::fixtures::{parse, sample, SOURCE};
    use crate::shader::BackendKind;

    /// A one-shader config exported with `targets`, compiled in this process (the shader is trivial, and unit
    /// tests have no worker binary to run).
    fn exported(compiler: &Compiler, targets: &[Target]) -> GraphConfig {
        let request = CompileRequest {
            name: "copy.hlsl".into(),
            source: SOURCE.into(),
            options: CompileOptions { backend: Some(BackendKind::Glslang), ..CompileOptions::default() },
        };
        let compiled = compiler.compile(&request).unwrap();
        let mut config = parse(&sample()).unwrap();
        config.shaders.insert("copy".to_owned(), ShaderConfig::export(&compiled, targets));
        config
    }

    fn in_process() -> Compiler {
        Compiler::new(crate::shader::CompilerConfig {
            isolation: crate::shader::Isolation::InProcess,
            ..crate::shader::CompilerConfig::with_worker(crate::shader::WorkerCommand {
                program: PathBuf::new(),
                args: Vec::new(),
            })
        })
    }

    #[test]
    fn matching_artifacts_are_used_and_equal_a_fresh_compile() {
        let compiler = in_process();
        let config = exported(&compiler, &Target::ALL);
        let text = config.to_json().unwrap();
        let loaded = GraphConfig::parse(&text).unwrap();
        assert_eq!(loaded.to_json().unwrap(), text);
        let (shaders, report) = load_shaders(&compiler, &loaded).unwrap();
        assert_eq!(report[0].used, USED_ARTIFACT, "{report:?}");
        let compiles = compiler.stats().compiles;
        let mut stale = loaded.clone();
        if let Some(shader) = stale.shaders.get_mut("copy") {
            shader.artifact_source_sha256 = Some("0".repeat(64));
        }
        let (recompiled, report) = load_shaders(&compiler, &stale).unwrap();
        assert_eq!(report[0].used, USED_RECOMPILED);
        assert!(report[0].why.contains("stale"), "{}", report[0].why);
        // From the cache here, but it went through the compiler rather than the artifact.
        assert_eq!(compiler.stats().compiles, compiles);
        let (a, b) = (&shaders["copy"], &recompiled["copy"]);
        assert_eq!(
            (&a.spirv, &a.msl, &a.glsl_es, &a.reflection, &a.parameters, &a.source_hash, a.uses_prelude),
            (&b.spirv, &b.msl, &b.glsl_es, &b.reflection, &b.parameters, &b.source_hash, b.uses_prelude)
        );
    }

    #[test]
    fn missing_targets_are_cross_compiled_from_the_spirv() {
        let compiler = in_process();
        let full = exported(&compiler, &Target::ALL);
        let vulkan_only = exported(&compiler, &[Target::Vulkan]);
        assert_eq!(vulkan_only.shaders["copy"].artifacts.keys().collect::<Vec<_>>(), ["spirv"]);
        let (a, _) = load_shaders(&compiler, &full).unwrap();
        let (b, report) = load_shaders(&compiler, &vulkan_only).unwrap();
        assert_eq!(report[0].used, USED_ARTIFACT);
        assert_eq!((&a["copy"].msl, &a["copy"].glsl_es), (&b["copy"].msl, &b["copy"].glsl_es));
        let none = exported(&compiler, &[]);
        assert_eq!(none.shaders["copy"].artifact_source_sha256, None);
        assert_eq!(load_shaders(&compiler, &none).unwrap().1[0].used, USED_RECOMPILED);
    }

    #[test]
    fn stale_or_missing_artifacts_say_why_they_are_not_used() {
        let config = parse(&sample()).unwrap();
        let shader = &config.shaders["copy"];
        assert_eq!(from_artifacts(shader).unwrap_err(), "the config has no artifacts (artifact_source_sha256 is null)");
        let mut stale = shader.clone();
        stale.artifact_source_sha256 = Some("0".repeat(64));
        assert!(from_artifacts(&stale).unwrap_err().contains("stale"));
        let mut no_spirv = shader.clone();
        no_spirv.artifact_source_sha256 = Some(shader.sha256.clone());
        assert!(from_artifacts(&no_spirv).unwrap_err().starts_with("no spirv artifact"));
    }
}
