//! Sources and sinks of the stream graph (effects are `gpu::EffectInstance`s behind a handle).

pub mod catalog;
pub mod effect;
pub mod frames;
pub mod sinks;
pub mod spec;
pub mod test_pattern;
pub mod video;

pub use catalog::{NodeType, NodeTypeInfo, Role, CATALOG};
pub use effect::EffectHandle;
pub use frames::{LatestFrame, PreviewQueue, PushSlot};
pub use spec::{effect_inputs, NodeSpec};
pub use test_pattern::TestPattern;
