//! Cross-compilation of the same SPIR-V to MSL (Apple) and GLSL ES 3.00 (WebGL2) through SPIRV-Cross.

use std::collections::HashMap;

use spirv_cross2::compile::glsl::GlslVersion;
use spirv_cross2::compile::msl::MslVersion;
use spirv_cross2::compile::CompilableTarget;
use spirv_cross2::{spirv, targets, Compiler, Module};

use super::reflect::{block_name, cross_error, literal, select_entry_point, Reflection};
use super::types::Stage;

pub fn to_msl(spirv: &[u32]) -> Result<String, String> {
    let compiler = Compiler::<targets::Msl>::new(Module::from_words(spirv)).map_err(cross_error)?;
    let mut options = targets::Msl::options();
    // 2.0 is the floor for the iOS/macOS versions the runtime supports, and what compute needs for e.g. `access::read_write`.
    options.version = MslVersion::from((2, 0));
    let artifact = compiler.compile(&options).map_err(cross_error)?;
    Ok(artifact.to_string())
}

/// GLSL ES 3.00 for the WebGL2 preview, shaped so the page can drive it from the reflection alone:
/// cbuffers become struct uniforms named after the cbuffer (`Params.strength`), fragment inputs are
/// `v_loc{location}` (the runtime's vertex shader writes those), and the texture at binding B is the sampler
/// `sl_t{B}` (`sl_t{B}_s{S}` when it is read through several samplers). Binding numbers, unlike the user's names,
/// never collide with GLSL's reserved words, which SPIRV-Cross would otherwise rename behind the page's back.
pub fn to_glsl_es(spirv: &[u32], reflection: &Reflection) -> Result<String, String> {
    match reflection.stage {
        Stage::Pixel => {}
        Stage::Compute => {
            return Err("GLSL ES 3.00 has no compute shaders: WebGL2 previews need the pixel form".to_owned())
        }
        Stage::Vertex => {
            return Err("GLSL ES output is only made for pixel shaders: WebGL2 previews bring their own vertex shader"
                .to_owned())
        }
    }
    let mut compiler = Compiler::<targets::Glsl>::new(Module::from_words(spirv)).map_err(cross_error)?;
    select_entry_point(&mut compiler, Stage::Pixel)?;
    let resources = compiler.shader_resources().map_err(cross_error)?.all_resources().map_err(cross_error)?;

    // Plain uniforms would otherwise be named after SPIR-V ids (`_40`), which changes with the shader.
    let by_binding: HashMap<(u32, u32), &str> =
        reflection.uniform_buffers.iter().map(|ub| ((ub.set, ub.binding), ub.name.as_str())).collect();
    for ub in &resources.uniform_buffers {
        let set = literal(&compiler, ub.id, spirv::Decoration::DescriptorSet)?.unwrap_or(0);
        let binding = literal(&compiler, ub.id, spirv::Decoration::Binding)?.unwrap_or(0);
        let name = match by_binding.get(&(set, binding)) {
            Some(name) => (*name).to_owned(),
            None => block_name(&compiler, ub.id, ub.base_type_id, ub.name.as_ref())?,
        };
        // The struct type keeps the cbuffer's name too, and SPIRV-Cross would resolve the clash by renaming the
        // variable (`Params_1`); move the type out of the way instead.
        compiler.set_name(ub.base_type_id, format!("{name}_t").as_str()).map_err(cross_error)?;
        compiler.set_name(ub.id, name.as_str()).map_err(cross_error)?;
    }

    for input in &resources.stage_inputs {
        let Some(location) = literal(&compiler, input.id, spirv::Decoration::Location)? else {
            return Err(format!(
                "fragment input '{}' has no location for the WebGL vertex shader to match",
                input.name
            ));
        };
        compiler.set_name(input.id, format!("v_loc{location}").as_str()).map_err(cross_error)?;
    }

    // ESSL has no separate textures and samplers; the page binds each texture unit by the texture's binding.
    for image in &resources.sampled_images {
        let binding = literal(&compiler, image.id, spirv::Decoration::Binding)?.unwrap_or(0);
        compiler.set_name(image.id, es_sampler_name(binding, None).as_str()).map_err(cross_error)?;
    }
    let proof = compiler.create_dummy_sampler_for_combined_images().map_err(cross_error)?;
    // `Load` reads go through this sampler, which the user never declared.
    let dummy = proof.sampler_id.map(|id| id.id());
    compiler.build_combined_image_samplers(proof).map_err(cross_error)?;
    let mut pairs = Vec::new();
    for combined in compiler.combined_image_samplers().map_err(cross_error)? {
        let image = literal(&compiler, combined.image_id, spirv::Decoration::Binding)?.unwrap_or(0);
        let sampler = if Some(combined.sampler_id.id()) == dummy {
            None
        } else {
            literal(&compiler, combined.sampler_id, spirv::Decoration::Binding)?
        };
        pairs.push((combined.combined_id, image, sampler));
    }
    for (combined_id, image, sampler) in &pairs {
        let shared = pairs.iter().filter(|(_, other, _)| other == image).count() > 1;
        let name = es_sampler_name(*image, if shared { *sampler } else { None });
        compiler.set_name(*combined_id, name.as_str()).map_err(cross_error)?;
    }

    let mut options = targets::Glsl::options();
    options.version = GlslVersion::Glsl300Es;
    options.es_default_float_precision_highp = true;
    options.es_default_int_precision_highp = true;
    options.emit_uniform_buffer_as_plain_uniforms = true;
    let artifact = compiler.compile(&options).map_err(cross_error)?;
    Ok(artifact.to_string())
}

