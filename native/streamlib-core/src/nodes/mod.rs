//! Sources and sinks of the stream graph (effects are `gpu::EffectInstance`s behind a handle).

pub mod effect;
pub mod frames;
pub mod sinks;
pub mod test_pattern;
pub mod video;

pub use effect::EffectHandle;
pub use frames::{LatestFrame, PreviewQueue, PushSlot};
pub use test_pattern::TestPattern;
