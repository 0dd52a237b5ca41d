//! A compiled shader turned into a wgpu pipeline, with bind group layouts built from its reflection.

use std::borrow::Cow;
use std::sync::{Arc, Mutex};

use crate::shader::{CompiledShader, ResourceKind, Stage};

use super::device::Gpu;
use super::fullscreen::{fullscreen_pass, fullscreen_pipeline};
use super::params::{set_all, BatchError, ParamBlock, ParamValue};
use super::texture::{GpuTexture, TextureFormat};
use super::GpuError;

/// The standard values every effect can read (`streamlib_frame` in the prelude).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct FrameValues {
    pub time: f32,
    pub frame: u32,
    pub resolution: [f32; 2],
    pub mouse: [f32; 4],
}

impl FrameValues {
    fn bytes(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        out[0..4].copy_from_slice(&self.time.to_le_bytes());
        out[4..8].copy_from_slice(&self.frame.to_le_bytes());
        for (i, v) in self.resolution.iter().chain(self.mouse.iter()).enumerate() {
            out[8 + i * 4..12 + i * 4].copy_from_slice(&v.to_le_bytes());
        }
        out
    }
}

/// Full-screen triangle; `uv` at location 0 with (0,0) at the top-left texel, like D3D.
const FULLSCREEN_WGSL: &str = r#"
struct Out { @builtin(position) position: vec4<f32>, @location(0) uv: vec2<f32> };
@vertex fn main(@builtin(vertex_index) index: u32) -> Out {
    let p = vec2<f32>(f32((index << 1u) & 2u), f32(index & 2u)) * 2.0 - 1.0;
    var out: Out;
    out.position = vec4<f32>(p, 0.0, 1.0);
    out.uv = vec2<f32>(p.x * 0.5 + 0.5, 0.5 - p.y * 0.5);
    return out;
}
"#;

#[derive(Debug, Clone, PartialEq)]
struct Slot {
    name: String,
    group: u32,
    binding: u32,
}

enum Kind {
    Render(wgpu::RenderPipeline),
    Compute { pipeline: wgpu::ComputePipeline, workgroup: [u32; 3] },
}

/// Everything that depends only on the shader; shared by every instance of the effect.
pub struct EffectPipeline {
    pub name: String,
    pub stage: Stage,
    /// How the shader reached the driver: "vulkan-spirv-passthrough", "metal-msl-passthrough" or "naga-spirv".
    pub gpu_path: &'static str,
    pub shader: Arc<CompiledShader>,
    kind: Kind,
    groups: Vec<wgpu::BindGroupLayout>,
    textures: Vec<Slot>,
    samplers: Vec<Slot>,
    storage_output: Option<(Slot, TextureFormat)>,
    frame_slot: Option<Slot>,
    /// (slot, cbuffer) of every user cbuffer.
    param_slots: Vec<(Slot, crate::shader::UniformBuffer)>,
    sampler: wgpu::Sampler,
}

impl std::fmt::Debug for EffectPipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EffectPipeline({} {} via {})", self.name, self.stage, self.gpu_path)
    }
}

