//! Downscaling on the GPU before a readback: a preview shown at 640 px wide gets 640 px, not the 4K frame.
//!
//! A box filter: each output pixel averages the source texels its footprint covers, so fine detail does not
//! alias the way one bilinear tap per pixel would at a 3× or 6× reduction. Where the frame's format filters
//! (rgba8, rgba16float), each tap is a bilinear sample between two texels on each axis, so a tap averages
//! 2×2 texels and a 2× reduction is one tap a pixel; an rgba32float frame, which does not filter without an
//! optional feature, is averaged texel by texel with `textureLoad`. Up to 16 taps per axis either way.

use std::borrow::Cow;

use super::device::Gpu;
use super::fullscreen::{fullscreen_pass, fullscreen_pipeline};
use super::texture::{GpuTexture, TextureFormat};
use super::GpuError;

/// Taps per axis at most: a 16× (32× filtered) reduction averages every texel; beyond, some are skipped.
const MAX_TAPS: u32 = 16;
/// A display larger than this fraction of the frame's size gets the frame as it is: scaling would only blur.
const NO_SCALE_ABOVE: f64 = 0.9;
/// The same on a CPU adapter, where the scaling pass runs on the cores that encode and show the frame. Measured
/// on lavapipe (CPU per frame, test pattern → JPEG): 1280×720 whole 15 ms, scaled to 1100×619 21 ms; 1920×1080
/// whole 29 ms, to 1100×619 30 ms, to 960×540 25 ms. Scaling pays there from about half the frame's size.
const NO_SCALE_ABOVE_ON_CPU: f64 = 0.5;

/// The pass for one source and output size, with its sizes and tap counts written into the shader as
/// constants: with loops of known length the CPU rasteriser unrolls them (measured on lavapipe, 1280×720 to
/// 1100×619: loops bounded by uniforms cost 34 ms of CPU a frame, a single unrolled tap 23 ms).
fn wgsl(filtered: bool, source: (u32, u32), output: (u32, u32), taps: (u32, u32)) -> String {
    let tap = if filtered {
        "textureSampleLevel(source, bilinear, at / SOURCE, 0.0)"
    } else {
        "textureLoad(source, min(vec2<u32>(at), vec2<u32>(SOURCE) - 1u), 0)"
    };
    format!(
        r#"
const SOURCE = vec2<f32>({sw}.0, {sh}.0);
const OUTPUT = vec2<f32>({ow}.0, {oh}.0);
const TAPS = vec2<u32>({tx}u, {ty}u);
@group(0) @binding(0) var source: texture_2d<f32>;
{sampler}

@vertex
fn vertex_main(@builtin(vertex_index) index: u32) -> @builtin(position) vec4<f32> {{
    let corner = vec2<f32>(f32((index << 1u) & 2u), f32(index & 2u));
    return vec4<f32>(corner * 2.0 - 1.0, 0.0, 1.0);
}}

// Each tap sits at the centre of one of TAPS equal segments of the pixel's footprint, in texels.
@fragment
fn fragment_main(@builtin(position) position: vec4<f32>) -> @location(0) vec4<f32> {{
    let scale = SOURCE / OUTPUT;
    let corner = floor(position.xy) * scale;
    var sum = vec4<f32>(0.0);
    for (var y = 0u; y < TAPS.y; y++) {{
        for (var x = 0u; x < TAPS.x; x++) {{
            let at = corner + (vec2<f32>(f32(x), f32(y)) + 0.5) * scale / vec2<f32>(TAPS);
            sum += {tap};
        }}
    }}
    return sum / f32(TAPS.x * TAPS.y);
}}
"#,
        sw = source.0,
        sh = source.1,
        ow = output.0,
        oh = output.1,
        tx = taps.0,
        ty = taps.1,
        sampler = if filtered { "@group(0) @binding(1) var bilinear: sampler;" } else { "" },
    )
}

/// The size to read a `source`-sized frame back at for a view `display` device pixels large (aspect kept),
/// or None when the frame should go as it is.
pub fn fit(source: (u32, u32), display: Option<(u32, u32)>, cpu_adapter: bool) -> Option<(u32, u32)> {
    let (sw, sh) = source;
    let (dw, dh) = display.filter(|(w, h)| *w > 0 && *h > 0)?;
    let scale = (f64::from(dw) / f64::from(sw)).min(f64::from(dh) / f64::from(sh));
    if scale > if cpu_adapter { NO_SCALE_ABOVE_ON_CPU } else { NO_SCALE_ABOVE } {
        return None;
    }
    let size = |side: u32| ((f64::from(side) * scale).round() as u32).max(1);
    Some((size(sw), size(sh)))
}

