//! One compile, start to finish, in the calling process: front end → SPIR-V fix-ups → reflection →
//! MSL / GLSL ES. The supervised worker runs exactly this; nothing else calls a front end.

use std::time::Instant;

use super::cache::sha256_hex;
use super::compile::backend_for;
use super::cross::{to_glsl_es, to_msl};
use super::loop_guard::{bound_loops, LOOP_ITERATION_LIMIT};
use super::preprocess::PreparedSource;
use super::reflect::reflect;
use super::spirv_patch::{
    mark_write_only_storage_images, retarget_storage_images, source_chooses_storage_format, strip_source_debug_info,
    IMAGE_FORMAT_RGBA32F, IMAGE_FORMAT_RGBA8,
};
use super::types::{BackendKind, CompiledShader, Diagnostic, Stage};

/// Compiles a prepared source with `backend`.
pub fn compile_prepared(prepared: &PreparedSource, backend: BackendKind) -> Result<CompiledShader, Vec<Diagnostic>> {
    let started = Instant::now();
    let request = &prepared.request;
    let name = request.name.as_str();
    let backend = backend_for(backend).map_err(|e| vec![Diagnostic::error(name, e.to_string())])?;
    let mut output = backend.compile(prepared)?;
    let stage_error = |what: &str, why: String| vec![Diagnostic::error(name, format!("{what}: {why}"))];

    output.spirv = strip_source_debug_info(&output.spirv).map_err(|e| stage_error("SPIR-V fix-up failed", e))?;
    if !source_chooses_storage_format(&prepared.full_source) {
        retarget_storage_images(&mut output.spirv, IMAGE_FORMAT_RGBA32F, IMAGE_FORMAT_RGBA8)
            .map_err(|e| stage_error("SPIR-V fix-up failed", e))?;
    }
    super::std140::relayout_uniform_blocks(&mut output.spirv).map_err(|e| stage_error("SPIR-V fix-up failed", e))?;
    output.spirv = mark_write_only_storage_images(&output.spirv).map_err(|e| stage_error("SPIR-V fix-up failed", e))?;
    // Bounded here, before the MSL and GLSL ES translations, so every artifact of the shader is bounded too.
    (output.spirv, _) =
        bound_loops(&output.spirv, LOOP_ITERATION_LIMIT).map_err(|e| stage_error("SPIR-V fix-up failed", e))?;
    // Annotations come from the user's text; a GLSL effect's parameters are seen as the cbuffer they became.
    let annotated = prepared.annotation_source.as_deref().unwrap_or(&request.source);
    let (reflection, parameters) =
        reflect(&output.spirv, request.options.stage, annotated).map_err(|e| stage_error("reflection failed", e))?;
    let msl = to_msl(&output.spirv).map_err(|e| stage_error("MSL translation failed", e))?;
    let glsl_es = match request.options.stage {
        Stage::Pixel => {
            Some(to_glsl_es(&output.spirv, &reflection).map_err(|e| stage_error("GLSL ES translation failed", e))?)
        }
        Stage::Vertex | Stage::Compute => None,
    };
    Ok(CompiledShader {
        name: name.to_owned(),
        source: request.source.clone(),
        defines: request.options.defines.clone(),
        language: request.options.language,
        stage: request.options.stage,
        entry: request.options.entry.clone(),
        backend: backend.kind(),
        backend_version: backend.version().to_owned(),
        spirv: output.spirv,
        msl,
        glsl_es,
        reflection,
        parameters,
        source_hash: sha256_hex(request.source.as_bytes()),
        uses_prelude: prepared.prelude_lines > 0,
        warnings: output.warnings,
        compile_ms: started.elapsed().as_secs_f64() * 1e3,
        cached: false,
    })
}
