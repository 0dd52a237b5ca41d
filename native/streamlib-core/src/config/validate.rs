//! Reading a config: the header first (format, version), then the schema through serde with the exact field
//! path of a violation, then what serde cannot check (ids, sizes, shader hashes, edge endpoints).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde_json::Value;

use super::artifacts::decode_spirv;
use super::model::{
    EdgeConfig, Endpoint, GraphConfig, NodeConfig, RawConfig, RawEdge, RawNode, RuntimeSettings, ShaderConfig,
    ARTIFACT_GLSL_ES, ARTIFACT_MSL, ARTIFACT_SPIRV,
};
use super::{ConfigError, FORMAT, VERSION};
use crate::graph::VIDEO;
use crate::nodes::catalog::typed;
use crate::nodes::{NodeType, Role};
use crate::shader::cache::sha256_hex;

impl GraphConfig {
    /// Parses and validates a config: format, version, schema, hashes, node types, edges.
    pub fn parse(text: &str) -> Result<GraphConfig, ConfigError> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| ConfigError::new("", format!("not valid JSON: {e}")))?;
        check_header(&value)?;
        let raw: RawConfig = typed(value, "")?;
        GraphConfig::from_raw(raw.runtime, raw.nodes, raw.edges, raw.shaders)
    }

    pub(super) fn from_raw(
        runtime: RuntimeSettings,
        nodes: Vec<RawNode>,
        edges: Vec<RawEdge>,
        shaders: BTreeMap<String, ShaderConfig>,
    ) -> Result<GraphConfig, ConfigError> {
        if let Some(fps) = runtime.fps {
            if !(fps.is_finite() && fps > 0.0) {
                return Err(ConfigError::new(
                    "runtime.fps",
                    format!("must be a positive number of frames per second or null, not {fps}"),
                ));
            }
        }
        if let Some(budget) = runtime.watchdog_ms {
            if !(budget.is_finite() && budget > 0.0) {
                return Err(ConfigError::new(
                    "runtime.watchdog_ms",
                    format!("must be a positive number of milliseconds or absent, not {budget}"),
                ));
            }
        }
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        let mut typed_nodes = Vec::with_capacity(nodes.len());
        for (i, raw) in nodes.into_iter().enumerate() {
            let at = format!("nodes[{i}]");
            if raw.id.is_empty() {
                return Err(ConfigError::new(format!("{at}.id"), "must not be empty"));
            }
            if let Some(first) = seen.insert(raw.id.clone(), i) {
                return Err(ConfigError::new(
                    format!("{at}.id"),
                    format!("'{}' is also the id of nodes[{first}]; node ids must be unique", raw.id),
                ));
            }
            let id = &raw.id;
            let info = NodeType::lookup(raw.kind, &raw.ty)
                .map_err(|why| ConfigError::new(format!("{at}.type"), format!("node '{id}': {why}")))?;
            let node = info
                .read(raw.params, &format!("{at}.params"))
                .map_err(|e| ConfigError::new(e.field, format!("node '{id}': {}", e.message)))?;
            if let NodeType::Effect(effect) = &node {
                if !shaders.contains_key(&effect.shader) {
                    let have: Vec<&str> = shaders.keys().map(String::as_str).collect();
                    return Err(ConfigError::new(
                        format!("{at}.params.shader"),
                        format!(
                            "node '{id}': no shader '{}' in shaders (have: {})",
                            effect.shader,
                            list_or_none(&have)
                        ),
                    ));
                }
            }
            typed_nodes.push(NodeConfig { id: raw.id, node });
        }
        let mut typed_edges = Vec::with_capacity(edges.len());
        for (i, raw) in edges.into_iter().enumerate() {
            let at = format!("edges[{i}]");
            let from = Endpoint::parse(&raw.from, &format!("{at}.from"))?;
            let to = Endpoint::parse(&raw.to, &format!("{at}.to"))?;
            check_endpoint(&typed_nodes, &from, false, &format!("{at}.from"))?;
            check_endpoint(&typed_nodes, &to, true, &format!("{at}.to"))?;
            typed_edges.push(EdgeConfig { from, to, delivery: raw.delivery.into() });
        }
        let used: BTreeSet<&str> = typed_nodes
            .iter()
            .filter_map(|n| match &n.node {
                NodeType::Effect(effect) => Some(effect.shader.as_str()),
                _ => None,
            })
            .collect();
        for (key, shader) in &shaders {
            check_shader(key, shader, used.contains(key.as_str()))?;
        }
        Ok(GraphConfig { runtime, nodes: typed_nodes, edges: typed_edges, shaders })
    }
}

