//! Downscaling on the GPU before a readback: a preview shown at 640 px wide gets 640 px, not the 4K frame.
//!
//! A box filter: each output pixel averages the source texels its footprint covers (up to 16 per axis, by
//! `textureLoad`, so any frame format works without a filtering sampler), so fine detail does not alias the
//! way one bilinear tap per pixel would at a 3× or 6× reduction.

use std::borrow::Cow;

use super::device::Gpu;
use super::fullscreen::{fullscreen_pass, fullscreen_pipeline};
use super::texture::GpuTexture;
use super::GpuError;

/// Taps per axis at most: a 16× reduction averages every texel; beyond, some are skipped.
const MAX_TAPS: u32 = 16;
/// A display larger than this fraction of the frame's size gets the frame as it is: scaling would only blur.
const NO_SCALE_ABOVE: f64 = 0.9;
/// The same on a CPU adapter, where the scaling pass runs on the cores that encode and show the frame: on
/// lavapipe it cost more than the JPEG encode it saves until the view is half the frame's size or less
/// (measured, 1280×720 shown at 1100 px: 35 ms of CPU a frame scaled against 14 ms sent whole).
const NO_SCALE_ABOVE_ON_CPU: f64 = 0.5;

const WGSL: &str = r#"
struct Sizes { source: vec2<u32>, output: vec2<u32>, taps: vec2<u32>, _pad: vec2<u32> };
@group(0) @binding(0) var source: texture_2d<f32>;
@group(0) @binding(1) var<uniform> sizes: Sizes;

@vertex
fn vertex_main(@builtin(vertex_index) index: u32) -> @builtin(position) vec4<f32> {
    let corner = vec2<f32>(f32((index << 1u) & 2u), f32(index & 2u));
    return vec4<f32>(corner * 2.0 - 1.0, 0.0, 1.0);
}

@fragment
fn fragment_main(@builtin(position) position: vec4<f32>) -> @location(0) vec4<f32> {
    let scale = vec2<f32>(sizes.source) / vec2<f32>(sizes.output);
    let corner = floor(position.xy) * scale;
    var sum = vec4<f32>(0.0);
    for (var y = 0u; y < sizes.taps.y; y++) {
        for (var x = 0u; x < sizes.taps.x; x++) {
            let at = corner + (vec2<f32>(f32(x), f32(y)) + 0.5) * scale / vec2<f32>(sizes.taps);
            let texel = min(vec2<u32>(at), sizes.source - 1u);
            sum += textureLoad(source, texel, 0);
        }
    }
    return sum / f32(sizes.taps.x * sizes.taps.y);
}
"#;

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

/// The downscaling pass, built once per preview sink.
pub struct Scaler {
    pipeline: wgpu::RenderPipeline,
    layout: wgpu::BindGroupLayout,
    sizes: wgpu::Buffer,
}

impl Scaler {
    pub fn new(gpu: &Gpu) -> Result<Scaler, GpuError> {
        let layout = gpu.device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("scale"),
            entries: &[
                wgpu::BindGroupLayoutEntry {
                    binding: 0,
                    visibility: wgpu::ShaderStages::FRAGMENT,
                    ty: wgpu::BindingType::Texture {
                        sample_type: wgpu::TextureSampleType::Float { filterable: false },
                        view_dimension: wgpu::TextureViewDimension::D2,
                        multisampled: false,
                    },
                    count: None,
                },
                wgpu::BindGroupLayoutEntry {
                    binding: 1,
                    visibility: wgpu::ShaderStages::FRAGMENT,
                    ty: wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Uniform,
                        has_dynamic_offset: false,
                        min_binding_size: None,
                    },
                    count: None,
                },
            ],
        });
        let pipeline_layout = gpu.device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("scale"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let _exclusive = gpu.exclusive();
        let scope = gpu.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let module = gpu.device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("scale"),
            source: wgpu::ShaderSource::Wgsl(Cow::Borrowed(WGSL)),
        });
        let pipeline =
            fullscreen_pipeline(gpu, "scale", &pipeline_layout, (&module, "vertex_main"), (&module, "fragment_main"));
        if let Some(error) = pollster::block_on(scope.pop()) {
            return Err(GpuError::Operation(format!("the preview scaler was refused: {error}")));
        }
        let sizes = gpu.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("scale sizes"),
            size: 32,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        Ok(Scaler { pipeline, layout, sizes })
    }

    /// Records `from` scaled down into `to` (an rgba8 texture of the size `fit` chose).
    pub fn encode(&self, gpu: &Gpu, encoder: &mut wgpu::CommandEncoder, from: &GpuTexture, to: &GpuTexture) {
        let taps = |from: u32, to: u32| from.div_ceil(to).clamp(1, MAX_TAPS);
        let words = [
            from.width,
            from.height,
            to.width,
            to.height,
            taps(from.width, to.width),
            taps(from.height, to.height),
            0,
            0,
        ];
        let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        gpu.queue.write_buffer(&self.sizes, 0, &bytes);
        let group = gpu.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("scale"),
            layout: &self.layout,
            entries: &[
                wgpu::BindGroupEntry { binding: 0, resource: wgpu::BindingResource::TextureView(&from.view) },
                wgpu::BindGroupEntry { binding: 1, resource: self.sizes.as_entire_binding() },
            ],
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
