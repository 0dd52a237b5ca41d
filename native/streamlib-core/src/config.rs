//! The graph config (`*.streamlib.json`, format "streamlib.graph" version 1): nodes, edges, parameter values
//! and every shader's HLSL source with its hash and precompiled artifacts, so a graph built in a notebook runs
//! on another device. Python exports it, the runtime binary and Python load it; the schema is committed at
//! `schemas/graph.streamlib.v1.schema.json`.
//!
//! Writing is canonical (sorted keys, 2-space indent, edges sorted, trailing newline) so that
//! export → load → export gives the same bytes. Every refusal names the field it is about.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::gpu::{Gpu, ParamValue};
use crate::graph::{Delivery, Graph, NodeKind, SinkKind, SourceKind, VIDEO};
use crate::nodes::{EffectHandle, LatestFrame, PreviewQueue, PushSlot};
use crate::shader::cache::sha256_hex;
use crate::shader::cross::{to_glsl_es, to_msl};
use crate::shader::prelude::prelude_for;
use crate::shader::reflect::reflect;
use crate::shader::{
    BackendKind, CompileError, CompileOptions, CompileRequest, CompiledShader, Compiler, PreludeMode, Stage,
};

pub const FORMAT: &str = "streamlib.graph";
pub const VERSION: u64 = 1;

const SPIRV_MAGIC: u32 = 0x0723_0203;

/// A config this runtime refuses: `field` is the JSON path it is about (`nodes[2].params.width`), empty when
/// the whole document is at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub field: String,
    pub message: String,
}

impl ConfigError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> ConfigError {
        ConfigError { field: field.into(), message: message.into() }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.field, self.message)
        }
    }
}

impl std::error::Error for ConfigError {}

