//! WGSL for WebGPU pages, translated by naga from the same SPIR-V the runtime runs: the compute form only
//! (WebGL2 takes the pixel form as GLSL ES, `cross::to_glsl_es`). Bindings keep the SPIR-V's set and binding,
//! so the page binds by the reflection alone.

use naga::front::spv;
use naga::valid::{Capabilities, ValidationFlags, Validator};

use super::types::Stage;

pub fn to_wgsl(spirv: &[u32], stage: Stage) -> Result<String, String> {
    if stage != Stage::Compute {
        return Err("WGSL is only made for compute shaders: pixel effects reach the page as GLSL ES".to_owned());
    }
    let bytes: Vec<u8> = spirv.iter().flat_map(|word| word.to_le_bytes()).collect();
    let options =
        spv::Options { adjust_coordinate_space: false, strict_capabilities: false, block_ctx_dump_prefix: None };
    let module = spv::parse_u8_slice(&bytes, &options).map_err(|e| format!("naga cannot read the SPIR-V: {e}"))?;
    if !module.entry_points.iter().any(|e| e.stage == naga::ShaderStage::Compute) {
        return Err("naga cannot read the SPIR-V: it found no compute entry point".to_owned());
    }
    // What WebGPU offers every page, so WGSL that validates here is WGSL a browser accepts.
    let info = Validator::new(ValidationFlags::all(), Capabilities::empty())
        .validate(&module)
        .map_err(|e| format!("the shader does not fit WebGPU: {}", e.into_inner()))?;
    let wgsl = naga::back::wgsl::write_string(&module, &info, naga::back::wgsl::WriterFlags::empty())
        .map_err(|e| format!("naga cannot write WGSL: {e}"))?;
    // WGSL has no explicit strides: a cbuffer array of scalars (16 bytes apart in HLSL) comes out 4 apart, which
    // a browser refuses or, worse, reads from the wrong bytes. Such a shader stays in the kernel.
    let again = naga::front::wgsl::parse_str(&wgsl).map_err(|e| format!("naga's WGSL does not parse again: {e}"))?;
    if uniform_layouts(&again) != uniform_layouts(&module) {
        return Err("WGSL cannot lay out a cbuffer of this shader as HLSL does (an array of scalars or vectors \
                    under 16 bytes: WebGPU needs 16-byte array strides in uniforms)"
            .to_owned());
    }
    Ok(wgsl)
}

/// A uniform block's group and binding, and its members' (offset, array stride).
type UniformLayout = ((u32, u32), Vec<(u32, u32)>);

/// Each uniform block's layout, by group and binding.
fn uniform_layouts(module: &naga::Module) -> Vec<UniformLayout> {
    let stride = |ty: naga::Handle<naga::Type>| match module.types[ty].inner {
        naga::TypeInner::Array { stride, .. } => stride,
        _ => 0,
    };
    let mut layouts: Vec<_> = module
        .global_variables
        .iter()
        .filter(|(_, var)| var.space == naga::AddressSpace::Uniform)
        .filter_map(|(_, var)| {
            let binding = var.binding.as_ref()?;
            let members = match &module.types[var.ty].inner {
                naga::TypeInner::Struct { members, .. } => members.iter().map(|m| (m.offset, stride(m.ty))).collect(),
                _ => Vec::new(),
            };
            Some(((binding.group, binding.binding), members))
        })
        .collect();
    layouts.sort();
    layouts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shader::spirv_patch::{
        mark_write_only_storage_images, retarget_storage_images, strip_source_debug_info, IMAGE_FORMAT_RGBA32F,
        IMAGE_FORMAT_RGBA8,
    };
    use crate::shader::test_support::{spirv_for, COMPUTE_EXAMPLE, PIXEL_EXAMPLE};

    /// As the compile pipeline hands it on: without the source's line markers (naga does not read them), the
    /// output image rgba8 and write-only.
    fn compute_spirv() -> Vec<u32> {
        let mut spirv = strip_source_debug_info(&spirv_for(COMPUTE_EXAMPLE, Stage::Compute)).unwrap();
        retarget_storage_images(&mut spirv, IMAGE_FORMAT_RGBA32F, IMAGE_FORMAT_RGBA8).unwrap();
        mark_write_only_storage_images(&spirv).unwrap()
    }

    #[test]
    fn wgsl_for_compute_keeps_the_bindings_and_parses_again() {
        let spirv = compute_spirv();
        let wgsl = to_wgsl(&spirv, Stage::Compute).unwrap();
        assert!(wgsl.contains("@compute @workgroup_size(8, 8, 1)"), "{wgsl}");
        assert!(wgsl.contains("texture_storage_2d<rgba8unorm,write>"), "{wgsl}");
        assert!(wgsl.contains("@group(0) @binding(16)") && wgsl.contains("@group(0) @binding(48)"), "{wgsl}");
        let again = naga::front::wgsl::parse_str(&wgsl).unwrap();
        Validator::new(ValidationFlags::all(), Capabilities::empty()).validate(&again).unwrap();
    }

    #[test]
    fn wgsl_refuses_a_cbuffer_array_it_cannot_lay_out() {
        let source = "Texture2D<float4> input; RWTexture2D<float4> output; cbuffer P { float g[3]; float b; };\n\
                      [numthreads(8, 8, 1)] void main(uint3 id : SV_DispatchThreadID) \
                      { output[id.xy] = input[id.xy] * g[id.x % 3] + b; }\n";
        let mut spirv = strip_source_debug_info(&spirv_for(source, Stage::Compute)).unwrap();
        retarget_storage_images(&mut spirv, IMAGE_FORMAT_RGBA32F, IMAGE_FORMAT_RGBA8).unwrap();
        let spirv = mark_write_only_storage_images(&spirv).unwrap();
        assert!(to_wgsl(&spirv, Stage::Compute).unwrap_err().contains("16-byte array strides"));
    }

    #[test]
    fn wgsl_refuses_the_pixel_form_and_garbage() {
        let spirv = spirv_for(PIXEL_EXAMPLE, Stage::Pixel);
        assert!(to_wgsl(&spirv, Stage::Pixel).unwrap_err().contains("only made for compute shaders"));
        let spirv = compute_spirv();
        assert!(to_wgsl(&spirv[..spirv.len() / 2], Stage::Compute).unwrap_err().starts_with("naga cannot read"));
    }
}
