//! The graph config as types: what a document holds once read, and the serde forms it is read from and
//! written as.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::graph::Delivery;
use crate::nodes::{NodeType, Role};
use crate::shader::{BackendKind, Language, Stage};

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
    /// The frame watchdog's budget for one effect pass; None: `graph::watchdog::budget_ms`'s default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watchdog_ms: Option<f64>,
    /// Whether chains of effects may be drawn as single passes (`graph::fusion`); None: yes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fuse: Option<bool>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NodeConfig {
    pub id: String,
    pub node: NodeType,
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

    /// The targets `names` ask for, each once, in the order given; an unknown name is refused, naming the known.
    pub fn parse_list(names: &[String]) -> Result<Vec<Target>, super::ConfigError> {
        let mut wanted = Vec::new();
        for name in names {
            let target = Target::parse(name).ok_or_else(|| {
                let known: Vec<&str> = Target::ALL.iter().map(|t| t.as_str()).collect();
                super::ConfigError::new("targets", format!("unknown target '{name}' (known: {})", known.join(", ")))
            })?;
            if !wanted.contains(&target) {
                wanted.push(target);
            }
        }
        Ok(wanted)
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
    /// "hlsl" (written only when it is not) or "glsl" (a Shadertoy-style effect).
    #[serde(default, skip_serializing_if = "Language::is_hlsl")]
    pub language: Language,
    pub stage: Stage,
    pub entry: String,
    pub backend: BackendKind,
    pub source: String,
    /// Preprocessor defines the source is compiled with (written only when there are some).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub defines: BTreeMap<String, String>,
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