// ------------------------------------------------------------------------------------------ the model

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
    fn as_str(self) -> &'static str {
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
const SUPPORTED: &[(Role, &str)] = &[
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

    fn params_value(&self) -> Result<Value, serde_json::Error> {
        match self {
            NodeType::TestPattern(p) | NodeType::Push(p) => serde_json::to_value(p),
            NodeType::Image(p) => serde_json::to_value(p),
            NodeType::VideoSource(p) => serde_json::to_value(p),
            NodeType::Effect(p) => serde_json::to_value(p),
            NodeType::ImageSequence(p) => serde_json::to_value(p),
            NodeType::VideoSink(p) => serde_json::to_value(p),
            NodeType::Numpy(p) => serde_json::to_value(p),
            NodeType::Preview(p) => serde_json::to_value(p),
        }
    }

    /// Reads `params` as the params of (`role`, `ty`); `at` is the node's path (`nodes[3]`).
    fn from_parts(id: &str, role: Role, ty: &str, params: Value, at: &str) -> Result<NodeType, ConfigError> {
        let field = format!("{at}.params");
        Ok(match (role, ty) {
            (Role::Source, "test_pattern") => NodeType::TestPattern(typed(params, &field)?),
            (Role::Source, "image") => NodeType::Image(typed(params, &field)?),
            (Role::Source, "video_file") => NodeType::VideoSource(typed(params, &field)?),
            (Role::Source, "push") => NodeType::Push(typed(params, &field)?),
            (Role::Effect, "effect") => NodeType::Effect(typed(params, &field)?),
            (Role::Sink, "image_sequence") => NodeType::ImageSequence(typed(params, &field)?),
            (Role::Sink, "video_file") => NodeType::VideoSink(typed(params, &field)?),
            (Role::Sink, "numpy") => NodeType::Numpy(typed(params, &field)?),
            (Role::Sink, "preview") => NodeType::Preview(typed(params, &field)?),
            _ => {
                let of_kind: Vec<&str> = SUPPORTED.iter().filter(|(r, _)| *r == role).map(|(_, t)| *t).collect();
                let message = match SUPPORTED.iter().find(|(_, t)| *t == ty) {
                    Some((other, _)) => format!(
                        "node '{id}': '{ty}' is a {} type, not a {} type (supported {} types: {})",
                        other.as_str(),
                        role.as_str(),
                        role.as_str(),
                        of_kind.join(", ")
                    ),
                    None => format!(
                        "node '{id}': type '{ty}' is not supported by this runtime (supported: {})",
                        of_kind.join(", ")
                    ),
                };
                return Err(ConfigError::new(format!("{at}.type"), message));
            }
        })
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

const ARTIFACT_SPIRV: &str = "spirv";
const ARTIFACT_MSL: &str = "msl";
const ARTIFACT_GLSL_ES: &str = "glsl_es";

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
struct RawConfig {
    format: String,
    version: u64,
    runtime: RuntimeSettings,
    nodes: Vec<RawNode>,
    edges: Vec<RawEdge>,
    shaders: BTreeMap<String, ShaderConfig>,
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

/// Deserializes `value` as `T`, naming the exact field on failure (`nodes[2].params.width`).
fn typed<T: serde::de::DeserializeOwned>(value: Value, prefix: &str) -> Result<T, ConfigError> {
    serde_path_to_error::deserialize(value).map_err(|err| {
        let path = err.path().to_string();
        let field = match (prefix.is_empty(), path.as_str()) {
            (_, "." | "") => prefix.to_owned(),
            (true, _) => path,
            (false, _) => format!("{prefix}.{path}"),
        };
        ConfigError::new(field, err.inner().to_string())
    })
}

// ------------------------------------------------------------------------------------------- reading

impl GraphConfig {
    /// Parses and validates a config: format, version, schema, hashes, node types, edges.
    pub fn parse(text: &str) -> Result<GraphConfig, ConfigError> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| ConfigError::new("", format!("not valid JSON: {e}")))?;
        check_header(&value)?;
        let raw: RawConfig = typed(value, "")?;
        GraphConfig::from_raw(raw.runtime, raw.nodes, raw.edges, raw.shaders)
    }

    fn from_raw(
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
            let node = NodeType::from_parts(&raw.id, raw.kind, &raw.ty, raw.params, &at)?;
            check_node(&raw.id, &node, &at, &shaders)?;
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

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn check_node(
    id: &str,
    node: &NodeType,
    at: &str,
    shaders: &BTreeMap<String, ShaderConfig>,
) -> Result<(), ConfigError> {
    let positive_size = |width: u32, height: u32| -> Result<(), ConfigError> {
        for (name, value) in [("width", width), ("height", height)] {
            if value == 0 {
                return Err(ConfigError::new(
                    format!("{at}.params.{name}"),
                    format!("node '{id}': must be at least 1 pixel"),
                ));
            }
        }
        Ok(())
    };
    match node {
        NodeType::TestPattern(size) | NodeType::Push(size) => positive_size(size.width, size.height),
        NodeType::Image(image) => match (&image.path, &image.png_base64) {
            (Some(_), None) => Ok(()),
            (None, Some(data)) => BASE64.decode(data).map(|_| ()).map_err(|e| {
                ConfigError::new(format!("{at}.params.png_base64"), format!("node '{id}': not valid base64 ({e})"))
            }),
            (Some(_), Some(_)) => Err(ConfigError::new(
                format!("{at}.params"),
                format!("node '{id}': give either path or png_base64, not both"),
            )),
            (None, None) => Err(ConfigError::new(
                format!("{at}.params"),
                format!("node '{id}': an image source needs path or png_base64"),
            )),
        },
        NodeType::VideoSource(video) => match (video.width, video.height) {
            (Some(width), Some(height)) => positive_size(width, height),
            (None, None) => Ok(()),
            _ => Err(ConfigError::new(
                format!("{at}.params"),
                format!("node '{id}': give both width and height (to scale) or neither (the file's size)"),
            )),
        },
        NodeType::Effect(effect) => {
            if shaders.contains_key(&effect.shader) {
                Ok(())
            } else {
                let have: Vec<&str> = shaders.keys().map(String::as_str).collect();
                Err(ConfigError::new(
                    format!("{at}.params.shader"),
                    format!("node '{id}': no shader '{}' in shaders (have: {})", effect.shader, list_or_none(&have)),
                ))
            }
        }
        NodeType::VideoSink(sink) if !(sink.fps.is_finite() && sink.fps > 0.0) => Err(ConfigError::new(
            format!("{at}.params.fps"),
            format!("node '{id}': must be a positive frame rate, not {}", sink.fps),
        )),
        NodeType::Preview(preview) if !(1..=100).contains(&preview.quality) => Err(ConfigError::new(
            format!("{at}.params.quality"),
            format!("node '{id}': JPEG quality must be 1 to 100, not {}", preview.quality),
        )),
        NodeType::ImageSequence(_) | NodeType::VideoSink(_) | NodeType::Numpy(_) | NodeType::Preview(_) => Ok(()),
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

fn decode_spirv(text: &str) -> Result<Vec<u32>, String> {
    let bytes = BASE64.decode(text).map_err(|e| format!("SPIR-V artifact is not valid base64 ({e})"))?;
    if bytes.len() % 4 != 0 || bytes.len() < 20 {
        return Err(format!("SPIR-V artifact is {} bytes, not a whole SPIR-V module", bytes.len()));
    }
    let words: Vec<u32> = bytes.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
    if words.first() != Some(&SPIRV_MAGIC) {
        return Err(
            "SPIR-V artifact does not start with the SPIR-V magic number (little-endian words expected)".to_owned()
        );
    }
    Ok(words)
}

fn list_or_none(items: &[&str]) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        items.join(", ")
    }
}

// ------------------------------------------------------------------------------------------- writing

impl GraphConfig {
    /// The canonical text: sorted keys, 2-space indent, nodes as given, edges sorted, trailing newline.
    pub fn to_json(&self) -> Result<String, ConfigError> {
        let value = self.to_value().map_err(|e| ConfigError::new("", format!("cannot serialize the config: {e}")))?;
        Ok(canonical_json(&value))
    }

    fn to_value(&self) -> Result<Value, serde_json::Error> {
        let mut nodes = Vec::with_capacity(self.nodes.len());
        for node in &self.nodes {
            nodes.push(RawNode {
                id: node.id.clone(),
                kind: node.node.role(),
                ty: node.node.type_name().to_owned(),
                params: node.node.params_value()?,
            });
        }
        let mut edges: Vec<&EdgeConfig> = self.edges.iter().collect();
        edges.sort_by(|a, b| (&a.from, &a.to).cmp(&(&b.from, &b.to)));
        let edges = edges
            .into_iter()
            .map(|e| RawEdge { from: e.from.to_string(), to: e.to.to_string(), delivery: e.delivery.into() })
            .collect();
        serde_json::to_value(RawConfig {
            format: FORMAT.to_owned(),
            version: VERSION,
            runtime: self.runtime.clone(),
            nodes,
            edges,
            shaders: self.shaders.clone(),
        })
    }

    /// The graph for a loader that rebuilds it node by node (Python): the config without artifacts, edges in
    /// `connect_order`, each edge with its `index` in the file.
    pub fn description(&self) -> Result<Value, ConfigError> {
        let mut value =
            self.to_value().map_err(|e| ConfigError::new("", format!("cannot serialize the config: {e}")))?;
        let mut edges = Vec::with_capacity(self.edges.len());
        for index in self.connect_order() {
            let edge = &self.edges[index];
            edges.push(serde_json::json!({
                "from": edge.from.to_string(),
                "to": edge.to.to_string(),
                "delivery": match edge.delivery { Delivery::Latest => "latest", Delivery::EveryFrame => "every_frame" },
                "index": index,
            }));
        }
        if let Some(object) = value.as_object_mut() {
            object.insert("edges".to_owned(), Value::Array(edges));
            if let Some(Value::Object(shaders)) = object.get_mut("shaders") {
                for shader in shaders.values_mut().filter_map(Value::as_object_mut) {
                    shader.remove("artifacts");
                }
            }
        }
        Ok(value)
    }

    /// Builds the config for an export: hashes every shader's source and stores the artifacts `targets` ask
    /// for from `compiled` (which must hold a compiled shader per key of `description.shaders`).
    pub fn export(
        description: ExportDescription,
        compiled: &LoadedShaders,
        targets: &[Target],
    ) -> Result<GraphConfig, ConfigError> {
        let mut shaders = BTreeMap::new();
        for (key, shader) in description.shaders {
            let at = format!("shaders.{key}");
            let Some(built) = compiled.get(&key) else {
                return Err(ConfigError::new(at, format!("shader '{key}': no compiled shader was given for it")));
            };
            let sha256 = sha256_hex(shader.source.as_bytes());
            if built.source_hash != sha256 {
                return Err(ConfigError::new(
                    format!("{at}.source"),
                    format!("shader '{key}': the compiled shader was built from another source than the one given"),
                ));
            }
            let mut artifacts = BTreeMap::new();
            for target in targets {
                let text = match target {
                    Target::Vulkan => {
                        Some(BASE64.encode(built.spirv.iter().flat_map(|w| w.to_le_bytes()).collect::<Vec<u8>>()))
                    }
                    Target::Metal => Some(built.msl.clone()),
                    Target::WebGl => built.glsl_es.clone(),
                };
                artifacts.insert(target.artifact().to_owned(), text);
            }
            let artifact_source_sha256 = (!artifacts.is_empty()).then(|| sha256.clone());
            shaders.insert(
                key,
                ShaderConfig {
                    name: shader.name,
                    stage: shader.stage,
                    entry: shader.entry,
                    backend: shader.backend,
                    source: shader.source,
                    sha256,
                    artifacts,
                    artifact_source_sha256,
                },
            );
        }
        GraphConfig::from_raw(description.runtime, description.nodes, description.edges, shaders)
    }
}

/// JSON with object keys sorted at every level, 2-space indent, arrays of plain values on one line, and a
/// trailing newline: the same value always gives the same bytes, whatever map type serde_json was built with.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(&mut out, value, 0);
    out.push('\n');
    out
}

fn write_canonical(out: &mut String, value: &Value, depth: usize) {
    let indent = |out: &mut String, depth: usize| out.extend(std::iter::repeat_n("  ", depth));
    match value {
        Value::Array(items) if items.is_empty() => out.push_str("[]"),
        Value::Array(items) if items.iter().all(|v| !v.is_array() && !v.is_object()) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&item.to_string());
            }
            out.push(']');
        }
        Value::Array(items) => {
            out.push_str("[\n");
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(",\n");
                }
                indent(out, depth + 1);
                write_canonical(out, item, depth + 1);
            }
            out.push('\n');
            indent(out, depth);
            out.push(']');
        }
        Value::Object(map) if map.is_empty() => out.push_str("{}"),
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push_str("{\n");
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(",\n");
                }
                indent(out, depth + 1);
                out.push_str(&Value::from(key.as_str()).to_string());
                out.push_str(": ");
                if let Some(item) = map.get(key) {
                    write_canonical(out, item, depth + 1);
                }
            }
            out.push('\n');
            indent(out, depth);
            out.push('}');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