impl Endpoint {
    /// "node.port"; node ids may contain dots, port names (HLSL identifiers) cannot.
    fn parse(text: &str, field: &str) -> Result<Endpoint, ConfigError> {
        match text.rsplit_once('.') {
            Some((node, port)) if !node.is_empty() && !port.is_empty() => {
                Ok(Endpoint { node: node.to_owned(), port: port.to_owned() })
            }
            _ => {
                Err(ConfigError::new(field, format!("'{text}' is not of the form \"node.port\" (e.g. \"tint.video\")")))
            }
        }
    }
}

fn check_header(value: &Value) -> Result<(), ConfigError> {
    let Some(object) = value.as_object() else {
        return Err(ConfigError::new("", format!("a graph config is a JSON object, not {}", json_kind(value))));
    };
    match object.get("format") {
        Some(Value::String(format)) if format == FORMAT => {}
        Some(Value::String(format)) => {
            return Err(ConfigError::new(
                "format",
                format!("'{format}' is not a streamlib graph config (expected \"{FORMAT}\")"),
            ))
        }
        Some(other) => {
            return Err(ConfigError::new(
                "format",
                format!("must be the string \"{FORMAT}\", not {}", json_kind(other)),
            ))
        }
        None => {
            return Err(ConfigError::new(
                "format",
                format!("missing: a streamlib graph config starts with \"format\": \"{FORMAT}\""),
            ))
        }
    }
    match object.get("version") {
        Some(version) => match version.as_u64() {
            Some(VERSION) => Ok(()),
            Some(newer) if newer > VERSION => Err(ConfigError::new(
                "version",
                format!("version {newer} is newer than this runtime's {VERSION}; update streamlib to load it"),
            )),
            _ => Err(ConfigError::new(
                "version",
                format!("{version} is not a config version this runtime reads (it reads version {VERSION})"),
            )),
        },
        None => Err(ConfigError::new("version", format!("missing: this runtime reads version {VERSION}"))),
    }
}

pub(super) fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Checks what can be checked before shaders are compiled: the node exists and, for sources and sinks, the
/// port (effects' extra inputs come from their shader and are checked when the graph is built).
fn check_endpoint(nodes: &[NodeConfig], endpoint: &Endpoint, input: bool, field: &str) -> Result<(), ConfigError> {
    let Some(node) = nodes.iter().find(|n| n.id == endpoint.node) else {
        let ids: Vec<&str> = nodes.iter().map(|n| n.id.as_str()).collect();
        return Err(ConfigError::new(field, format!("no node '{}' (nodes: {})", endpoint.node, list_or_none(&ids))));
    };
    let role = node.node.role();
    let (direction, has_port) = match (input, role) {
        (false, Role::Sink) | (true, Role::Source) => {
            let what = if input { "inputs" } else { "outputs" };
            return Err(ConfigError::new(field, format!("{} '{}' has no {what}", role.as_str(), node.id)));
        }
        (false, _) => ("output", endpoint.port == VIDEO),
        (true, Role::Sink) => ("input", endpoint.port == VIDEO),
        (true, _) => ("input", true),
    };
    if has_port {
        Ok(())
    } else {
        Err(ConfigError::new(
            field,
            format!(
                "{} '{}' has no {direction} port '{}' ({direction}s: '{VIDEO}')",
                role.as_str(),
                node.id,
                endpoint.port
            ),
        ))
    }
}

