//! Textures: creation with checked sizes, upload from tightly packed rows, and readback.

use serde::{Deserialize, Serialize};

use super::device::Gpu;
use super::GpuError;

/// Frame formats. rgba8 is the default: ~4× cheaper to move than rgba32f.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TextureFormat {
    Rgba8Unorm,
    Rgba16Float,
    Rgba32Float,
}

impl TextureFormat {
    pub fn parse(text: &str) -> Option<TextureFormat> {
        match text {
            "rgba8unorm" | "rgba8" => Some(TextureFormat::Rgba8Unorm),
            "rgba16float" | "rgba16f" => Some(TextureFormat::Rgba16Float),
            "rgba32float" | "rgba32f" => Some(TextureFormat::Rgba32Float),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TextureFormat::Rgba8Unorm => "rgba8unorm",
            TextureFormat::Rgba16Float => "rgba16float",
            TextureFormat::Rgba32Float => "rgba32float",
        }
    }

    pub fn wgpu(self) -> wgpu::TextureFormat {
        match self {
            TextureFormat::Rgba8Unorm => wgpu::TextureFormat::Rgba8Unorm,
            TextureFormat::Rgba16Float => wgpu::TextureFormat::Rgba16Float,
            TextureFormat::Rgba32Float => wgpu::TextureFormat::Rgba32Float,
        }
    }

    pub fn bytes_per_pixel(self) -> u32 {
        match self {
            TextureFormat::Rgba8Unorm => 4,
            TextureFormat::Rgba16Float => 8,
            TextureFormat::Rgba32Float => 16,
        }
    }

    /// The SPIR-V storage image format a shader must declare to write this texture.
    pub fn spirv_storage_name(self) -> &'static str {
        match self {
            TextureFormat::Rgba8Unorm => "rgba8",
            TextureFormat::Rgba16Float => "rgba16f",
            TextureFormat::Rgba32Float => "rgba32f",
        }
    }
}

pub struct GpuTexture {
    pub texture: wgpu::Texture,
    pub view: wgpu::TextureView,
    pub width: u32,
    pub height: u32,
    pub format: TextureFormat,
}

impl std::fmt::Debug for GpuTexture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "GpuTexture({}x{} {})", self.width, self.height, self.format.as_str())
    }
}

impl GpuTexture {
    /// A texture like this one on `gpu` (a device that replaced a lost one); its pixels are not copied.
    pub fn recreated_on(&self, gpu: &Gpu) -> Result<GpuTexture, GpuError> {
        GpuTexture::new(gpu, self.width, self.height, self.format, "recreated after a device loss")
    }

    pub fn new(gpu: &Gpu, width: u32, height: u32, format: TextureFormat, label: &str) -> Result<GpuTexture, GpuError> {
        let error = |message: String| GpuError::Texture { width, height, format: format.as_str().to_owned(), message };
        if width == 0 || height == 0 {
            return Err(error("width and height must be at least 1".to_owned()));
        }
        if width > gpu.max_texture_dimension || height > gpu.max_texture_dimension {
            return Err(error(format!("exceeds max {} on {}", gpu.max_texture_dimension, gpu.adapter.name)));
        }
        let mut usage = wgpu::TextureUsages::TEXTURE_BINDING
            | wgpu::TextureUsages::RENDER_ATTACHMENT
            | wgpu::TextureUsages::COPY_SRC
            | wgpu::TextureUsages::COPY_DST;
        if format != TextureFormat::Rgba16Float
            || gpu.device.features().contains(wgpu::Features::TEXTURE_ADAPTER_SPECIFIC_FORMAT_FEATURES)
        {
            usage |= wgpu::TextureUsages::STORAGE_BINDING;
        }
        let texture = gpu.device.create_texture(&wgpu::TextureDescriptor {
            label: Some(label),
            size: wgpu::Extent3d { width, height, depth_or_array_layers: 1 },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format: format.wgpu(),
            usage,
            view_formats: &[],
        });
        let view = texture.create_view(&wgpu::TextureViewDescriptor::default());
        Ok(GpuTexture { texture, view, width, height, format })
    }

    pub fn byte_len(&self) -> usize {
        self.width as usize * self.height as usize * self.format.bytes_per_pixel() as usize
    }

