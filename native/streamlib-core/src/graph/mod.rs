//! The stream graph: sources → effects → sinks, checked as it is built.

pub mod build;
pub mod export;
pub mod fusion;
pub mod scheduler;
pub mod watchdog;

use std::path::PathBuf;
use std::sync::Arc;

use crate::gpu::{Gpu, GpuError};
use crate::nodes::{effect_inputs, EffectHandle, LatestFrame, NodeSpec, NodeType, PreviewQueue, PushSlot};

pub use build::BuiltGraph;
pub use scheduler::{RunOptions, Running, Stats};
pub use watchdog::Overrun;

pub type NodeId = usize;

/// How frames cross an edge: drop old ones (previews) or never lose one (file sinks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    Latest,
    EveryFrame,
}

impl Delivery {
    pub fn parse(text: &str) -> Option<Delivery> {
        match text {
            "latest" => Some(Delivery::Latest),
            "every_frame" => Some(Delivery::EveryFrame),
            _ => None,
        }
    }
}

#[derive(Clone)]
pub enum SourceKind {
    TestPattern,
    Image {
        pixels: Arc<Vec<u8>>,
    },
    VideoFile {
        path: PathBuf,
        looping: bool,
    },
    /// Frames pushed from outside; with `fallback`, the test pattern shows until the first one arrives.
    Push {
        slot: Arc<PushSlot>,
        fallback: bool,
    },
    /// Frames played from a WHEP endpoint into `slot` while the graph runs (the test pattern until the first),
    /// and its H.264 as received, for WHEP sessions playing the source (`relay`).
    Whep {
        slot: Arc<PushSlot>,
        remote: Remote,
        relay: Arc<crate::webrtc::relay::Relay>,
    },
    /// Frames a WHIP client publishes into `serve`, decoded into `slot` (the test pattern until the first),
    /// and its H.264 as received, for WHEP sessions playing the source (`relay`).
    Whip {
        slot: Arc<PushSlot>,
        relay: Arc<crate::webrtc::relay::Relay>,
    },
}

/// Where a remote source plays from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Remote {
    pub url: String,
    pub token: Option<String>,
}

#[derive(Clone)]
pub enum SinkKind {
    Numpy(Arc<LatestFrame>),
    ImageSequence {
        directory: PathBuf,
        prefix: String,
    },
    VideoFile {
        path: PathBuf,
        fps: f64,
    },
    Preview(Arc<PreviewQueue>),
    /// Publishes to a WHIP endpoint while the graph runs.
    Whip {
        url: String,
        token: Option<String>,
    },
}

#[derive(Clone)]
pub enum NodeKind {
    Source { kind: SourceKind, width: u32, height: u32 },
    Effect(Arc<EffectHandle>),
    Sink(SinkKind),
}

/// A node of the graph: its type and params as made (what `to_config` writes), and the live parts the frame
/// loop runs.
pub struct Node {
    pub name: String,
    pub params: NodeType,
    pub kind: NodeKind,
}

