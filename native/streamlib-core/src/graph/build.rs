//! A graph config made into a runnable graph: shaders loaded, each node made as the catalog says, edges
//! connected in an order that lets the graph check every resolution.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use super::{AddError, Graph};
use crate::config::{check_sink_overrides, load_shaders, ConfigError, GraphConfig, LoadReport};
use crate::gpu::Gpu;
use crate::nodes::{EffectHandle, LatestFrame, NodeSpec, NodeType, PreviewQueue, PushSlot};
use crate::shader::Compiler;
use crate::webrtc::relay::Relay;

/// The graph a config describes, with the handles its owner drives it through.
pub struct BuiltGraph {
    pub graph: Graph,
    pub effects: BTreeMap<String, Arc<EffectHandle>>,
    pub numpy: BTreeMap<String, Arc<LatestFrame>>,
    pub previews: BTreeMap<String, Arc<PreviewQueue>>,
    pub push: BTreeMap<String, Arc<PushSlot>>,
    /// WHIP sources' slots, which the server's ingest sessions decode into.
    pub whip: BTreeMap<String, Arc<PushSlot>>,
    /// The H.264 of WHIP and WHEP sources as received, which WHEP sessions playing them pass on.
    pub relays: BTreeMap<String, Arc<Relay>>,
    pub report: Vec<LoadReport>,
}

impl Graph {
    /// The graph of `config` on `gpu`: the one loader of graph configs. `sink_overrides` replace file sinks'
    /// outputs (node id → image directory or video path).
    pub fn from_config(
        gpu: &Arc<Gpu>,
        compiler: &Compiler,
        config: &GraphConfig,
        sink_overrides: &BTreeMap<String, PathBuf>,
    ) -> Result<BuiltGraph, ConfigError> {
        check_sink_overrides(config, sink_overrides)?;
        let (shaders, report) = load_shaders(compiler, config)?;
        let mut graph = Graph::default();
        for (i, node) in config.nodes.iter().enumerate() {
            let (at, id) = (format!("nodes[{i}]"), node.id.as_str());
            let in_node = |field: &str, message: String| {
                ConfigError::new(format!("{at}.{field}"), format!("node '{id}': {message}"))
            };
            let params = match (&node.node, sink_overrides.get(id)) {
                (NodeType::ImageSequence(sink), Some(directory)) => {
                    let mut sink = sink.clone();
                    sink.directory = directory.to_string_lossy().into_owned();
                    NodeType::ImageSequence(sink)
                }
                (NodeType::VideoSink(sink), Some(path)) => {
                    let mut sink = sink.clone();
                    sink.path = path.to_string_lossy().into_owned();
                    NodeType::VideoSink(sink)
                }
                (params, _) => params.clone(),
            };
            let spec =
                NodeSpec::new(params, |key| shaders.get(key).cloned()).map_err(|e| in_node(&e.field, e.message))?;
            graph.add(id, &spec, gpu).map_err(|e| match e {
                AddError::Graph(e) => ConfigError::new(format!("{at}.id"), e.0),
                AddError::Gpu { field, error } => in_node(&field, error.to_string()),
            })?;
        }
        for index in config.connect_order() {
            let edge = &config.edges[index];
            let (Some(from), Some(to)) = (graph.find(&edge.from.node), graph.find(&edge.to.node)) else {
                return Err(ConfigError::new(
                    format!("edges[{index}]"),
                    format!("'{}' → '{}' names a node that is not in the graph", edge.from, edge.to),
                ));
            };
            graph
                .connect(from, &edge.from.port, to, &edge.to.port, Some(edge.delivery))
                .map_err(|e| ConfigError::new(format!("edges[{index}]"), e.0))?;
        }
        graph.plan_order().map_err(|e| ConfigError::new("edges", e.0))?;
        Ok(BuiltGraph {
            effects: graph.handles(|kind| match kind {
                super::NodeKind::Effect(handle) => Some(handle.clone()),
                _ => None,
            }),
            numpy: graph.handles(|kind| match kind {
                super::NodeKind::Sink(super::SinkKind::Numpy(latest)) => Some(latest.clone()),
                _ => None,
            }),
            previews: graph.handles(|kind| match kind {
                super::NodeKind::Sink(super::SinkKind::Preview(queue)) => Some(queue.clone()),
                _ => None,
            }),
            push: graph.handles(|kind| match kind {
                super::NodeKind::Source { kind: super::SourceKind::Push { slot, .. }, .. } => Some(slot.clone()),
                _ => None,
            }),
            whip: graph.handles(|kind| match kind {
                super::NodeKind::Source { kind: super::SourceKind::Whip { slot, .. }, .. } => Some(slot.clone()),
                _ => None,
            }),
            relays: graph.handles(|kind| match kind {
                super::NodeKind::Source {
                    kind: super::SourceKind::Whip { relay, .. } | super::SourceKind::Whep { relay, .. },
                    ..
                } => Some(relay.clone()),
                _ => None,
            }),
            graph,
            report,
        })
    }

    /// One kind of handle, by node name.
    fn handles<T>(&self, pick: impl Fn(&super::NodeKind) -> Option<T>) -> BTreeMap<String, T> {
        self.nodes.iter().filter_map(|n| Some((n.name.clone(), pick(&n.kind)?))).collect()
    }
}