fn check_shader(key: &str, shader: &ShaderConfig, used: bool) -> Result<(), ConfigError> {
    let at = format!("shaders.{key}");
    if !used {
        return Err(ConfigError::new(at, format!("shader '{key}' is not used by any effect node; remove it")));
    }
    if sha256_hex(shader.source.as_bytes()) != shader.sha256 {
        return Err(ConfigError::new(
            format!("{at}.sha256"),
            format!("shader '{key}': source sha256 mismatch — the config was edited or corrupted"),
        ));
    }
    for (artifact, text) in &shader.artifacts {
        let field = format!("{at}.artifacts.{artifact}");
        match (artifact.as_str(), text) {
            (ARTIFACT_SPIRV, Some(text)) => {
                decode_spirv(text).map_err(|why| ConfigError::new(field, format!("shader '{key}': {why}")))?;
            }
            (ARTIFACT_SPIRV | ARTIFACT_MSL, None) => {
                return Err(ConfigError::new(
                    field,
                    format!("shader '{key}': must be text; leave the artifact out when there is none"),
                ))
            }
            (ARTIFACT_MSL | ARTIFACT_GLSL_ES, _) => {}
            _ => {
                return Err(ConfigError::new(
                    field,
                    format!(
                    "shader '{key}': unknown artifact (known: {ARTIFACT_SPIRV}, {ARTIFACT_MSL}, {ARTIFACT_GLSL_ES})"
                ),
                ))
            }
        }
    }
    Ok(())
}

pub(super) fn list_or_none(items: &[&str]) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        items.join(", ")
    }
}

