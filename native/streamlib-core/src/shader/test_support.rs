//! Helpers the shader modules' tests share: SPIR-V compiled from HLSL or GLSL the way production does it,
//! and the DESIGN example effects.

use crate::shader::prelude::prelude_for;
use crate::shader::types::{PreludeMode, Stage};

/// Compiles HLSL to SPIR-V with glslang the way production does, prelude included; panics with the log.
pub(crate) fn spirv_for(source: &str, stage: Stage) -> Vec<u32> {
    spirv_with(source, stage, shaderc::OptimizationLevel::Performance)
}

pub(crate) fn spirv_with(source: &str, stage: Stage, level: shaderc::OptimizationLevel) -> Vec<u32> {
    let compiler = shaderc::Compiler::new().expect("shaderc compiler");
    let mut options = shaderc::CompileOptions::new().expect("shaderc options");
    options.set_source_language(shaderc::SourceLanguage::HLSL);
    options.set_target_env(shaderc::TargetEnv::Vulkan, shaderc::EnvVersion::Vulkan1_1 as u32);
    options.set_hlsl_io_mapping(true);
    options.set_auto_bind_uniforms(true);
    options.set_hlsl_offsets(true);
    options.set_auto_map_locations(true);
    options.set_optimization_level(level);
    // shaderc strips OpName at -O unless debug info is on, and reflection needs the names.
    options.set_generate_debug_info();
    options.set_binding_base(shaderc::ResourceKind::Buffer, 0);
    options.set_binding_base(shaderc::ResourceKind::Texture, 16);
    options.set_binding_base(shaderc::ResourceKind::Sampler, 32);
    options.set_binding_base(shaderc::ResourceKind::Image, 48);
    options.set_binding_base(shaderc::ResourceKind::StorageBuffer, 48);
    options.set_binding_base(shaderc::ResourceKind::UnorderedAccessView, 48);
    let kind = match stage {
        Stage::Pixel => shaderc::ShaderKind::Fragment,
        Stage::Vertex => shaderc::ShaderKind::Vertex,
        Stage::Compute => shaderc::ShaderKind::Compute,
    };
    let text = format!("{}{source}", prelude_for(source, stage, PreludeMode::Auto).text);
    match compiler.compile_into_spirv(&text, kind, "test.hlsl", "main", Some(&options)) {
        Ok(artifact) => artifact.as_binary().to_vec(),
        Err(e) => panic!("glslang rejected the test shader: {e}\n{text}"),
    }
}

/// Fragment GLSL with combined image samplers (what D3D9-style `sampler2D` becomes).
pub(crate) const COMBINED_GLSL: &str = "#version 450\nlayout(set = 0, binding = 16) uniform sampler2D image;\nlayout(set = 0, binding = 17) uniform sampler2DArray layers;\nlayout(location = 0) in vec2 uv;\nlayout(location = 0) out vec4 color;\nvoid main() { color = texture(image, uv) + texture(layers, vec3(uv, 1.0)); }\n";

pub(crate) fn spirv_from_glsl(source: &str) -> Vec<u32> {
    let compiler = shaderc::Compiler::new().expect("shaderc compiler");
    let mut options = shaderc::CompileOptions::new().expect("shaderc options");
    options.set_target_env(shaderc::TargetEnv::Vulkan, shaderc::EnvVersion::Vulkan1_1 as u32);
    match compiler.compile_into_spirv(source, shaderc::ShaderKind::Fragment, "test.frag", "main", Some(&options)) {
        Ok(artifact) => artifact.as_binary().to_vec(),
        Err(e) => panic!("glslang rejected the test shader: {e}\n{source}"),
    }
}

/// The DESIGN example effect: one slider and one colour.
pub(crate) const PIXEL_EXAMPLE: &str = "cbuffer Params { float strength; /* @range(0, 1) @default(0.5) */ float3 tint; /* @color @default(1,0,0) */ };\nfloat4 main(float2 uv : TEXCOORD) : SV_Target { float4 c = tex2D(input, uv); return lerp(c, c * float4(tint, 1), strength); }\n";

pub(crate) const COMPUTE_EXAMPLE: &str = "Texture2D<float4> input; RWTexture2D<float4> output;\n[numthreads(8, 8, 1)] void main(uint3 id : SV_DispatchThreadID) { output[id.xy] = input[id.xy].bgra; }\n";

/// Checks the text with glslangValidator's ESSL front end; says so, rather than passing quietly, when the
/// tool is not installed.
pub(crate) fn assert_valid_essl(glsl: &str) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("cross.frag");
    std::fs::write(&path, glsl).expect("write the GLSL ES");
    match std::process::Command::new("glslangValidator").arg(&path).output() {
        Ok(out) => assert!(out.status.success(), "{}\n{glsl}", String::from_utf8_lossy(&out.stdout)),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("skipped ESSL validation: glslangValidator not installed (Debian: glslang-tools)");
        }
        Err(err) => panic!("cannot run glslangValidator: {err}"),
    }
}