// -------------------------------------------------------------------------------------------- loading

/// How a shader reached this runtime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadReport {
    pub shader: String,
    /// "artifact" (the precompiled SPIR-V was used) or "recompiled" (compiled here from the source).
    pub used: &'static str,
    pub why: String,
}

/// Compiled shaders by config key.
pub type LoadedShaders = BTreeMap<String, Arc<CompiledShader>>;

pub const USED_ARTIFACT: &str = "artifact";
pub const USED_RECOMPILED: &str = "recompiled";

/// Every shader of the config, compiled: from its SPIR-V artifact when that was built from this very source,
/// else recompiled from the source with `compiler`. Shaders are keyed as in the config.
pub fn load_shaders(
    compiler: &Compiler,
    config: &GraphConfig,
) -> Result<(LoadedShaders, Vec<LoadReport>), ConfigError> {
    let mut shaders = BTreeMap::new();
    let mut report = Vec::new();
    for (key, shader) in &config.shaders {
        let (compiled, used, why) = match from_artifacts(shader) {
            Ok(compiled) => (
                compiled,
                USED_ARTIFACT,
                format!("the {ARTIFACT_SPIRV} artifact was compiled from this source (artifact_source_sha256 matches)"),
            ),
            Err(reason) => {
                let (compiled, note) = recompile(compiler, key, shader)?;
                (compiled, USED_RECOMPILED, format!("{reason}{note}"))
            }
        };
        report.push(LoadReport { shader: key.clone(), used, why });
        shaders.insert(key.clone(), Arc::new(compiled));
    }
    check_values(config, &shaders)?;
    Ok((shaders, report))
}