/// Checks `--sink`-style overrides (node id → output path) before anything is built: each must name an
/// image_sequence or video_file sink.
pub fn check_sink_overrides(
    config: &GraphConfig,
    sink_overrides: &BTreeMap<String, PathBuf>,
) -> Result<(), ConfigError> {
    let file_sinks: Vec<&str> = config
        .nodes
        .iter()
        .filter(|n| matches!(n.node, NodeType::ImageSequence(_) | NodeType::VideoSink(_)))
        .map(|n| n.id.as_str())
        .collect();
    for id in sink_overrides.keys() {
        match config.nodes.iter().find(|n| &n.id == id) {
            Some(NodeConfig { node: NodeType::ImageSequence(_) | NodeType::VideoSink(_), .. }) => {}
            Some(node) => {
                return Err(ConfigError::new(
                    format!("sink override '{id}'"),
                    format!(
                        "'{id}' is {}; only image_sequence and video_file sinks write files (file sinks: {})",
                        node.node.describe(),
                        list_or_none(&file_sinks)
                    ),
                ))
            }
            None => {
                return Err(ConfigError::new(
                    format!("sink override '{id}'"),
                    format!("no node '{id}' (file sinks: {})", list_or_none(&file_sinks)),
                ))
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::config::fixtures::{refusal, sample, SOURCE};
    use crate::config::GraphConfig;

    #[test]
    fn newer_and_unknown_versions_are_refused() {
        let mut config = sample();
        config["version"] = 2.into();
        assert_eq!(refusal(&config), "version: version 2 is newer than this runtime's 1; update streamlib to load it");
        config["version"] = "1".into();
        assert!(refusal(&config).starts_with("version: \"1\" is not a config version"));
        config["format"] = "something.else".into();
        assert_eq!(
            refusal(&config),
            "format: 'something.else' is not a streamlib graph config (expected \"streamlib.graph\")"
        );
        assert_eq!(GraphConfig::parse("[1]").unwrap_err().to_string(), "a graph config is a JSON object, not an array");
        assert!(GraphConfig::parse("{").unwrap_err().to_string().starts_with("not valid JSON: EOF while parsing"));
    }

    #[test]
    fn schema_violations_name_the_field_path() {
        let mut config = sample();
        config["nodes"][0]["params"]["width"] = "wide".into();
        assert_eq!(
            refusal(&config),
            "nodes[0].params.width: node 'pattern': invalid type: string \"wide\", expected u32"
        );
        let mut config = sample();
        config["nodes"][0]["params"]["depth"] = 3.into();
        assert_eq!(
            refusal(&config),
            "nodes[0].params.depth: node 'pattern': unknown field `depth`, expected `width` or `height`"
        );
        let mut config = sample();
        config["nodes"][2]["params"].as_object_mut().unwrap().remove("directory");
        assert_eq!(refusal(&config), "nodes[2].params: node 'out': missing field `directory`");
        let mut config = sample();
        config["edges"][1]["delivery"] = "sometimes".into();
        assert_eq!(
            refusal(&config),
            "edges[1].delivery: unknown variant `sometimes`, expected `latest` or `every_frame`"
        );
        let mut config = sample();
        config["extra"] = 1.into();
        assert!(refusal(&config).starts_with("extra: unknown field `extra`"));
        let mut config = sample();
        config.as_object_mut().unwrap().remove("edges");
        assert_eq!(refusal(&config), "missing field `edges`");
        let mut config = sample();
        config["nodes"][0]["params"]["width"] = 0.into();
        assert_eq!(refusal(&config), "nodes[0].params.width: node 'pattern': must be at least 1 pixel");
    }

    #[test]
    fn tampered_source_fails_the_hash_check() {
        let mut config = sample();
        config["shaders"]["copy"]["source"] = SOURCE.replace("input", "input ").into();
        assert_eq!(
            refusal(&config),
            "shaders.copy.sha256: shader 'copy': source sha256 mismatch — the config was edited or corrupted"
        );
    }

    #[test]
    fn unknown_node_types_list_what_is_supported() {
        let mut config = sample();
        config["nodes"][1]["type"] = "warp".into();
        assert_eq!(
            refusal(&config),
            "nodes[1].type: node 'copy': type 'warp' is not supported by this runtime (supported: effect)"
        );
        let mut config = sample();
        config["nodes"][0]["type"] = "preview".into();
        assert_eq!(
            refusal(&config),
            "nodes[0].type: node 'pattern': 'preview' is a sink type, not a source type (supported source types: test_pattern, image, video_file, push, whep, whip, solid_color)"
        );
        let mut config = sample();
        config["nodes"][0]["kind"] = "filter".into();
        assert_eq!(
            refusal(&config),
            "nodes[0].kind: unknown variant `filter`, expected one of `source`, `effect`, `sink`"
        );
    }

    #[test]
    fn edges_must_name_existing_nodes_and_ports() {
        let mut config = sample();
        config["edges"][0]["to"] = "nowhere.video".into();
        assert_eq!(refusal(&config), "edges[0].to: no node 'nowhere' (nodes: pattern, copy, out, peek)");
        let mut config = sample();
        config["edges"][1]["from"] = "pattern.audio".into();
        assert_eq!(refusal(&config), "edges[1].from: source 'pattern' has no output port 'audio' (outputs: 'video')");
        let mut config = sample();
        config["edges"][0]["from"] = "out.video".into();
        assert_eq!(refusal(&config), "edges[0].from: sink 'out' has no outputs");
        let mut config = sample();
        config["edges"][0]["to"] = "out".into();
        assert_eq!(refusal(&config), "edges[0].to: 'out' is not of the form \"node.port\" (e.g. \"tint.video\")");
    }

    #[test]
    fn other_refusals_name_their_field() {
        let mut config = sample();
        config["nodes"][3]["id"] = "out".into();
        assert_eq!(refusal(&config), "nodes[3].id: 'out' is also the id of nodes[2]; node ids must be unique");
        let mut config = sample();
        config["nodes"][1]["params"]["shader"] = "blur".into();
        assert_eq!(refusal(&config), "nodes[1].params.shader: node 'copy': no shader 'blur' in shaders (have: copy)");
        let mut config = sample();
        config["shaders"]["copy"]["artifacts"] = serde_json::json!({"spirv": "bm90IHNwaXJ2IGF0IGFsbCEh"});
        assert!(refusal(&config).starts_with("shaders.copy.artifacts.spirv: shader 'copy': SPIR-V artifact"));
        config["shaders"]["copy"]["artifacts"] = serde_json::json!({"dxil": "x"});
        assert_eq!(
            refusal(&config),
            "shaders.copy.artifacts.dxil: shader 'copy': unknown artifact (known: spirv, msl, glsl_es)"
        );
        let mut config = sample();
        config["runtime"]["fps"] = (-1.0).into();
        assert_eq!(refusal(&config), "runtime.fps: must be a positive number of frames per second or null, not -1");
        config["runtime"]["fps"] = 30.0.into();
        config["runtime"]["watchdog_ms"] = 0.0.into();
        assert_eq!(refusal(&config), "runtime.watchdog_ms: must be a positive number of milliseconds or absent, not 0");
        let mut config = sample();
        config["nodes"][0] = serde_json::json!({"id": "pattern", "kind": "source", "type": "image", "params": {}});
        assert_eq!(refusal(&config), "nodes[0].params: node 'pattern': an image source needs path or png_base64");
    }
}
