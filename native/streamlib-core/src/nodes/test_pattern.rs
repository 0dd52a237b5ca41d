//! The built-in animated test pattern: the source that always works (no camera, no files, no compiler).
//!
//! Deterministic per frame index: colour bars, a gradient band, a box moving 4 px per frame, and the frame
//! index stamped in binary (32 cells of 8×8 px, top-left, white = 1) so a viewer can measure latency.

use std::borrow::Cow;

use crate::gpu::fullscreen::{fullscreen_pass, fullscreen_pipeline};
use crate::gpu::{Gpu, GpuError, GpuTexture};

const WGSL: &str = r#"
struct Frame { index: u32, width: u32, height: u32, pad: u32 };
@group(0) @binding(0) var<uniform> frame: Frame;

@vertex fn vs(@builtin(vertex_index) i: u32) -> @builtin(position) vec4<f32> {
    let p = vec2<f32>(f32((i << 1u) & 2u), f32(i & 2u)) * 2.0 - 1.0;
    return vec4<f32>(p, 0.0, 1.0);
}

@fragment fn fs(@builtin(position) position: vec4<f32>) -> @location(0) vec4<f32> {
    let x = u32(position.x);
    let y = u32(position.y);
    let w = frame.width;
    let h = frame.height;
    // Frame index in binary along the top-left: 32 cells of 8x8 px.
    if (y < 8u && x < 256u) {
        let bit = (frame.index >> (31u - x / 8u)) & 1u;
        return vec4<f32>(vec3<f32>(f32(bit)), 1.0);
    }
    // A 32 px box moving right 4 px per frame, wrapping.
    let box_x = (frame.index * 4u) % max(w, 1u);
    let box_y = h / 2u;
    if (x >= box_x && x < box_x + 32u && y >= box_y && y < box_y + 32u) {
        return vec4<f32>(1.0, 1.0, 1.0, 1.0);
    }
    if (y < h * 2u / 3u) {
        // floor(8x / w), exact: the half keeps the quotient clear of whole numbers by 0.5 / w, far beyond any
        // rounding, and a CPU rasteriser turns a per-pixel integer division into one scalar division a pixel.
        let bar = min(u32((f32(x * 8u) + 0.5) / f32(max(w, 1u))), 7u);
        // Bars of 75 % white, yellow, cyan, green, magenta, red, blue, then near-black: channels from the
        // bar's bits, not from an array indexed per pixel (a gather on a CPU rasteriser).
        let lit = vec3<bool>((bar & 2u) == 0u, bar < 4u, (bar & 1u) == 0u);
        let colour = select(vec3<f32>(0.0), vec3<f32>(0.75), lit);
        return vec4<f32>(select(colour, vec3<f32>(0.1), bar == 7u), 1.0);
    }
    let t = f32(x) / f32(max(w - 1u, 1u));
    return vec4<f32>(t, t, t, 1.0);
}
"#;

pub struct TestPattern {
    pipeline: wgpu::RenderPipeline,
    bind_group: wgpu::BindGroup,
    uniform: wgpu::Buffer,
}

impl TestPattern {
    pub fn new(gpu: &Gpu) -> Result<TestPattern, GpuError> {
        let _exclusive = gpu.exclusive();
        let module = gpu.device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("test pattern"),
            source: wgpu::ShaderSource::Wgsl(Cow::Borrowed(WGSL)),
        });
        let layout = gpu.device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("test pattern"),
            entries: &[wgpu::BindGroupLayoutEntry {
                binding: 0,
                visibility: wgpu::ShaderStages::FRAGMENT,
                ty: wgpu::BindingType::Buffer {
                    ty: wgpu::BufferBindingType::Uniform,
                    has_dynamic_offset: false,
                    min_binding_size: None,
                },
                count: None,
            }],
        });
        let pipeline_layout = gpu.device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("test pattern"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let pipeline = fullscreen_pipeline(gpu, "test pattern", &pipeline_layout, (&module, "vs"), (&module, "fs"));
        let uniform = gpu.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("test pattern frame"),
            size: 16,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let bind_group = gpu.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("test pattern"),
            layout: &layout,
            entries: &[wgpu::BindGroupEntry { binding: 0, resource: uniform.as_entire_binding() }],
        });
        Ok(TestPattern { pipeline, bind_group, uniform })
    }

    pub fn encode(&self, gpu: &Gpu, encoder: &mut wgpu::CommandEncoder, target: &GpuTexture, index: u64) {
        let words = [index as u32, target.width, target.height, 0];
        let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        gpu.queue.write_buffer(&self.uniform, 0, &bytes);
        let mut pass = fullscreen_pass(encoder, target, "test pattern", wgpu::Color::BLACK);
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, &self.bind_group, &[]);
        pass.draw(0..3, 0..1);
    }
}

/// The pattern as GLSL ES 3.00 for a WebGL2 page (naga translates the one WGSL source above), with the name of
/// its uniform block: std140, the four u32s `encode` writes (frame index, width, height, 0).
pub fn glsl_es() -> Result<(String, String), String> {
    use naga::back::glsl;
    let module = naga::front::wgsl::parse_str(WGSL).map_err(|e| e.emit_to_string(WGSL))?;
    let info = naga::valid::Validator::new(naga::valid::ValidationFlags::all(), naga::valid::Capabilities::empty())
        .validate(&module)
        .map_err(|e| e.emit_to_string(WGSL))?;
    let options = glsl::Options {
        version: glsl::Version::Embedded { version: 300, is_webgl: true },
        writer_flags: glsl::WriterFlags::empty(),
        ..glsl::Options::default()
    };
    let pipeline = glsl::PipelineOptions {
        shader_stage: naga::ShaderStage::Fragment,
        entry_point: "fs".to_owned(),
        multiview: None,
    };
    let mut text = String::new();
    let mut writer =
        glsl::Writer::new(&mut text, &module, &info, &options, &pipeline, naga::proc::BoundsCheckPolicies::default())
            .map_err(|e| e.to_string())?;
    let reflection = writer.write().map_err(|e| e.to_string())?;
    let block = reflection.uniforms.into_values().next().ok_or("the test pattern lost its uniform block")?;
    Ok((text, block))
}

/// The frame index stamped by the pattern, read back from RGBA8 pixels (row-major, `width` wide).
pub fn read_stamp(pixels: &[u8], width: u32) -> Option<u64> {
    if width < 256 || pixels.len() < (width as usize * 8 * 4) {
        return None;
    }
    let row = 4 * width as usize * 4; // centre row of the cells (y = 4)
    let mut index = 0u64;
    for cell in 0..32 {
        let x = cell * 8 + 4;
        let value = pixels[row + x * 4];
        index = (index << 1) | u64::from(value > 127);
    }
    Some(index)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shader::test_support::assert_valid_essl;

    #[test]
    fn the_pattern_translates_to_webgl2_glsl_with_one_uniform_block() {
        let (glsl, block) = glsl_es().unwrap();
        assert!(glsl.starts_with("#version 300 es\n"), "{glsl}");
        assert!(glsl.contains(&format!("uniform {block}")), "{block}\n{glsl}");
        assert!(glsl.contains("gl_FragCoord"), "{glsl}");
        assert_valid_essl(&glsl);
    }
}
