//! The graph config as types: what a document holds once read, and the serde forms it is read from and
//! written as.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::graph::Delivery;
use crate::shader::{BackendKind, Stage};

#[derive(Debug, Clone, PartialEq)]
pub struct GraphConfig {
    pub runtime: RuntimeSettings,
    pub nodes: Vec<NodeConfig>,
    pub edges: Vec<EdgeConfig>,
    pub shaders: BTreeMap<String, ShaderConfig>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuntimeSettings {
    /// The rate the runtime paces frames to; None runs as fast as the GPU goes.
    pub fps: Option<f64>,
    /// Adapter name substring (as `STREAMLIB_ADAPTER`); None picks the most capable device.
    pub adapter: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Source,
    Effect,
    Sink,
}

impl Role {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Role::Source => "source",
            Role::Effect => "effect",
            Role::Sink => "sink",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct NodeConfig {
    pub id: String,
    pub node: NodeType,
}

/// What a node is, by its (kind, type) pair; each carries its own params.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeType {
    TestPattern(SizeParams),
    Image(ImageParams),
    VideoSource(VideoSourceParams),
    Push(SizeParams),
    Effect(EffectParams),
    ImageSequence(ImageSequenceParams),
    VideoSink(VideoSinkParams),
    Numpy(NoParams),
    Preview(PreviewParams),
}

/// Every (kind, type) this runtime supports, in the order error messages list them.
pub(super) const SUPPORTED: &[(Role, &str)] = &[
    (Role::Source, "test_pattern"),
    (Role::Source, "image"),
    (Role::Source, "video_file"),
    (Role::Source, "push"),
    (Role::Effect, "effect"),
    (Role::Sink, "image_sequence"),
    (Role::Sink, "video_file"),
    (Role::Sink, "numpy"),
    (Role::Sink, "preview"),
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SizeParams {
    pub width: u32,
    pub height: u32,
}

/// A still image: a file path (relative paths resolve against the working directory) or the PNG inline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub png_base64: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VideoSourceParams {
    pub path: String,
    /// Scale to this size; both or neither (then the file's own size).
    #[serde(default)]
    pub width: Option<u32>,
    #[serde(default)]
    pub height: Option<u32>,
    #[serde(rename = "loop")]
    pub looping: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EffectParams {
    /// A key of the config's `shaders`.
    pub shader: String,
    pub values: BTreeMap<String, Vec<f64>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageSequenceParams {
    pub directory: String,
    pub prefix: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VideoSinkParams {
    pub path: String,
    pub fps: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoParams {}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreviewParams {
    pub quality: u8,
}

impl NodeType {
    pub fn role(&self) -> Role {
        match self {
            NodeType::TestPattern(_) | NodeType::Image(_) | NodeType::VideoSource(_) | NodeType::Push(_) => {
                Role::Source
            }
            NodeType::Effect(_) => Role::Effect,
            NodeType::ImageSequence(_) | NodeType::VideoSink(_) | NodeType::Numpy(_) | NodeType::Preview(_) => {
                Role::Sink
            }
        }
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            NodeType::TestPattern(_) => "test_pattern",
            NodeType::Image(_) => "image",
            NodeType::VideoSource(_) | NodeType::VideoSink(_) => "video_file",
            NodeType::Push(_) => "push",
            NodeType::Effect(_) => "effect",
            NodeType::ImageSequence(_) => "image_sequence",
            NodeType::Numpy(_) => "numpy",
            NodeType::Preview(_) => "preview",
        }
    }

    /// "an effect", "a numpy sink", "a test_pattern source".
    pub fn describe(&self) -> String {
        match self.role() {
            Role::Effect => "an effect".to_owned(),
            role => format!("a {} {}", self.type_name(), role.as_str()),
        }
    }
}

/// One connection, `from` an output port `to` an input port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeConfig {
    pub from: Endpoint,
    pub to: Endpoint,
    pub delivery: Delivery,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Endpoint {
    pub node: String,
    pub port: String,
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.node, self.port)
    }
}

/// Which artifact each export target asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Target {
    Vulkan,
    Metal,
    WebGl,
}

impl Target {
    pub const ALL: [Target; 3] = [Target::Vulkan, Target::Metal, Target::WebGl];