impl EffectPipeline {
    pub fn new(gpu: &Gpu, shader: Arc<CompiledShader>) -> Result<EffectPipeline, GpuError> {
        let name = shader.name.clone();
        let fail = |message: String| GpuError::Effect { effect: name.clone(), message };
        let stage = shader.stage;
        let visibility = match stage {
            Stage::Pixel => wgpu::ShaderStages::FRAGMENT,
            Stage::Compute => wgpu::ShaderStages::COMPUTE,
            Stage::Vertex => {
                return Err(fail("a vertex shader is not an effect: use the pixel or compute form".to_owned()))
            }
        };
        let reflection = &shader.reflection;
        let mut entries: Vec<Vec<wgpu::BindGroupLayoutEntry>> = Vec::new();
        let (mut textures, mut samplers, mut storage_output, mut frame_slot, mut param_slots) =
            (Vec::new(), Vec::new(), None, None, Vec::new());
        for resource in &reflection.resources {
            if resource.set > 3 {
                return Err(fail(format!(
                    "resource '{}' is in descriptor set {}, the runtime supports sets 0–3",
                    resource.name, resource.set
                )));
            }
            let slot = Slot { name: resource.name.clone(), group: resource.set, binding: resource.binding };
            let ty = match resource.kind {
                ResourceKind::Texture => {
                    textures.push(slot.clone());
                    wgpu::BindingType::Texture {
                        sample_type: wgpu::TextureSampleType::Float { filterable: true },
                        view_dimension: wgpu::TextureViewDimension::D2,
                        multisampled: false,
                    }
                }
                ResourceKind::Sampler => {
                    samplers.push(slot.clone());
                    wgpu::BindingType::Sampler(wgpu::SamplerBindingType::Filtering)
                }
                ResourceKind::StorageImage => {
                    let format = match resource.format.as_deref() {
                        Some("rgba8") => TextureFormat::Rgba8Unorm,
                        Some("rgba16f") => TextureFormat::Rgba16Float,
                        Some("rgba32f") => TextureFormat::Rgba32Float,
                        other => return Err(fail(format!("storage image '{}' has format {other:?}; frames are rgba8unorm, rgba16float or rgba32float", resource.name))),
                    };
                    if storage_output.is_some() {
                        return Err(fail(format!(
                            "more than one RWTexture2D ('{}'); an effect writes one output",
                            resource.name
                        )));
                    }
                    storage_output = Some((slot.clone(), format));
                    wgpu::BindingType::StorageTexture {
                        access: wgpu::StorageTextureAccess::WriteOnly,
                        format: format.wgpu(),
                        view_dimension: wgpu::TextureViewDimension::D2,
                    }
                }
                ResourceKind::UniformBuffer => {
                    let buffer = reflection
                        .uniform_buffers
                        .iter()
                        .find(|b| b.set == resource.set && b.binding == resource.binding)
                        .cloned()
                        .ok_or_else(|| fail(format!("cbuffer '{}' has no reflected layout", resource.name)))?;
                    if buffer.name == crate::shader::prelude::FRAME_CBUFFER {
                        frame_slot = Some(slot.clone());
                    } else {
                        param_slots.push((slot.clone(), buffer));
                    }
                    wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Uniform,
                        has_dynamic_offset: false,
                        min_binding_size: None,
                    }
                }
                ResourceKind::StorageBuffer => {
                    return Err(fail(format!(
                        "structured buffer '{}' is not supported by the GPU runtime yet",
                        resource.name
                    )))
                }
                ResourceKind::CombinedImageSampler => {
                    return Err(fail(format!(
                        "'{}' is a D3D9-style sampler2D; declare Texture2D + SamplerState instead",
                        resource.name
                    )))
                }
            };
            let group = resource.set as usize;
            if entries.len() <= group {
                entries.resize_with(group + 1, Vec::new);
            }
            entries[group].push(wgpu::BindGroupLayoutEntry { binding: resource.binding, visibility, ty, count: None });
        }
        if stage == Stage::Compute && storage_output.is_none() {
            return Err(fail("a compute effect needs a RWTexture2D<float4> to write its output".to_owned()));
        }
        let groups: Vec<wgpu::BindGroupLayout> = entries
            .iter()
            .enumerate()
            .map(|(i, group)| {
                gpu.device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                    label: Some(&format!("{name} group {i}")),
                    entries: group,
                })
            })
            .collect();
        let group_refs: Vec<Option<&wgpu::BindGroupLayout>> = groups.iter().map(Some).collect();
        let layout = gpu.device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some(&name),
            bind_group_layouts: &group_refs,
            immediate_size: 0,
        });

        let _exclusive = gpu.exclusive();
        let entry = reflection.entry_point.clone();
        let (module, gpu_path) = shader_module(gpu, &shader, &entry).map_err(fail)?;
        let entry_in_module = if gpu_path == "metal-msl-passthrough" { "main0".to_owned() } else { entry };
        let scope = gpu.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let kind = match stage {
            Stage::Pixel => {
                let vertex = gpu.device.create_shader_module(wgpu::ShaderModuleDescriptor {
                    label: Some("fullscreen"),
                    source: wgpu::ShaderSource::Wgsl(Cow::Borrowed(FULLSCREEN_WGSL)),
                });
                Kind::Render(fullscreen_pipeline(gpu, &name, &layout, (&vertex, "main"), (&module, &entry_in_module)))
            }
            Stage::Compute | Stage::Vertex => {
                let workgroup = reflection.workgroup_size.unwrap_or([8, 8, 1]);
                Kind::Compute {
                    pipeline: gpu.device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                        label: Some(&name),
                        layout: Some(&layout),
                        module: &module,
                        entry_point: Some(&entry_in_module),
                        compilation_options: Default::default(),
                        cache: None,
                    }),
                    workgroup,
                }
            }
        };
        if let Some(error) = pollster::block_on(scope.pop()) {
            return Err(fail(format!("the GPU rejected the pipeline ({gpu_path}): {error}")));
        }
        let sampler = gpu.device.create_sampler(&wgpu::SamplerDescriptor {
            label: Some("linear clamp"),
            address_mode_u: wgpu::AddressMode::ClampToEdge,
            address_mode_v: wgpu::AddressMode::ClampToEdge,
            address_mode_w: wgpu::AddressMode::ClampToEdge,
            mag_filter: wgpu::FilterMode::Linear,
            min_filter: wgpu::FilterMode::Linear,
            ..Default::default()
        });
        Ok(EffectPipeline {
            name,
            stage,
            gpu_path,
            shader,
            kind,
            groups,
            textures,
            samplers,
            storage_output,
            frame_slot,
            param_slots,
            sampler,
        })
    }

    /// Names of the textures the effect reads; the first is the main input.
    pub fn input_names(&self) -> Vec<String> {
        self.shader.reflection.texture_inputs()
    }

    pub fn output_format(&self) -> TextureFormat {
        self.storage_output.as_ref().map_or(TextureFormat::Rgba8Unorm, |(_, format)| *format)
    }
}

