//! The graph describing itself as a graph config: the one exporter. Each node writes the params it was made
//! with, except an effect, which writes the shader and values it runs now (after swaps and `set`s).

use std::collections::BTreeMap;
use std::path::Path;

use super::{Graph, NodeKind};
use crate::config::{
    ConfigError, EdgeConfig, Endpoint, GraphConfig, NodeConfig, RuntimeSettings, ShaderConfig, Target,
};
use crate::nodes::catalog::EffectParams;
use crate::nodes::NodeType;
use crate::shader::CompiledShader;

impl Graph {
    /// This graph as a config, with the artifacts `targets` ask for.
    pub fn to_config(&self, runtime: RuntimeSettings, targets: &[Target]) -> Result<GraphConfig, ConfigError> {
        let mut shaders = ShaderKeys::default();
        let mut nodes = Vec::with_capacity(self.nodes.len());
        for node in &self.nodes {
            let params = match &node.kind {
                NodeKind::Effect(handle) => {
                    let shader = handle.shader();
                    let values = handle.lock().values().into_iter().collect();
                    let fuse = !matches!(&node.params, NodeType::Effect(p) if !p.fuse);
                    NodeType::Effect(EffectParams { shader: shaders.key(&shader, targets), values, fuse })
                }
                _ => node.params.clone(),
            };
            nodes.push(NodeConfig { id: node.name.clone(), node: params });
        }
        let endpoint = |id: usize, port: &str| Endpoint { node: self.nodes[id].name.clone(), port: port.to_owned() };
        let edges = self
            .edges
            .iter()
            .map(|e| EdgeConfig {
                from: endpoint(e.from, &e.from_port),
                to: endpoint(e.to, &e.to_port),
                delivery: e.delivery,
            })
            .collect();
        Ok(GraphConfig { runtime, nodes, edges, shaders: shaders.configs })
    }
}

/// Shaders by config key: one per distinct shader, keyed by its file name's stem (`tint.hlsl` → `tint`,
/// then `tint_2`, …).
#[derive(Default)]
struct ShaderKeys {
    configs: BTreeMap<String, ShaderConfig>,
    keys: Vec<(ShaderIdentity, String)>,
}

type ShaderIdentity = (String, String, String, String, String);

impl ShaderKeys {
    fn key(&mut self, shader: &CompiledShader, targets: &[Target]) -> String {
        let identity = (
            shader.name.clone(),
            shader.source_hash.clone(),
            shader.stage.as_str().to_owned(),
            shader.entry.clone(),
            shader.backend.as_str().to_owned(),
        );
        if let Some((_, key)) = self.keys.iter().find(|(known, _)| *known == identity) {
            return key.clone();
        }
        let stem = Path::new(&shader.name).file_stem().and_then(|s| s.to_str()).filter(|s| !s.is_empty());
        let stem = stem.unwrap_or("shader");
        let mut key = stem.to_owned();
        let mut number = 1;
        while self.configs.contains_key(&key) {
            number += 1;
            key = format!("{stem}_{number}");
        }
        self.configs.insert(key.clone(), ShaderConfig::export(shader, targets));
        self.keys.push((identity, key.clone()));
        key
    }
}