    pub fn parse(text: &str) -> Option<Target> {
        match text {
            "vulkan" => Some(Target::Vulkan),
            "metal" => Some(Target::Metal),
            "webgl" => Some(Target::WebGl),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Target::Vulkan => "vulkan",
            Target::Metal => "metal",
            Target::WebGl => "webgl",
        }
    }

    pub fn artifact(self) -> &'static str {
        match self {
            Target::Vulkan => ARTIFACT_SPIRV,
            Target::Metal => ARTIFACT_MSL,
            Target::WebGl => ARTIFACT_GLSL_ES,
        }
    }
}

pub(super) const ARTIFACT_SPIRV: &str = "spirv";
pub(super) const ARTIFACT_MSL: &str = "msl";
pub(super) const ARTIFACT_GLSL_ES: &str = "glsl_es";

/// One shader: its HLSL source (the truth) and artifacts compiled from it for the requested targets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShaderConfig {
    pub name: String,
    pub stage: Stage,
    pub entry: String,
    pub backend: BackendKind,
    pub source: String,
    /// sha256 of `source` (UTF-8 bytes), lowercase hex.
    pub sha256: String,
    /// "spirv" (base64 of the words, little-endian), "msl", "glsl_es" (null for stages WebGL2 cannot run).
    pub artifacts: BTreeMap<String, Option<String>>,
    /// sha256 of the source the artifacts were compiled from; artifacts are used only when it is `sha256`.
    #[serde(default)]
    pub artifact_source_sha256: Option<String>,
}

// --------------------------------------------------------------------------- the document as written

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    pub format: String,
    pub version: u64,
    pub runtime: RuntimeSettings,
    pub nodes: Vec<RawNode>,
    pub edges: Vec<RawEdge>,
    pub shaders: BTreeMap<String, ShaderConfig>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNode {
    pub id: String,
    pub kind: Role,
    #[serde(rename = "type")]
    pub ty: String,
    pub params: Value,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEdge {
    pub from: String,
    pub to: String,
    pub delivery: DeliveryName,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryName {
    Latest,
    EveryFrame,
}

impl From<DeliveryName> for Delivery {
    fn from(name: DeliveryName) -> Delivery {
        match name {
            DeliveryName::Latest => Delivery::Latest,
            DeliveryName::EveryFrame => Delivery::EveryFrame,
        }
    }
}

impl From<Delivery> for DeliveryName {
    fn from(delivery: Delivery) -> DeliveryName {
        match delivery {
            Delivery::Latest => DeliveryName::Latest,
            Delivery::EveryFrame => DeliveryName::EveryFrame,
        }
    }
}

/// What Python hands over for export: the graph as the config has it, shaders without hashes or artifacts.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportDescription {
    pub runtime: RuntimeSettings,
    pub nodes: Vec<RawNode>,
    pub edges: Vec<RawEdge>,
    pub shaders: BTreeMap<String, ShaderSource>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShaderSource {
    pub name: String,
    pub stage: Stage,
    pub entry: String,
    pub backend: BackendKind,
    pub source: String,
}

impl GraphConfig {
    /// The edges in an order where each node's inputs are connected before its output is used, so the
    /// graph's resolution checks see every size they compare (cycles are left for the graph to report).
    pub fn connect_order(&self) -> Vec<usize> {
        let mut pending: Vec<usize> = (0..self.edges.len()).collect();
        let mut order = Vec::with_capacity(pending.len());
        while let Some(at) = pending.iter().position(|&e| {
            let from = &self.edges[e].from.node;
            pending.iter().all(|&other| &self.edges[other].to.node != from)
        }) {
            order.push(pending.remove(at));
        }
        order.extend(pending);
        order
    }

    pub fn node_index(&self, id: &str) -> Option<usize> {
        self.nodes.iter().position(|n| n.id == id)
    }
}

#[cfg(test)]
mod tests {
    use crate::config::fixtures::{parse, sample};

    #[test]
    fn connect_order_puts_a_nodes_inputs_first() {
        let config = parse(&sample()).unwrap();
        let order: Vec<String> =
            config.connect_order().into_iter().map(|i| format!("{}", config.edges[i].from)).collect();
        assert_eq!(order, ["pattern.video", "copy.video", "copy.video"]);
    }
}