fn shader_module(
    gpu: &Gpu,
    shader: &CompiledShader,
    entry: &str,
) -> Result<(wgpu::ShaderModule, &'static str), String> {
    let workgroup = shader.reflection.workgroup_size.map_or((1, 1, 1), |w| (w[0], w[1], w[2]));
    if gpu.passthrough {
        let (spirv, msl, path, entry) = match gpu.backend {
            wgpu::Backend::Vulkan => {
                (Some(Cow::Borrowed(shader.spirv.as_slice())), None, "vulkan-spirv-passthrough", entry.to_owned())
            }
            wgpu::Backend::Metal => {
                (None, Some(Cow::Borrowed(shader.msl.as_str())), "metal-msl-passthrough", "main0".to_owned())
            }
            other => return Err(format!("no passthrough path for the {other:?} backend")),
        };
        let entry_points = [wgpu::PassthroughShaderEntryPoint { name: Cow::Owned(entry), workgroup_size: workgroup }];
        let descriptor = wgpu::ShaderModuleDescriptorPassthrough {
            label: Some(&shader.name),
            entry_points: Cow::Borrowed(&entry_points),
            spirv,
            msl,
            ..Default::default()
        };
        // SAFETY: the SPIR-V/MSL comes from our own pipeline (validated front end + SPIRV-Cross), and the
        // bind group layouts above are built from the same module's reflection.
        let module = unsafe { gpu.device.create_shader_module_passthrough(descriptor) };
        return Ok((module, path));
    }
    let scope = gpu.device.push_error_scope(wgpu::ErrorFilter::Validation);
    let module = gpu.device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some(&shader.name),
        source: wgpu::ShaderSource::SpirV(Cow::Borrowed(&shader.spirv)),
    });
    if let Some(error) = pollster::block_on(scope.pop()) {
        return Err(format!("naga could not take this SPIR-V (the device has no passthrough): {error}"));
    }
    Ok((module, "naga-spirv"))
}

