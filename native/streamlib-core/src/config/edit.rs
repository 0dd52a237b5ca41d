//! Editing a config in place of replacing it: nodes and edges removed and added in one step, the result
//! checked as a whole document would be. What `PATCH /v1/graph` applies, so a remote client grows or
//! trims a graph without sending all of it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::model::{DeliveryName, RawEdge, RawNode, ShaderConfig};
use super::{ConfigError, GraphConfig};
use crate::nodes::{NodeType, Role};

/// One edit: removals first (edges, then nodes with every edge touching them), then additions (shaders,
/// nodes, edges). All of it applies or none does.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GraphEdit {
    #[serde(default)]
    pub remove_edges: Vec<EdgeRef>,
    #[serde(default)]
    pub remove_nodes: Vec<String>,
    /// Shaders the added effects name, by key; a key already in the graph must hold the same shader.
    #[serde(default)]
    pub shaders: BTreeMap<String, ShaderConfig>,
    #[serde(default)]
    pub add_nodes: Vec<RawNode>,
    #[serde(default)]
    pub add_edges: Vec<NewEdge>,
}

/// An edge by its endpoints, "node.port".
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EdgeRef {
    pub from: String,
    pub to: String,
}

/// An edge to add; without `delivery`, the target node's default (`NodeType::default_delivery`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewEdge {
    pub from: String,
    pub to: String,
    #[serde(default)]
    pub delivery: Option<DeliveryName>,
}

impl GraphConfig {
    /// An empty graph with default runtime settings: what a first edit grows from.
    pub fn empty() -> GraphConfig {
        GraphConfig { runtime: Default::default(), nodes: Vec::new(), edges: Vec::new(), shaders: BTreeMap::new() }
    }

    /// This config with `edit` applied and the result checked as `parse` checks a document. Errors name the
    /// edit's own field (`remove_nodes[0]`, `shaders.tint`) or, for what only the whole graph shows, the
    /// edited document's (`nodes[3].params.width`).
    pub fn edited(&self, edit: &GraphEdit) -> Result<GraphConfig, ConfigError> {
        let mut value = self.to_value().map_err(|e| ConfigError::new("", e.to_string()))?;
        let document = value.as_object_mut().expect("a config serializes to an object");
        let mut nodes: Vec<RawNode> = serde_json::from_value(document["nodes"].take()).expect("written nodes read");
        let mut edges: Vec<RawEdge> = serde_json::from_value(document["edges"].take()).expect("written edges read");
        let mut shaders = self.shaders.clone();

        for (i, gone) in edit.remove_edges.iter().enumerate() {
            let before = edges.len();
            edges.retain(|e| !(e.from == gone.from && e.to == gone.to));
            if edges.len() == before {
                return Err(ConfigError::new(
                    format!("remove_edges[{i}]"),
                    format!("no edge {} → {} in the graph", gone.from, gone.to),
                ));
            }
        }
        for (i, id) in edit.remove_nodes.iter().enumerate() {
            let Some(at) = nodes.iter().position(|n| n.id == *id) else {
                let ids: Vec<&str> = nodes.iter().map(|n| n.id.as_str()).collect();
                return Err(ConfigError::new(
                    format!("remove_nodes[{i}]"),
                    format!("no node '{id}' (nodes: {})", if ids.is_empty() { "none".into() } else { ids.join(", ") }),
                ));
            };
            nodes.remove(at);
            edges.retain(|e| endpoint_node(&e.from) != id && endpoint_node(&e.to) != id);
        }
        // A shader no node runs any more goes with its last user (and its key is free for an added one).
        drop_unused(&mut shaders, &nodes);
        for (key, shader) in &edit.shaders {
            match shaders.get(key) {
                Some(existing) if existing.sha256 != shader.sha256 || existing.entry != shader.entry => {
                    return Err(ConfigError::new(
                        format!("shaders.{key}"),
                        format!("the graph already has a different shader '{key}'; give this one another key"),
                    ));
                }
                Some(_) => {}
                None => {
                    shaders.insert(key.clone(), shader.clone());
                }
            }
        }
        nodes.extend(edit.add_nodes.iter().cloned());
        for (i, edge) in edit.add_edges.iter().enumerate() {
            let delivery = match edge.delivery {
                Some(delivery) => delivery,
                None => default_delivery(&nodes, &edge.to)
                    .ok_or_else(|| ConfigError::new(format!("add_edges[{i}].to"), no_node(&nodes, &edge.to)))?,
            };
            edges.push(RawEdge { from: edge.from.clone(), to: edge.to.clone(), delivery });
        }
        drop_unused(&mut shaders, &nodes);

        document.insert("nodes".into(), serde_json::to_value(nodes).map_err(|e| ConfigError::new("", e.to_string()))?);
        document.insert("edges".into(), serde_json::to_value(edges).map_err(|e| ConfigError::new("", e.to_string()))?);
        document
            .insert("shaders".into(), serde_json::to_value(shaders).map_err(|e| ConfigError::new("", e.to_string()))?);
        GraphConfig::parse(&value.to_string())
    }
}

fn drop_unused(shaders: &mut BTreeMap<String, ShaderConfig>, nodes: &[RawNode]) {
    let used: Vec<&str> = nodes
        .iter()
        .filter(|n| n.kind == Role::Effect)
        .filter_map(|n| n.params.get("shader").and_then(Value::as_str))
        .collect();
    shaders.retain(|key, _| used.contains(&key.as_str()));
}