impl Node {
    fn role(&self) -> &'static str {
        match self.kind {
            NodeKind::Source { .. } => "source",
            NodeKind::Effect(_) => "effect",
            NodeKind::Sink(_) => "sink",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    pub from: NodeId,
    pub from_port: String,
    pub to: NodeId,
    pub to_port: String,
    pub delivery: Delivery,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct GraphError(pub String);

/// Why a node could not join a graph: its name is taken, or the GPU refused what its params ask (`field`
/// names the param).
#[derive(Debug, thiserror::Error)]
pub enum AddError {
    #[error("{0}")]
    Graph(#[from] GraphError),
    #[error("{error}")]
    Gpu { field: String, error: GpuError },
}

pub const VIDEO: &str = "video";

#[derive(Default)]
pub struct Graph {
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
}

impl Graph {
    /// Adds the node `spec` describes, made on `gpu`.
    pub fn add(&mut self, name: &str, spec: &NodeSpec, gpu: &Arc<Gpu>) -> Result<NodeId, AddError> {
        if self.nodes.iter().any(|n| n.name == name) {
            return Err(GraphError(format!("a node named '{name}' is already in the graph")).into());
        }
        let kind = spec.make(gpu, name)?;
        self.nodes.push(Node { name: name.to_owned(), params: spec.params.clone(), kind });
        Ok(self.nodes.len() - 1)
    }

    pub fn node(&self, id: NodeId) -> Result<&Node, GraphError> {
        self.nodes.get(id).ok_or_else(|| GraphError(format!("no node with id {id}")))
    }

    pub fn find(&self, name: &str) -> Option<NodeId> {
        self.nodes.iter().position(|n| n.name == name)
    }

    pub fn output_ports(&self, id: NodeId) -> Vec<String> {
        match self.nodes.get(id).map(|n| &n.kind) {
            Some(NodeKind::Source { .. } | NodeKind::Effect(_)) => vec![VIDEO.to_owned()],
            _ => Vec::new(),
        }
    }

    /// `video` is the main input; an effect's extra textures are inputs named after them.
    pub fn input_ports(&self, id: NodeId) -> Vec<String> {
        match self.nodes.get(id).map(|n| &n.kind) {
            Some(NodeKind::Effect(effect)) => effect_inputs(&effect.shader()),
            Some(NodeKind::Sink(_)) => vec![VIDEO.to_owned()],
            _ => Vec::new(),
        }
    }

    pub fn connect(
        &mut self,
        from: NodeId,
        from_port: &str,
        to: NodeId,
        to_port: &str,
        delivery: Option<Delivery>,
    ) -> Result<(), GraphError> {
        let source = self.node(from)?;
        let target = self.node(to)?;
        let (a, b) = (&source.name, &target.name);
        let outputs = self.output_ports(from);
        if !outputs.iter().any(|p| p == from_port) {
            if self.input_ports(from).iter().any(|p| p == from_port) {
                return Err(GraphError(format!(
                    "type mismatch: '{a}.{from_port}' is an input; connect from an output (outputs of '{a}': {})",
                    list(&outputs)
                )));
            }
            return Err(GraphError(format!(
                "unknown port '{a}.{from_port}': {} '{a}' has outputs {}",
                source.role(),
                list(&outputs)
            )));
        }
        let inputs = self.input_ports(to);
        let to_port = if let Some(main) = self.main_input_alias(to, to_port) { main } else { to_port.to_owned() };
        if !inputs.contains(&to_port) {
            if self.output_ports(to).contains(&to_port) {
                return Err(GraphError(format!(
                    "type mismatch: '{b}.{to_port}' is an output; connect to an input (inputs of '{b}': {})",
                    list(&inputs)
                )));
            }
            return Err(GraphError(format!(
                "unknown port '{b}.{to_port}': {} '{b}' has inputs {}",
                target.role(),
                list(&inputs)
            )));
        }
        if let Some(existing) = self.edges.iter().find(|e| e.to == to && e.to_port == to_port) {
            let other = &self.nodes[existing.from].name;
            return Err(GraphError(format!(
                "'{b}.{to_port}' is already connected to '{other}.{}'",
                existing.from_port
            )));
        }
        if from == to || self.reaches(to, from) {
            return Err(GraphError(format!("connecting '{a}.{from_port}' → '{b}.{to_port}' would make a cycle")));
        }
        if let (Some(incoming), Some(existing)) = (self.resolution(from), self.input_resolution(to)) {
            if incoming != existing {
                return Err(GraphError(format!(
                    "resolution mismatch: '{a}.{from_port}' is {}x{} but '{b}' already receives {}x{}; resize one source so they match",
                    incoming.0, incoming.1, existing.0, existing.1
                )));
            }
        }
        let delivery = delivery.unwrap_or_else(|| self.nodes[to].params.default_delivery());
        self.edges.push(Edge { from, from_port: from_port.to_owned(), to, to_port, delivery });
        Ok(())
    }

    /// The first declared texture of an effect may be addressed by its own name or as `video`.
    fn main_input_alias(&self, id: NodeId, port: &str) -> Option<String> {
        match &self.nodes.get(id)?.kind {
            NodeKind::Effect(effect) if effect.input_names().first().is_some_and(|n| n == port) => {
                Some(VIDEO.to_owned())
            }
            _ => None,
        }
    }

    fn reaches(&self, from: NodeId, to: NodeId) -> bool {
        let mut stack = vec![from];
        let mut seen = vec![false; self.nodes.len()];
        while let Some(node) = stack.pop() {
            if node == to {
                return true;
            }
            if std::mem::replace(&mut seen[node], true) {
                continue;
            }
            stack.extend(self.edges.iter().filter(|e| e.from == node).map(|e| e.to));
        }
        false
    }

    /// Frame size a node outputs, when known.
    pub fn resolution(&self, id: NodeId) -> Option<(u32, u32)> {
        match &self.nodes.get(id)?.kind {
            NodeKind::Source { width, height, .. } => Some((*width, *height)),
            NodeKind::Effect(_) => {
                self.edges.iter().find(|e| e.to == id && e.to_port == VIDEO).and_then(|e| self.resolution(e.from))
            }
            NodeKind::Sink(_) => None,
        }
    }

    fn input_resolution(&self, id: NodeId) -> Option<(u32, u32)> {
        self.edges.iter().filter(|e| e.to == id).find_map(|e| self.resolution(e.from))
    }

    /// Every node in an order where each comes after its inputs; errors name what is not connected.
    pub fn plan_order(&self) -> Result<Vec<NodeId>, GraphError> {
        if self.nodes.is_empty() {
            return Err(GraphError("the graph is empty: add a source, an effect and a sink".to_owned()));
        }
        for (id, node) in self.nodes.iter().enumerate() {
            let needs: Vec<String> = match &node.kind {
                NodeKind::Source { .. } => Vec::new(),
                NodeKind::Effect(_) => self.input_ports(id),
                NodeKind::Sink(_) => vec![VIDEO.to_owned()],
            };
            for port in needs {
                if !self.edges.iter().any(|e| e.to == id && e.to_port == port) {
                    return Err(GraphError(format!("missing input: '{}.{port}' is not connected", node.name)));
                }
            }
        }
        let mut order = Vec::new();
        let mut placed = vec![false; self.nodes.len()];
        while order.len() < self.nodes.len() {
            let ready = (0..self.nodes.len())
                .find(|&id| !placed[id] && self.edges.iter().filter(|e| e.to == id).all(|e| placed[e.from]));
            let Some(id) = ready else {
                return Err(GraphError("the graph has a cycle".to_owned()));
            };
            placed[id] = true;
            order.push(id);
        }
        Ok(order)
    }
}

fn list(ports: &[String]) -> String {
    if ports.is_empty() {
        "none".to_owned()
    } else {
        ports.iter().map(|p| format!("'{p}'")).collect::<Vec<_>>().join(", ")
    }
}