/// One use of an effect: its own parameter values and uniform buffers.
pub struct EffectInstance {
    pub pipeline: Arc<EffectPipeline>,
    /// One block per parameter cbuffer, with its uniform buffer at the same index of `buffers`.
    blocks: Vec<ParamBlock>,
    buffers: Vec<wgpu::Buffer>,
    frame_buffer: Option<wgpu::Buffer>,
    /// The bind groups of the last encode and the texture views they were made for.
    bind_groups: Mutex<Option<(Vec<wgpu::TextureView>, Vec<wgpu::BindGroup>)>>,
}

impl EffectInstance {
    pub fn new(gpu: &Gpu, pipeline: Arc<EffectPipeline>) -> Result<EffectInstance, GpuError> {
        let (mut blocks, mut buffers) = (Vec::new(), Vec::new());
        for (slot, buffer) in &pipeline.param_slots {
            let block = ParamBlock::new(&pipeline.name, buffer, &pipeline.shader.parameters)?;
            let gpu_buffer = gpu.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(&format!("{} {}", pipeline.name, slot.name)),
                size: block.bytes().len() as u64,
                usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            });
            blocks.push(block);
            buffers.push(gpu_buffer);
        }
        let frame_buffer = pipeline.frame_slot.as_ref().map(|_| {
            gpu.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("frame values"),
                size: 32,
                usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            })
        });
        Ok(EffectInstance { pipeline, blocks, buffers, frame_buffer, bind_groups: Mutex::new(None) })
    }

    /// A new instance of another pipeline that keeps every parameter value both shaders share.
    pub fn swapped(&self, gpu: &Gpu, pipeline: Arc<EffectPipeline>) -> Result<EffectInstance, GpuError> {
        let mut next = EffectInstance::new(gpu, pipeline)?;
        for (name, values) in self.values() {
            // A parameter whose name or type changed keeps the new shader's default.
            let _ = next.set(&name, &ParamValue::List(values));
        }
        Ok(next)
    }

    pub fn set(&mut self, name: &str, value: &ParamValue) -> Result<(), GpuError> {
        match self.blocks.iter_mut().find(|block| block.has(name)) {
            Some(block) => block.set(name, value),
            None => Err(self.unknown(name)),
        }
    }

    /// Sets all of `values` or, when one does not fit its parameter, none (see `params::set_all`).
    pub fn set_all(&mut self, values: &[(String, ParamValue)]) -> Result<(), BatchError> {
        // The blocks leave `self` for the call so that naming an unknown parameter can still read the shader.
        let mut blocks = std::mem::take(&mut self.blocks);
        let result = set_all(&mut blocks, values, |name| self.unknown(name));
        self.blocks = blocks;
        result
    }

    fn unknown(&self, name: &str) -> GpuError {
        let known: Vec<String> = self.pipeline.shader.parameters.iter().map(|p| p.name.clone()).collect();
        let list =
            if known.is_empty() { "it has none".to_owned() } else { format!("parameters: {}", known.join(", ")) };
        GpuError::Effect { effect: self.pipeline.name.clone(), message: format!("no parameter '{name}' ({list})") }
    }

    pub fn values(&self) -> Vec<(String, Vec<f64>)> {
        self.blocks.iter().flat_map(|block| block.values().iter().map(|(k, v)| (k.clone(), v.clone()))).collect()
    }

    /// Records the effect into `encoder`: `inputs` by input order, writing `output`.
    pub fn encode(
        &self,
        gpu: &Gpu,
        encoder: &mut wgpu::CommandEncoder,
        inputs: &[&GpuTexture],
        output: &GpuTexture,
        frame: &FrameValues,
    ) -> Result<(), GpuError> {
        let params: Vec<&[u8]> = self.blocks.iter().map(ParamBlock::bytes).collect();
        self.encode_with_params(gpu, encoder, inputs, output, frame, &params)
    }

    /// The names of the shader's parameter cbuffers, in the order `encode_with_params` takes their bytes.
    pub fn cbuffer_names(&self) -> impl Iterator<Item = &str> {
        self.pipeline.param_slots.iter().map(|(_, buffer)| buffer.name.as_str())
    }

    /// The current bytes of the cbuffer named `name`.
    pub fn cbuffer_bytes(&self, name: &str) -> Option<&[u8]> {
        self.cbuffer_names().position(|n| n == name).map(|i| self.blocks[i].bytes())
    }

    /// `encode` with `params[i]` as the bytes of the i-th parameter cbuffer: a fused pass binds its members'
    /// values, laid out exactly as in their own shaders.
    pub fn encode_with_params(
        &self,
        gpu: &Gpu,
        encoder: &mut wgpu::CommandEncoder,
        inputs: &[&GpuTexture],
        output: &GpuTexture,
        frame: &FrameValues,
        params: &[&[u8]],
    ) -> Result<(), GpuError> {
        let pipeline = &self.pipeline;
        let fail = |message: String| GpuError::Effect { effect: pipeline.name.clone(), message };
        let names = pipeline.input_names();
        // Extra inputs are fine: glslang drops textures a shader never reads, so a generator has none.
        if inputs.len() < names.len() {
            return Err(fail(format!(
                "expects {} input texture(s) ({}), got {}",
                names.len(),
                names.join(", "),
                inputs.len()
            )));
        }
        if let Some((_, format)) = &pipeline.storage_output {
            if output.format != *format {
                return Err(fail(format!(
                    "writes {} but the output texture is {}",
                    format.as_str(),
                    output.format.as_str()
                )));
            }
        } else if output.format != TextureFormat::Rgba8Unorm {
            return Err(fail(format!(
                "pixel effects render rgba8unorm; the output texture is {}",
                output.format.as_str()
            )));
        }
        let sizes_match = params.len() == self.buffers.len()
            && params.iter().zip(&self.buffers).all(|(bytes, buffer)| bytes.len() as u64 == buffer.size());
        if !sizes_match {
            return Err(fail("parameter bytes do not match its cbuffers".to_owned()));
        }
        for (bytes, buffer) in params.iter().zip(&self.buffers) {
            gpu.queue.write_buffer(buffer, 0, bytes);
        }
        if let Some(buffer) = &self.frame_buffer {
            let mut values = *frame;
            values.resolution = [output.width as f32, output.height as f32];
            gpu.queue.write_buffer(buffer, 0, &values.bytes());
        }
        let ordered: Vec<&Slot> =
            names.iter().filter_map(|n| pipeline.textures.iter().find(|t| &t.name == n)).collect();
        // Everything else in the bind groups is the instance's own, so the views decide whether the groups of
        // the last frame still fit (they do, frame after frame): making them costs more than the rest of the
        // recording on a fast driver.
        let mut views: Vec<wgpu::TextureView> = inputs.iter().take(ordered.len()).map(|t| t.view.clone()).collect();
        views.extend(pipeline.storage_output.as_ref().map(|_| output.view.clone()));
        let mut cached = self.bind_groups.lock().unwrap_or_else(|p| p.into_inner());
        if cached.as_ref().is_none_or(|(made_for, _)| *made_for != views) {
            *cached = Some((views, self.make_bind_groups(gpu, &ordered, inputs, output)));
        }
        let groups = cached.as_ref().map(|(_, groups)| groups.as_slice()).unwrap_or_default();
        match &pipeline.kind {
            Kind::Render(render) => {
                let mut pass = fullscreen_pass(encoder, output, &pipeline.name, wgpu::Color::TRANSPARENT);
                pass.set_pipeline(render);
                for (index, group) in groups.iter().enumerate() {
                    pass.set_bind_group(index as u32, group, &[]);
                }
                pass.draw(0..3, 0..1);
            }
            Kind::Compute { pipeline: compute, workgroup } => {
                let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                    label: Some(&pipeline.name),
                    timestamp_writes: None,
                });
                pass.set_pipeline(compute);
                for (index, group) in groups.iter().enumerate() {
                    pass.set_bind_group(index as u32, group, &[]);
                }
                pass.dispatch_workgroups(
                    output.width.div_ceil(workgroup[0].max(1)),
                    output.height.div_ceil(workgroup[1].max(1)),
                    1,
                );
            }
        }
        Ok(())
    }

    fn make_bind_groups(
        &self,
        gpu: &Gpu,
        ordered: &[&Slot],
        inputs: &[&GpuTexture],
        output: &GpuTexture,
    ) -> Vec<wgpu::BindGroup> {
        let pipeline = &self.pipeline;
        let mut bindings: Vec<Vec<wgpu::BindGroupEntry>> = vec![Vec::new(); pipeline.groups.len()];
        for (slot, texture) in ordered.iter().zip(inputs) {
            bindings[slot.group as usize].push(wgpu::BindGroupEntry {
                binding: slot.binding,
                resource: wgpu::BindingResource::TextureView(&texture.view),
            });
        }
        for slot in &pipeline.samplers {
            bindings[slot.group as usize].push(wgpu::BindGroupEntry {
                binding: slot.binding,
                resource: wgpu::BindingResource::Sampler(&pipeline.sampler),
            });
        }
        if let Some((slot, _)) = &pipeline.storage_output {
            bindings[slot.group as usize].push(wgpu::BindGroupEntry {
                binding: slot.binding,
                resource: wgpu::BindingResource::TextureView(&output.view),
            });
        }
        if let (Some(slot), Some(buffer)) = (&pipeline.frame_slot, &self.frame_buffer) {
            bindings[slot.group as usize]
                .push(wgpu::BindGroupEntry { binding: slot.binding, resource: buffer.as_entire_binding() });
        }
        for ((slot, _), buffer) in pipeline.param_slots.iter().zip(&self.buffers) {
            bindings[slot.group as usize]
                .push(wgpu::BindGroupEntry { binding: slot.binding, resource: buffer.as_entire_binding() });
        }
        bindings
            .iter()
            .zip(&pipeline.groups)
            .map(|(entries, layout)| {
                gpu.device.create_bind_group(&wgpu::BindGroupDescriptor {
                    label: Some(&pipeline.name),
                    layout,
                    entries,
                })
            })
            .collect()
    }
}

