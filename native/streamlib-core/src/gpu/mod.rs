//! GPU access through wgpu: adapter choice, textures, effect pipelines built from compiled shaders.

pub mod device;
pub mod effect;
pub mod fullscreen;
pub mod params;
pub mod scale;
pub mod texture;

pub use device::{adapters, AdapterDescription, AdapterPreference, Gpu};
pub use effect::{run_once, EffectInstance, EffectPipeline, FrameValues};
pub use params::{BatchError, ParamValue};
pub use texture::{GpuTexture, TextureFormat};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GpuError {
    #[error("no usable GPU adapter: {tried}. {hint}")]
    NoAdapter { tried: String, hint: String },
    #[error("cannot open GPU device on '{adapter}': {message}")]
    Device { adapter: String, message: String },
    #[error("effect '{effect}': {message}")]
    Effect { effect: String, message: String },
    #[error("effect '{effect}': parameter '{parameter}' {message}")]
    Parameter { effect: String, parameter: String, message: String },
    #[error("texture {width}x{height} {format}: {message}")]
    Texture { width: u32, height: u32, format: String, message: String },
    #[error("GPU operation failed: {0}")]
    Operation(String),
}