fn endpoint_node(endpoint: &str) -> &str {
    endpoint.rsplit_once('.').map_or(endpoint, |(node, _)| node)
}

fn no_node(nodes: &[RawNode], endpoint: &str) -> String {
    let ids: Vec<&str> = nodes.iter().map(|n| n.id.as_str()).collect();
    format!("no node '{}' (nodes: {})", endpoint_node(endpoint), ids.join(", "))
}

fn default_delivery(nodes: &[RawNode], to: &str) -> Option<DeliveryName> {
    let node = nodes.iter().find(|n| n.id == endpoint_node(to))?;
    let typed = NodeType::lookup(node.kind, &node.ty).ok()?.read(node.params.clone(), "params").ok()?;
    Some(typed.default_delivery().into())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::graph::Delivery;

    fn graph() -> GraphConfig {
        let text = json!({
            "format": "streamlib.graph", "version": 1, "runtime": {"fps": 30.0, "adapter": null},
            "nodes": [
                {"id": "a", "kind": "source", "type": "test_pattern", "params": {"width": 64, "height": 48}},
                {"id": "out", "kind": "sink", "type": "numpy", "params": {}},
            ],
            "edges": [{"from": "a.video", "to": "out.video", "delivery": "latest"}],
            "shaders": {},
        });
        GraphConfig::parse(&text.to_string()).unwrap()
    }

    fn edit(value: Value) -> GraphEdit {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn adds_a_node_and_an_edge_with_the_targets_default_delivery() {
        let edited = graph()
            .edited(&edit(json!({
                "add_nodes": [
                    {"id": "b", "kind": "source", "type": "solid_color",
                     "params": {"width": 64, "height": 48, "rgba": [0.0, 0.0, 0.0, 1.0]}},
                    {"id": "seq", "kind": "sink", "type": "image_sequence",
                     "params": {"directory": "frames", "prefix": "f"}},
                ],
                "add_edges": [{"from": "b.video", "to": "seq.video"}],
            })))
            .unwrap();
        assert_eq!(edited.nodes.len(), 4);
        let edge = edited.edges.iter().find(|e| e.to.node == "seq").unwrap();
        assert_eq!((edge.from.node.as_str(), edge.delivery), ("b", Delivery::EveryFrame));
    }

    #[test]
    fn removing_a_node_takes_its_edges_and_nothing_else() {
        let edited = graph().edited(&edit(json!({"remove_nodes": ["out"]}))).unwrap();
        assert_eq!(edited.nodes.iter().map(|n| n.id.as_str()).collect::<Vec<_>>(), ["a"]);
        assert!(edited.edges.is_empty());
    }

    #[test]
    fn refusals_name_the_edit_field_and_change_nothing() {
        let original = graph();
        let missing = original.edited(&edit(json!({"remove_nodes": ["nope"]}))).unwrap_err();
        assert_eq!(missing.field, "remove_nodes[0]");
        assert!(missing.message.contains("nodes: a, out"), "{missing}");
        let edge = original.edited(&edit(json!({"remove_edges": [{"from": "a.video", "to": "x.video"}]})));
        assert_eq!(edge.unwrap_err().field, "remove_edges[0]");
        let duplicate = original
            .edited(&edit(json!({"add_nodes": [
                {"id": "a", "kind": "source", "type": "test_pattern", "params": {"width": 8, "height": 8}}]})))
            .unwrap_err();
        assert_eq!(duplicate.field, "nodes[2].id");
        let dangling = original.edited(&edit(json!({"add_edges": [{"from": "a.video", "to": "z.video"}]})));
        assert_eq!(dangling.unwrap_err().field, "add_edges[0].to");
        assert_eq!(original, graph());
    }

    fn shader(source: &str) -> Value {
        json!({"name": "fx.hlsl", "stage": "pixel", "entry": "main", "backend": "glslang", "source": source,
               "sha256": crate::shader::cache::sha256_hex(source.as_bytes()), "artifacts": {},
               "artifact_source_sha256": null})
    }

    #[test]
    fn an_effect_replaced_in_one_edit_takes_its_shader_key_along() {
        let effect = |source: &str| {
            edit(json!({
                "shaders": {"fx": shader(source)},
                "add_nodes": [{"id": "fx", "kind": "effect", "type": "effect", "params": {"shader": "fx", "values": {}}}],
                "add_edges": [{"from": "a.video", "to": "fx.video"}],
            }))
        };
        let first = graph().edited(&effect("float4 main() : SV_Target { return 1; }")).unwrap();
        let clash = first.edited(&effect("float4 main() : SV_Target { return 0; }")).unwrap_err();
        assert_eq!(clash.field, "shaders.fx");
        let mut replace = effect("float4 main() : SV_Target { return 0; }");
        replace.remove_nodes.push("fx".into());
        let second = first.edited(&replace).unwrap();
        assert!(second.shaders["fx"].source.contains("return 0"));
        assert_eq!(second.edges.iter().filter(|e| e.to.node == "fx").count(), 1);
    }

    #[test]
    fn unknown_fields_are_refused() {
        assert!(serde_json::from_value::<GraphEdit>(json!({"add_node": []})).is_err());
    }
}