/// Runs one effect now (the `run_shader` primitive): one submission, waits for completion.
/// Without `output`, a texture of the first input's size (or `fallback_size`) is created.
pub fn run_once(
    gpu: &Gpu,
    pipeline: Arc<EffectPipeline>,
    inputs: &[&GpuTexture],
    output: Option<Arc<GpuTexture>>,
    params: &[(String, ParamValue)],
    frame: &FrameValues,
) -> Result<Arc<GpuTexture>, GpuError> {
    let mut effect = EffectInstance::new(gpu, pipeline.clone())?;
    for (name, value) in params {
        effect.set(name, value)?;
    }
    let output = match output {
        Some(texture) => texture,
        None => {
            let (width, height) = inputs.first().map(|t| (t.width, t.height)).ok_or_else(|| GpuError::Effect {
                effect: pipeline.name.clone(),
                message: "needs an input texture or an explicit output texture to know its size".to_owned(),
            })?;
            Arc::new(GpuTexture::new(gpu, width, height, pipeline.output_format(), &pipeline.name)?)
        }
    };
    let mut encoder =
        gpu.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some(&pipeline.name) });
    effect.encode(gpu, &mut encoder, inputs, &output, frame)?;
    gpu.submit_and_wait(encoder.finish())?;
    Ok(output)
}