/// The shader from its artifacts, or why they cannot be used. SPIRV-Cross reflects the SPIR-V in this
/// process (it is not a front end: the crash-prone HLSL compilers never see an artifact).
fn from_artifacts(shader: &ShaderConfig) -> Result<CompiledShader, String> {
    let started = Instant::now();
    match &shader.artifact_source_sha256 {
        Some(hash) if *hash == shader.sha256 => {}
        Some(_) => {
            return Err("artifact_source_sha256 differs from the source's sha256: the artifacts are stale".to_owned())
        }
        None => return Err("the config has no artifacts (artifact_source_sha256 is null)".to_owned()),
    }
    let Some(Some(text)) = shader.artifacts.get(ARTIFACT_SPIRV) else {
        return Err(format!("no {ARTIFACT_SPIRV} artifact (export with the \"vulkan\" target to include it)"));
    };
    let spirv = decode_spirv(text)?;
    let (reflection, parameters) = reflect(&spirv, shader.stage, &shader.source)
        .map_err(|e| format!("the {ARTIFACT_SPIRV} artifact cannot be reflected ({e})"))?;
    let msl = match shader.artifacts.get(ARTIFACT_MSL) {
        Some(Some(msl)) => msl.clone(),
        _ => to_msl(&spirv).map_err(|e| format!("MSL translation of the artifact failed ({e})"))?,
    };
    let glsl_es = match (shader.artifacts.get(ARTIFACT_GLSL_ES), shader.stage) {
        (Some(glsl), _) => glsl.clone(),
        (None, Stage::Pixel) => Some(
            to_glsl_es(&spirv, &reflection).map_err(|e| format!("GLSL ES translation of the artifact failed ({e})"))?,
        ),
        (None, Stage::Vertex | Stage::Compute) => None,
    };
    Ok(CompiledShader {
        name: shader.name.clone(),
        stage: shader.stage,
        entry: shader.entry.clone(),
        backend: shader.backend,
        backend_version: "precompiled artifact".to_owned(),
        spirv,
        msl,
        glsl_es,
        reflection,
        parameters,
        source_hash: shader.sha256.clone(),
        uses_prelude: !prelude_for(&shader.source, shader.stage, PreludeMode::Auto).is_empty(),
        warnings: Vec::new(),
        compile_ms: started.elapsed().as_secs_f64() * 1e3,
        cached: false,
    })
}

/// Compiles the source with the backend the config names, or with the default one when that backend is not
/// installed here (a config exported where DXC was available still runs where only glslang is).
fn recompile(compiler: &Compiler, key: &str, shader: &ShaderConfig) -> Result<(CompiledShader, String), ConfigError> {
    let request = |backend| CompileRequest {
        name: shader.name.clone(),
        source: shader.source.clone(),
        options: CompileOptions {
            stage: shader.stage,
            entry: shader.entry.clone(),
            backend,
            ..CompileOptions::default()
        },
    };
    let failed = |err: CompileError| {
        ConfigError::new(format!("shaders.{key}.source"), format!("shader '{key}' does not compile here: {err}"))
    };
    match compiler.compile(&request(Some(shader.backend))) {
        Ok(compiled) => Ok((compiled, String::new())),
        Err(CompileError::Unavailable(missing)) => {
            let compiled = compiler.compile(&request(None)).map_err(failed)?;
            let note = format!(
                "; compiled with {} because {} is not available here ({missing})",
                compiled.backend, shader.backend
            );
            Ok((compiled, note))
        }
        Err(err) => Err(failed(err)),
    }
}