/// The GLSL ES sampler uniform of the texture at `binding` (read through the sampler at `sampler`, where a
/// texture has several).
pub fn es_sampler_name(binding: u32, sampler: Option<u32>) -> String {
    match sampler {
        Some(sampler) => format!("sl_t{binding}_s{sampler}"),
        None => format!("sl_t{binding}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shader::reflect::reflect;
    use crate::shader::test_support::{assert_valid_essl, spirv_for, COMPUTE_EXAMPLE, PIXEL_EXAMPLE};

    fn glsl_for(source: &str) -> String {
        let spirv = spirv_for(source, Stage::Pixel);
        let (reflection, _) = reflect(&spirv, Stage::Pixel, source).unwrap();
        to_glsl_es(&spirv, &reflection).unwrap()
    }

    #[test]
    fn msl_for_pixel_and_compute() {
        let spirv = spirv_for(PIXEL_EXAMPLE, Stage::Pixel);
        let msl = to_msl(&spirv).unwrap();
        assert!(msl.contains("#include <metal_stdlib>"), "{msl}");
        assert!(msl.contains("fragment main0_out main0("), "{msl}");
        // HLSL packing survives: tint sits at offset 4, so it must be packed.
        assert!(msl.contains("struct Params\n{\n    float strength;\n    packed_float3 tint;\n};"), "{msl}");
        assert!(msl.contains("texture2d<float> _input [[texture(0)]]"), "{msl}");

        let spirv = spirv_for(COMPUTE_EXAMPLE, Stage::Compute);
        let msl = to_msl(&spirv).unwrap();
        assert!(msl.contains("kernel void main0("), "{msl}");
        assert!(msl.contains("texture2d<float, access::write> _output"), "{msl}");
        assert!(msl.contains("[[thread_position_in_grid]]"), "{msl}");
    }

    #[test]
    fn glsl_es_for_the_pixel_example() {
        let src = PIXEL_EXAMPLE.replace("strength); }", "strength) * time; }");
        let glsl = glsl_for(&src);
        assert!(glsl.starts_with("#version 300 es\nprecision highp float;\nprecision highp int;\n"), "{glsl}");
        // Plain struct uniforms named after the cbuffer, so WebGL sets `Params.strength` / `Params.tint`.
        assert!(
            glsl.contains("struct Params_t\n{\n    float strength;\n    vec3 tint;\n};\n\nuniform Params_t Params;"),
            "{glsl}"
        );
        assert!(glsl.contains("uniform streamlib_frame_t streamlib_frame;"), "{glsl}");
        assert!(glsl.contains("Params.strength") && glsl.contains("Params.tint"), "{glsl}");
        assert!(glsl.contains("streamlib_frame.time"), "{glsl}");
        assert!(!glsl.contains("uniform Params_t Params_1") && !glsl.contains("layout(std140"), "{glsl}");
        assert!(glsl.contains("\nin vec2 v_loc0;\n"), "{glsl}");
        // `input` (t0, binding 16) is reserved in ESSL; the binding names its sampler instead.
        assert!(glsl.contains("uniform highp sampler2D sl_t16;"), "{glsl}");
        assert!(glsl.contains("texture(sl_t16, v_loc0)"), "{glsl}");
        assert!(!glsl.contains("input_sampler"), "{glsl}");
        assert_valid_essl(&glsl);
    }

    #[test]
    fn glsl_es_names_inputs_by_location_and_samplers_by_texture() {
        let src = "Texture2D tex : register(t0);\nTexture2D overlay : register(t1);\nSamplerState linear_clamp;\nSamplerState point_clamp;\n\
            cbuffer Look { float4 fill; };\n\
            float4 main(float4 pos : SV_Position, float2 uv : TEXCOORD0, float4 color : COLOR0) : SV_Target {\n\
                return tex.Sample(linear_clamp, uv) + overlay.Sample(linear_clamp, uv) * overlay.Sample(point_clamp, uv)\n\
                    + tex.Load(int3(pos.xy, 0)) * color * fill;\n\
            }\n";
        let glsl = glsl_for(src);
        assert!(glsl.contains("\nin vec2 v_loc0;\n") && glsl.contains("\nin vec4 v_loc1;\n"), "{glsl}");
        assert!(glsl.contains("gl_FragCoord"), "{glsl}");
        assert!(glsl.contains("uniform Look_t Look;") && glsl.contains("Look.fill"), "{glsl}");
        // `overlay` (binding 17) meets two samplers (bindings 32, 33), so both of its GLSL samplers name theirs.
        assert!(glsl.contains("uniform highp sampler2D sl_t17_s32;"), "{glsl}");
        assert!(glsl.contains("uniform highp sampler2D sl_t17_s33;"), "{glsl}");
        // `tex` is sampled once and fetched once (through SPIRV-Cross's dummy sampler, which has no binding).
        assert!(glsl.contains("uniform highp sampler2D sl_t16_s32;"), "{glsl}");
        assert!(glsl.contains("uniform highp sampler2D sl_t16;"), "{glsl}");
        assert_valid_essl(&glsl);
    }

    #[test]
    fn glsl_es_names_samplers_by_binding() {
        let spirv = crate::shader::test_support::spirv_from_glsl(crate::shader::test_support::COMBINED_GLSL);
        let (reflection, _) = reflect(&spirv, Stage::Pixel, "").unwrap();
        let glsl = to_glsl_es(&spirv, &reflection).unwrap();
        assert!(glsl.contains("uniform highp sampler2D sl_t16;"), "{glsl}");
        assert!(glsl.contains("uniform highp sampler2DArray sl_t17;"), "{glsl}");
        assert!(glsl.contains("\nin vec2 v_loc0;\n"), "{glsl}");
        assert_valid_essl(&glsl);
    }

    #[test]
    fn glsl_es_refuses_compute() {
        let spirv = spirv_for(COMPUTE_EXAMPLE, Stage::Compute);
        let (reflection, _) = reflect(&spirv, Stage::Compute, COMPUTE_EXAMPLE).unwrap();
        assert_eq!(
            to_glsl_es(&spirv, &reflection).unwrap_err(),
            "GLSL ES 3.00 has no compute shaders: WebGL2 previews need the pixel form"
        );
    }

    #[test]
    fn garbage_spirv_is_an_error_not_a_panic() {
        assert!(to_msl(&[0x0723_0203, 0, 0]).is_err());
        let spirv = spirv_for(PIXEL_EXAMPLE, Stage::Pixel);
        let (reflection, _) = reflect(&spirv, Stage::Pixel, PIXEL_EXAMPLE).unwrap();
        assert!(to_glsl_es(&spirv[..spirv.len() / 2], &reflection).is_err());
    }
}