    /// Uploads tightly packed rows (width × bytes per pixel each, top row first).
    pub fn upload(&self, gpu: &Gpu, bytes: &[u8]) -> Result<(), GpuError> {
        if bytes.len() != self.byte_len() {
            return Err(GpuError::Texture {
                width: self.width,
                height: self.height,
                format: self.format.as_str().to_owned(),
                message: format!("upload of {} bytes, expected {}", bytes.len(), self.byte_len()),
            });
        }
        gpu.queue.write_texture(
            self.texture.as_image_copy(),
            bytes,
            wgpu::TexelCopyBufferLayout {
                offset: 0,
                bytes_per_row: Some(self.width * self.format.bytes_per_pixel()),
                rows_per_image: Some(self.height),
            },
            wgpu::Extent3d { width: self.width, height: self.height, depth_or_array_layers: 1 },
        );
        Ok(())
    }

    /// Reads the texture back as tightly packed rows; waits for all earlier GPU work.
    pub fn read(&self, gpu: &Gpu) -> Result<Vec<u8>, GpuError> {
        let staging = Readback::new(gpu, self);
        let mut encoder =
            gpu.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("readback") });
        staging.encode_copy(&mut encoder, self);
        gpu.submit_and_wait(encoder.finish())?;
        staging.finish(gpu)
    }
}

/// A staging buffer a texture is copied into inside a larger submission, then mapped after it.
pub struct Readback {
    buffer: wgpu::Buffer,
    padded_row: u32,
    row: u32,
    height: u32,
    width: u32,
}

impl Readback {
    pub fn new(gpu: &Gpu, texture: &GpuTexture) -> Readback {
        let row = texture.width * texture.format.bytes_per_pixel();
        let padded_row = row.div_ceil(wgpu::COPY_BYTES_PER_ROW_ALIGNMENT) * wgpu::COPY_BYTES_PER_ROW_ALIGNMENT;
        let buffer = gpu.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("readback staging"),
            size: u64::from(padded_row) * u64::from(texture.height),
            usage: wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::MAP_READ,
            mapped_at_creation: false,
        });
        Readback { buffer, padded_row, row, height: texture.height, width: texture.width }
    }

    pub fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// Whether `texture` copies into this buffer (same size and bytes per pixel).
    pub fn fits(&self, texture: &GpuTexture) -> bool {
        (self.width, self.height, self.row)
            == (texture.width, texture.height, texture.width * texture.format.bytes_per_pixel())
    }

    pub fn encode_copy(&self, encoder: &mut wgpu::CommandEncoder, texture: &GpuTexture) {
        encoder.copy_texture_to_buffer(
            texture.texture.as_image_copy(),
            wgpu::TexelCopyBufferInfo {
                buffer: &self.buffer,
                layout: wgpu::TexelCopyBufferLayout {
                    offset: 0,
                    bytes_per_row: Some(self.padded_row),
                    rows_per_image: Some(self.height),
                },
            },
            wgpu::Extent3d { width: texture.width, height: texture.height, depth_or_array_layers: 1 },
        );
    }

    /// Maps the buffer (after the submission that filled it) and strips row padding; reusable after.
    pub fn finish(&self, gpu: &Gpu) -> Result<Vec<u8>, GpuError> {
        self.finish_when(|| gpu.wait_idle())
    }

    /// `finish` for a copy made by `submission`, leaving later submissions running.
    pub fn finish_after(&self, gpu: &Gpu, submission: wgpu::SubmissionIndex) -> Result<Vec<u8>, GpuError> {
        self.finish_when(|| gpu.wait_for(submission))
    }

    fn finish_when(&self, wait: impl FnOnce() -> Result<(), GpuError>) -> Result<Vec<u8>, GpuError> {
        let slice = self.buffer.slice(..);
        let (send, receive) = std::sync::mpsc::channel();
        slice.map_async(wgpu::MapMode::Read, move |result| {
            let _ = send.send(result);
        });
        wait()?;
        receive
            .recv()
            .map_err(|_| GpuError::Operation("readback mapping was dropped".to_owned()))?
            .map_err(|e| GpuError::Operation(format!("readback mapping failed: {e}")))?;
        let mapped =
            slice.get_mapped_range().map_err(|e| GpuError::Operation(format!("readback mapping failed: {e}")))?;
        let mut out = Vec::with_capacity(self.row as usize * self.height as usize);
        for row in mapped.chunks(self.padded_row as usize).take(self.height as usize) {
            out.extend_from_slice(&row[..self.row as usize]);
        }
        drop(mapped);
        self.buffer.unmap();
        Ok(out)
    }
}