/// Every value an effect node sets must be a parameter of its shader.
fn check_values(config: &GraphConfig, shaders: &LoadedShaders) -> Result<(), ConfigError> {
    for (i, node) in config.nodes.iter().enumerate() {
        let NodeType::Effect(effect) = &node.node else { continue };
        let Some(shader) = shaders.get(&effect.shader) else { continue };
        for name in effect.values.keys() {
            if !shader.parameters.iter().any(|p| &p.name == name) {
                let known: Vec<&str> = shader.parameters.iter().map(|p| p.name.as_str()).collect();
                return Err(ConfigError::new(
                    format!("nodes[{i}].params.values.{name}"),
                    format!(
                        "node '{}': shader '{}' has no parameter '{name}' (parameters: {})",
                        node.id,
                        effect.shader,
                        list_or_none(&known)
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// The graph a config describes, with the handles its owner drives it through.
pub struct BuiltGraph {
    pub graph: Graph,
    pub effects: BTreeMap<String, Arc<EffectHandle>>,
    pub numpy: BTreeMap<String, Arc<LatestFrame>>,
    pub previews: BTreeMap<String, Arc<PreviewQueue>>,
    pub push: BTreeMap<String, Arc<PushSlot>>,
    pub report: Vec<LoadReport>,
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

/// Builds the graph of `config` on `gpu`. `sink_overrides` replace file sinks' outputs (node id → image
/// directory or video path). Push sources show the test pattern until something pushes a frame (a headless
/// run has no camera).
pub fn build_graph(
    gpu: Arc<Gpu>,
    compiler: &Compiler,
    config: &GraphConfig,
    sink_overrides: &BTreeMap<String, PathBuf>,
) -> Result<BuiltGraph, ConfigError> {
    check_sink_overrides(config, sink_overrides)?;
    let (shaders, report) = load_shaders(compiler, config)?;
    let mut built = BuiltGraph {
        graph: Graph::default(),
        effects: BTreeMap::new(),
        numpy: BTreeMap::new(),
        previews: BTreeMap::new(),
        push: BTreeMap::new(),
        report,
    };
    for (i, node) in config.nodes.iter().enumerate() {
        let at = format!("nodes[{i}]");
        let id = node.id.as_str();
        let kind = match &node.node {
            NodeType::TestPattern(size) => {
                NodeKind::Source { kind: SourceKind::TestPattern, width: size.width, height: size.height }
            }
            NodeType::Image(image) => {
                let (pixels, width, height) = load_image(image, id, &at)?;
                NodeKind::image_source(pixels, width, height)
                    .map_err(|e| ConfigError::new(format!("{at}.params.path"), format!("node '{id}': {e}")))?
            }
            NodeType::VideoSource(video) => {
                let path = PathBuf::from(&video.path);
                let (width, height) = crate::nodes::video::source_size(&path, video.width, video.height)
                    .map_err(|e| ConfigError::new(format!("{at}.params.path"), format!("node '{id}': {e}")))?;
                NodeKind::Source { kind: SourceKind::VideoFile { path, looping: video.looping }, width, height }
            }
            NodeType::Push(size) => {
                let slot = Arc::new(PushSlot::new(size.width, size.height, false));
                built.push.insert(id.to_owned(), slot.clone());
                NodeKind::Source {
                    kind: SourceKind::Push { slot, fallback: true },
                    width: size.width,
                    height: size.height,
                }
            }
            NodeType::Effect(effect) => {
                let Some(shader) = shaders.get(&effect.shader) else {
                    return Err(ConfigError::new(
                        format!("{at}.params.shader"),
                        format!("node '{id}': no shader '{}'", effect.shader),
                    ));
                };
                let handle = EffectHandle::new(gpu.clone(), id, shader.clone())
                    .map_err(|e| ConfigError::new(format!("shaders.{}", effect.shader), format!("node '{id}': {e}")))?;
                for (name, values) in &effect.values {
                    handle
                        .set(name, &ParamValue::List(values.clone()))
                        .map_err(|e| ConfigError::new(format!("{at}.params.values.{name}"), e.to_string()))?;
                }
                let handle = Arc::new(handle);
                built.effects.insert(id.to_owned(), handle.clone());
                NodeKind::Effect(handle)
            }
            NodeType::ImageSequence(sink) => {
                let directory = sink_overrides.get(id).cloned().unwrap_or_else(|| PathBuf::from(&sink.directory));
                NodeKind::Sink(SinkKind::ImageSequence { directory, prefix: sink.prefix.clone() })
            }
            NodeType::VideoSink(sink) => {
                let path = sink_overrides.get(id).cloned().unwrap_or_else(|| PathBuf::from(&sink.path));
                NodeKind::Sink(SinkKind::VideoFile { path, fps: sink.fps })
            }
            NodeType::Numpy(_) => {
                let latest = Arc::new(LatestFrame::default());
                built.numpy.insert(id.to_owned(), latest.clone());
                NodeKind::Sink(SinkKind::Numpy(latest))
            }
            NodeType::Preview(preview) => {
                let queue = Arc::new(PreviewQueue::new(preview.quality));
                built.previews.insert(id.to_owned(), queue.clone());
                NodeKind::Sink(SinkKind::Preview(queue))
            }
        };
        built.graph.add(id, kind).map_err(|e| ConfigError::new(format!("{at}.id"), e.0))?;
    }
    for index in config.connect_order() {
        let edge = &config.edges[index];
        let (Some(from), Some(to)) = (built.graph.find(&edge.from.node), built.graph.find(&edge.to.node)) else {
            return Err(ConfigError::new(
                format!("edges[{index}]"),
                format!("'{}' → '{}' names a node that is not in the graph", edge.from, edge.to),
            ));
        };
        built
            .graph
            .connect(from, &edge.from.port, to, &edge.to.port, Some(edge.delivery))
            .map_err(|e| ConfigError::new(format!("edges[{index}]"), e.0))?;
    }
    built.graph.plan_order().map_err(|e| ConfigError::new("edges", e.0))?;
    Ok(built)
}

/// RGBA8 pixels and size of an image source, from its file or its inline PNG.
fn load_image(image: &ImageParams, id: &str, at: &str) -> Result<(Vec<u8>, u32, u32), ConfigError> {
    let decoded = match (&image.path, &image.png_base64) {
        (Some(path), _) => image::open(path).map_err(|e| {
            ConfigError::new(format!("{at}.params.path"), format!("node '{id}': cannot read image '{path}': {e}"))
        })?,
        (None, Some(data)) => {
            let field = format!("{at}.params.png_base64");
            let bytes = BASE64
                .decode(data)
                .map_err(|e| ConfigError::new(field.clone(), format!("node '{id}': not valid base64 ({e})")))?;
            image::load_from_memory(&bytes)
                .map_err(|e| ConfigError::new(field, format!("node '{id}': not a readable image ({e})")))?
        }
        (None, None) => {
            return Err(ConfigError::new(
                format!("{at}.params"),
                format!("node '{id}': an image source needs path or png_base64"),
            ))
        }
    };
    let rgba = decoded.to_rgba8();
    let (width, height) = rgba.dimensions();
    Ok((rgba.into_raw(), width, height))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCE: &str = "float4 main(float2 uv : TEXCOORD) : SV_Target { return tex2D(input, uv); }\n";

    /// A valid config (no artifacts) as a JSON value, for tests to break one field at a time.
    fn sample() -> Value {
        serde_json::json!({
            "format": "streamlib.graph",
            "version": 1,
            "runtime": {"fps": 30.0, "adapter": null},
            "nodes": [
                {"id": "pattern", "kind": "source", "type": "test_pattern", "params": {"width": 64, "height": 32}},
                {"id": "copy", "kind": "effect", "type": "effect", "params": {"shader": "copy", "values": {}}},
                {"id": "out", "kind": "sink", "type": "image_sequence", "params": {"directory": "frames", "prefix": "frame_"}},
                {"id": "peek", "kind": "sink", "type": "numpy", "params": {}}
            ],
            "edges": [
                {"from": "copy.video", "to": "out.video", "delivery": "every_frame"},
                {"from": "pattern.video", "to": "copy.video", "delivery": "every_frame"},
                {"from": "copy.video", "to": "peek.video", "delivery": "latest"}
            ],
            "shaders": {
                "copy": {
                    "name": "copy.hlsl", "stage": "pixel", "entry": "main", "backend": "glslang",
                    "source": SOURCE, "sha256": sha256_hex(SOURCE.as_bytes()),
                    "artifacts": {}, "artifact_source_sha256": null
                }
            }
        })
    }

    fn parse(value: &Value) -> Result<GraphConfig, ConfigError> {
        GraphConfig::parse(&value.to_string())
    }

    fn refusal(value: &Value) -> String {
        match parse(value) {
            Ok(_) => panic!("the config was accepted"),
            Err(err) => err.to_string(),
        }
    }

    #[test]
    fn canonical_text_round_trips_byte_for_byte() {
        let first = parse(&sample()).unwrap().to_json().unwrap();
        let second = GraphConfig::parse(&first).unwrap().to_json().unwrap();
        assert_eq!(first, second);
        assert!(first.ends_with("}\n"));
        assert!(first.starts_with("{\n  \"edges\": [\n    {\n      \"delivery\""), "{first}");
        // Edges are written sorted, whatever order they were given in.
        let edges: Vec<&str> = first.lines().filter(|l| l.contains("\"from\"")).collect();
        assert_eq!(
            edges,
            [
                "      \"from\": \"copy.video\",",
                "      \"from\": \"copy.video\",",
                "      \"from\": \"pattern.video\","
            ]
        );
    }

    #[test]
    fn canonical_json_sorts_keys_and_inlines_plain_arrays() {
        let text = canonical_json(&serde_json::json!({"b": [1.0, 0.6], "a": {"z": [], "y": [{"k": null}]}}));
        assert_eq!(text, "{\n  \"a\": {\n    \"y\": [\n      {\n        \"k\": null\n      }\n    ],\n    \"z\": []\n  },\n  \"b\": [1.0, 0.6]\n}\n");
    }

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
        assert_eq!(refusal(&config), "nodes[0].params.width: invalid type: string \"wide\", expected u32");
        let mut config = sample();
        config["nodes"][0]["params"]["depth"] = 3.into();
        assert_eq!(refusal(&config), "nodes[0].params.depth: unknown field `depth`, expected `width` or `height`");
        let mut config = sample();
        config["nodes"][2]["params"].as_object_mut().unwrap().remove("prefix");
        assert_eq!(refusal(&config), "nodes[2].params: missing field `prefix`");
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
            "nodes[0].type: node 'pattern': 'preview' is a sink type, not a source type (supported source types: test_pattern, image, video_file, push)"
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
        let mut config = sample();
        config["nodes"][0] = serde_json::json!({"id": "pattern", "kind": "source", "type": "image", "params": {}});
        assert_eq!(refusal(&config), "nodes[0].params: node 'pattern': an image source needs path or png_base64");
    }

    #[test]
    fn connect_order_puts_a_nodes_inputs_first() {
        let config = parse(&sample()).unwrap();
        let order: Vec<String> =
            config.connect_order().into_iter().map(|i| format!("{}", config.edges[i].from)).collect();
        assert_eq!(order, ["pattern.video", "copy.video", "copy.video"]);
    }

    /// A one-shader config exported with `targets`, compiled in this process (the shader is trivial, and unit
    /// tests have no worker binary to run).
    fn exported(compiler: &Compiler, targets: &[Target]) -> GraphConfig {
        let request = CompileRequest {
            name: "copy.hlsl".into(),
            source: SOURCE.into(),
            options: CompileOptions { backend: Some(BackendKind::Glslang), ..CompileOptions::default() },
        };
        let compiled = Arc::new(compiler.compile(&request).unwrap());
        let mut value = sample();
        let shaders = value["shaders"].take();
        value["shaders"] = serde_json::json!({"copy": {"name": "copy.hlsl", "stage": "pixel", "entry": "main", "backend": "glslang", "source": shaders["copy"]["source"]}});
        let description: ExportDescription = serde_json::from_value(serde_json::json!({
            "runtime": value["runtime"], "nodes": value["nodes"], "edges": value["edges"], "shaders": value["shaders"],
        }))
        .unwrap();
        GraphConfig::export(description, &BTreeMap::from([("copy".to_owned(), compiled)]), targets).unwrap()
    }

    fn in_process() -> Compiler {
        Compiler::new(crate::shader::CompilerConfig {
            isolation: crate::shader::Isolation::InProcess,
            ..crate::shader::CompilerConfig::with_worker(crate::shader::WorkerCommand {
                program: PathBuf::new(),
                args: Vec::new(),
            })
        })
    }

    #[test]
    fn matching_artifacts_are_used_and_equal_a_fresh_compile() {
        let compiler = in_process();
        let config = exported(&compiler, &Target::ALL);
        let text = config.to_json().unwrap();
        let loaded = GraphConfig::parse(&text).unwrap();
        assert_eq!(loaded.to_json().unwrap(), text);
        let (shaders, report) = load_shaders(&compiler, &loaded).unwrap();
        assert_eq!(report[0].used, USED_ARTIFACT, "{report:?}");
        let compiles = compiler.stats().compiles;
        let mut stale = loaded.clone();
        if let Some(shader) = stale.shaders.get_mut("copy") {
            shader.artifact_source_sha256 = Some("0".repeat(64));
        }
        let (recompiled, report) = load_shaders(&compiler, &stale).unwrap();
        assert_eq!(report[0].used, USED_RECOMPILED);
        assert!(report[0].why.contains("stale"), "{}", report[0].why);
        // From the cache here, but it went through the compiler rather than the artifact.
        assert_eq!(compiler.stats().compiles, compiles);
        let (a, b) = (&shaders["copy"], &recompiled["copy"]);
        assert_eq!(
            (&a.spirv, &a.msl, &a.glsl_es, &a.reflection, &a.parameters, &a.source_hash, a.uses_prelude),
            (&b.spirv, &b.msl, &b.glsl_es, &b.reflection, &b.parameters, &b.source_hash, b.uses_prelude)
        );
    }

    #[test]
    fn missing_targets_are_cross_compiled_from_the_spirv() {
        let compiler = in_process();
        let full = exported(&compiler, &Target::ALL);
        let vulkan_only = exported(&compiler, &[Target::Vulkan]);
        assert_eq!(vulkan_only.shaders["copy"].artifacts.keys().collect::<Vec<_>>(), ["spirv"]);
        let (a, _) = load_shaders(&compiler, &full).unwrap();
        let (b, report) = load_shaders(&compiler, &vulkan_only).unwrap();
        assert_eq!(report[0].used, USED_ARTIFACT);
        assert_eq!((&a["copy"].msl, &a["copy"].glsl_es), (&b["copy"].msl, &b["copy"].glsl_es));
        let none = exported(&compiler, &[]);
        assert_eq!(none.shaders["copy"].artifact_source_sha256, None);
        assert_eq!(load_shaders(&compiler, &none).unwrap().1[0].used, USED_RECOMPILED);
    }

    #[test]
    fn values_must_name_parameters_of_the_shader() {
        let compiler = in_process();
        let mut config = exported(&compiler, &[Target::Vulkan]);
        if let NodeType::Effect(effect) = &mut config.nodes[1].node {
            effect.values.insert("strength".into(), vec![1.0]);
        }
        let err = load_shaders(&compiler, &config).unwrap_err();
        assert_eq!(err.to_string(), "nodes[1].params.values.strength: node 'copy': shader 'copy' has no parameter 'strength' (parameters: none)");
    }

    fn repository_file(path: &str) -> PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(path)
    }

    /// Checks `value` against the parts of the committed JSON Schema that say which fields exist and what
    /// they hold: `required`, `additionalProperties: false`, `type`, `const`, through `$ref`, `properties`,
    /// `items` and `oneOf` (exactly one branch must fit). Full validation is the Python test's (the `jsonschema` package).
    fn documented_fields(schema: &Value, root: &Value, value: &Value, at: &str, problems: &mut Vec<String>) {
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            let target = reference.strip_prefix("#/").map(|p| p.split('/').fold(root, |node, key| &node[key]));
            match target {
                Some(target) => documented_fields(target, root, value, at, problems),
                None => problems.push(format!("{at}: unresolvable $ref {reference}")),
            }
            return;
        }
        if let Some(types) = schema.get("type") {
            let names: Vec<&str> = types
                .as_str()
                .into_iter()
                .chain(types.as_array().into_iter().flatten().filter_map(Value::as_str))
                .collect();
            let fits = |name: &str| match name {
                "integer" => value.is_i64() || value.is_u64(),
                "number" => value.is_number(),
                other => json_kind(value).ends_with(other),
            };
            if !names.iter().any(|n| fits(n)) {
                problems.push(format!("{at}: {} is not {}", json_kind(value), names.join(" or ")));
            }
        }
        if let Some(expected) = schema.get("const") {
            if value != expected {
                problems.push(format!("{at}: {value} is not {expected}"));
            }
        }
        if let Some(branches) = schema.get("oneOf").and_then(Value::as_array) {
            let fits = |branch: &Value| {
                let mut found = Vec::new();
                documented_fields(branch, root, value, at, &mut found);
                found.is_empty()
            };
            let matching = branches.iter().filter(|b| fits(b)).count();
            if matching != 1 {
                problems.push(format!("{at}: {matching} of the oneOf branches fit"));
            }
        }
        if let (Some(object), Some(properties)) =
            (value.as_object(), schema.get("properties").and_then(Value::as_object))
        {
            for required in
                schema.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str)
            {
                if !object.contains_key(required) {
                    problems.push(format!("{at}.{required}: required by the schema but missing"));
                }
            }
            for (key, item) in object {
                match (properties.get(key), schema.get("additionalProperties")) {
                    (Some(property), _) => documented_fields(property, root, item, &format!("{at}.{key}"), problems),
                    (None, Some(Value::Bool(false))) => problems.push(format!("{at}.{key}: not in the schema")),
                    (None, _) => {}
                }
            }
        } else if let (Some(object), Some(each)) =
            (value.as_object(), schema.get("additionalProperties").filter(|s| s.is_object()))
        {
            for (key, item) in object {
                documented_fields(each, root, item, &format!("{at}.{key}"), problems);
            }
        }
        if let (Some(items), Some(each)) = (value.as_array(), schema.get("items")) {
            for (i, item) in items.iter().enumerate() {
                documented_fields(each, root, item, &format!("{at}[{i}]"), problems);
            }
        }
    }

    #[test]
    fn committed_examples_parse_are_canonical_and_have_the_documented_fields() {
        let schema: Value = serde_json::from_str(
            &std::fs::read_to_string(repository_file("schemas/graph.streamlib.v1.schema.json")).unwrap(),
        )
        .unwrap();
        let mut examples: Vec<PathBuf> = std::fs::read_dir(repository_file("examples"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().ends_with(".streamlib.json"))
            .collect();
        examples.sort();
        assert!(!examples.is_empty());
        for path in examples {
            let text = std::fs::read_to_string(&path).unwrap();
            let config = GraphConfig::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(config.to_json().unwrap(), text, "{} is not in canonical form", path.display());
            let mut problems = Vec::new();
            documented_fields(&schema, &schema, &serde_json::from_str(&text).unwrap(), "$", &mut problems);
            assert!(problems.is_empty(), "{}: {problems:#?}", path.display());
        }
        // The walker does notice what the schema does not document.
        let mut problems = Vec::new();
        let mut broken = sample();
        broken["nodes"][0]["params"]["depth"] = 1.into();
        broken["edges"][0].as_object_mut().unwrap().remove("delivery");
        documented_fields(&schema, &schema, &broken, "$", &mut problems);
        assert!(
            problems.iter().any(|p| p == "$.edges[0].delivery: required by the schema but missing"),
            "{problems:#?}"
        );
        assert!(problems.iter().any(|p| p == "$.nodes[0]: 0 of the oneOf branches fit"), "{problems:#?}");
    }

    #[test]
    fn stale_or_missing_artifacts_say_why_they_are_not_used() {
        let config = parse(&sample()).unwrap();
        let shader = &config.shaders["copy"];
        assert_eq!(from_artifacts(shader).unwrap_err(), "the config has no artifacts (artifact_source_sha256 is null)");
        let mut stale = shader.clone();
        stale.artifact_source_sha256 = Some("0".repeat(64));
        assert!(from_artifacts(&stale).unwrap_err().contains("stale"));
        let mut no_spirv = shader.clone();
        no_spirv.artifact_source_sha256 = Some(shader.sha256.clone());
        assert!(from_artifacts(&no_spirv).unwrap_err().starts_with("no spirv artifact"));
    }
}