/// The downscaling pass of one preview sink, built for its frames' format and size and the size it shows.
pub struct Scaler {
    pipeline: wgpu::RenderPipeline,
    layout: wgpu::BindGroupLayout,
    /// The bilinear sampler of the filtered variant; None where the format does not filter.
    sampler: Option<wgpu::Sampler>,
}

impl Scaler {
    pub fn new(gpu: &Gpu, from: &GpuTexture, to: (u32, u32)) -> Result<Scaler, GpuError> {
        let filtered = from.format != TextureFormat::Rgba32Float;
        // A filtered tap covers two texels on each axis.
        let per_tap = if filtered { 2 } else { 1 };
        let taps = |from: u32, to: u32| from.div_ceil(to * per_tap).clamp(1, MAX_TAPS);
        let taps = (taps(from.width, to.0), taps(from.height, to.1));
        let mut entries = vec![wgpu::BindGroupLayoutEntry {
            binding: 0,
            visibility: wgpu::ShaderStages::FRAGMENT,
            ty: wgpu::BindingType::Texture {
                sample_type: wgpu::TextureSampleType::Float { filterable: filtered },
                view_dimension: wgpu::TextureViewDimension::D2,
                multisampled: false,
            },
            count: None,
        }];
        if filtered {
            entries.push(wgpu::BindGroupLayoutEntry {
                binding: 1,
                visibility: wgpu::ShaderStages::FRAGMENT,
                ty: wgpu::BindingType::Sampler(wgpu::SamplerBindingType::Filtering),
                count: None,
            });
        }
        let layout = gpu
            .device
            .create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor { label: Some("scale"), entries: &entries });
        let pipeline_layout = gpu.device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("scale"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let source = wgsl(filtered, (from.width, from.height), to, taps);
        let _exclusive = gpu.exclusive();
        let scope = gpu.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let module = gpu.device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("scale"),
            source: wgpu::ShaderSource::Wgsl(Cow::Owned(source)),
        });
        let pipeline =
            fullscreen_pipeline(gpu, "scale", &pipeline_layout, (&module, "vertex_main"), (&module, "fragment_main"));
        if let Some(error) = pollster::block_on(scope.pop()) {
            return Err(GpuError::Operation(format!("the preview scaler was refused: {error}")));
        }
        let sampler = filtered.then(|| {
            gpu.device.create_sampler(&wgpu::SamplerDescriptor {
                label: Some("scale"),
                address_mode_u: wgpu::AddressMode::ClampToEdge,
                address_mode_v: wgpu::AddressMode::ClampToEdge,
                mag_filter: wgpu::FilterMode::Linear,
                min_filter: wgpu::FilterMode::Linear,
                ..Default::default()
            })
        });
        Ok(Scaler { pipeline, layout, sampler })
    }

    /// Records `from` scaled down into `to`: the frame and the size (an rgba8 texture) it was built for.
    pub fn encode(&self, gpu: &Gpu, encoder: &mut wgpu::CommandEncoder, from: &GpuTexture, to: &GpuTexture) {
        let mut entries =
            vec![wgpu::BindGroupEntry { binding: 0, resource: wgpu::BindingResource::TextureView(&from.view) }];
        if let Some(sampler) = &self.sampler {
            entries.push(wgpu::BindGroupEntry { binding: 1, resource: wgpu::BindingResource::Sampler(sampler) });
        }
        let group = gpu.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("scale"),
            layout: &self.layout,
            entries: &entries,
        });
        let mut pass = fullscreen_pass(encoder, to, "scale", wgpu::Color::TRANSPARENT);
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, &group, &[]);
        pass.draw(0..3, 0..1);
    }
}

#[cfg(test)]
mod tests {
    use super::fit;

    #[test]
    fn the_frame_is_fitted_into_the_view_keeping_its_aspect() {
        for cpu in [false, true] {
            assert_eq!(fit((3840, 2160), Some((960, 1000)), cpu), Some((960, 540)));
            assert_eq!(fit((1280, 720), Some((1000, 360)), cpu), Some((640, 360)));
            // No view size, a degenerate one, or a view about as large as the frame: the frame as it is.
            assert_eq!(fit((1280, 720), None, cpu), None);
            assert_eq!(fit((1280, 720), Some((0, 0)), cpu), None);
            assert_eq!(fit((1280, 720), Some((1200, 700)), cpu), None);
            assert_eq!(fit((640, 360), Some((1920, 1080)), cpu), None);
            assert_eq!(fit((4, 4000), Some((100, 10)), cpu), Some((1, 10)));
        }
        // A CPU adapter scales only where the view is half the frame or less.
        assert_eq!(fit((1280, 720), Some((1000, 1000)), false), Some((1000, 563)));
        assert_eq!(fit((1280, 720), Some((1000, 1000)), true), None);
        assert_eq!(fit((1280, 720), Some((641, 1000)), true), None);
    }
}
