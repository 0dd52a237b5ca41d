//! How each node type is made from its params: files read and probed, frame slots created, the effect's
//! shader found. A `NodeSpec` is a node before it joins a graph; `Graph::add` makes what needs the GPU.

use std::path::PathBuf;
use std::sync::Arc;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;

use super::catalog::{Fallback, ImageParams, NodeType, Role};
use super::{EffectHandle, LatestFrame, PreviewQueue, PushSlot};
use crate::config::{ConfigError, GraphEdit, RawNode, ShaderConfig};
use crate::gpu::{Gpu, ParamValue};
use crate::graph::{AddError, Node, NodeKind, Remote, SinkKind, SourceKind, VIDEO};
use crate::shader::CompiledShader;

/// A node's params and what was made from them. Cloning shares the frame slots.
#[derive(Clone)]
pub struct NodeSpec {
    pub params: NodeType,
    made: Made,
}

#[derive(Clone)]
enum Made {
    Ready(NodeKind),
    /// An effect waits for a GPU to build its pipeline.
    Effect(Arc<CompiledShader>),
}

impl NodeSpec {
    /// Makes the node `params` describe; `shader` finds an effect's compiled shader by its `shader` param.
    /// Errors name the param they are about (`params.path`).
    pub fn new(
        params: NodeType,
        shader: impl Fn(&str) -> Option<Arc<CompiledShader>>,
    ) -> Result<NodeSpec, ConfigError> {
        let made = match &params {
            NodeType::TestPattern(size) => Made::Ready(source(SourceKind::TestPattern, size.width, size.height)),
            NodeType::Image(image) => {
                let (pixels, width, height) = load_image(image)?;
                Made::Ready(source(SourceKind::Image { pixels: Arc::new(pixels) }, width, height))
            }
            NodeType::VideoSource(video) => {
                let path = PathBuf::from(&video.path);
                let (width, height) = super::video::source_size(&path, video.width, video.height)
                    .map_err(|e| ConfigError::new("params.path", e))?;
                Made::Ready(source(SourceKind::VideoFile { path, looping: video.looping }, width, height))
            }
            NodeType::Push(push) => {
                let slot = Arc::new(PushSlot::new(push.width, push.height, push.every_frame));
                let fallback = push.fallback == Some(Fallback::TestPattern);
                Made::Ready(source(SourceKind::Push { slot, fallback }, push.width, push.height))
            }
            NodeType::Whep(whep) => {
                let slot = Arc::new(PushSlot::new(whep.width, whep.height, false));
                let remote = Remote { url: whep.url.clone(), token: whep.token.clone() };
                let relay = Arc::new(crate::webrtc::relay::Relay::default());
                Made::Ready(source(SourceKind::Whep { slot, remote, relay }, whep.width, whep.height))
            }
            NodeType::Whip(size) => {
                let slot = Arc::new(PushSlot::new(size.width, size.height, false));
                let relay = Arc::new(crate::webrtc::relay::Relay::default());
                Made::Ready(source(SourceKind::Whip { slot, relay }, size.width, size.height))
            }
            NodeType::SolidColor(solid) => {
                let texel = solid.rgba.map(|c| (c * 255.0).round() as u8);
                let pixels = texel.repeat(solid.width as usize * solid.height as usize);
                Made::Ready(source(SourceKind::Image { pixels: Arc::new(pixels) }, solid.width, solid.height))
            }
            NodeType::Effect(effect) => {
                let compiled = shader(&effect.shader)
                    .ok_or_else(|| ConfigError::new("params.shader", format!("no shader '{}'", effect.shader)))?;
                for name in effect.values.keys() {
                    if !compiled.parameters.iter().any(|p| &p.name == name) {
                        let known: Vec<&str> = compiled.parameters.iter().map(|p| p.name.as_str()).collect();
                        let known = if known.is_empty() { "none".to_owned() } else { known.join(", ") };
                        return Err(ConfigError::new(
                            format!("params.values.{name}"),
                            format!("shader '{}' has no parameter '{name}' (parameters: {known})", compiled.name),
                        ));
                    }
                }
                Made::Effect(compiled)
            }
            NodeType::ImageSequence(sink) => Made::Ready(NodeKind::Sink(SinkKind::ImageSequence {
                directory: PathBuf::from(&sink.directory),
                prefix: sink.prefix.clone(),
            })),
            NodeType::VideoSink(sink) => {
                Made::Ready(NodeKind::Sink(SinkKind::VideoFile { path: PathBuf::from(&sink.path), fps: sink.fps }))
            }
            NodeType::WhipSink(sink) => {
                Made::Ready(NodeKind::Sink(SinkKind::Whip { url: sink.url.clone(), token: sink.token.clone() }))
            }
            NodeType::Numpy(_) => Made::Ready(NodeKind::Sink(SinkKind::Numpy(Arc::new(LatestFrame::default())))),
            NodeType::Preview(preview) => {
                Made::Ready(NodeKind::Sink(SinkKind::Preview(Arc::new(PreviewQueue::new(preview.quality)))))
            }
        };
        Ok(NodeSpec { params, made })
    }

    /// The spec of a node already in a graph (one loaded from a config), sharing its frame slots.
    pub fn of(node: &Node) -> NodeSpec {
        let made = match &node.kind {
            NodeKind::Effect(handle) => Made::Effect(handle.shader()),
            kind => Made::Ready(kind.clone()),
        };
        NodeSpec { params: node.params.clone(), made }
    }

    /// Builds the node for a graph on `gpu` (an effect's pipeline, with its values set).
    pub fn make(&self, gpu: &Arc<Gpu>, name: &str) -> Result<NodeKind, AddError> {
        match (&self.made, &self.params) {
            (Made::Ready(kind), _) => Ok(kind.clone()),
            (Made::Effect(shader), NodeType::Effect(effect)) => {
                let handle = EffectHandle::new(gpu.clone(), name, shader.clone())
                    .map_err(|error| AddError::Gpu { field: "params.shader".to_owned(), error })?;
                for (param, values) in &effect.values {
                    handle
                        .set(param, &ParamValue::List(values.clone()))
                        .map_err(|error| AddError::Gpu { field: format!("params.values.{param}"), error })?;
                }
                Ok(NodeKind::Effect(Arc::new(handle)))
            }
            (Made::Effect(_), _) => unreachable!("only effects wait for a GPU"),
        }
    }

    pub fn output_ports(&self) -> Vec<String> {
        match self.params.role() {
            Role::Sink => Vec::new(),
            Role::Source | Role::Effect => vec![VIDEO.to_owned()],
        }
    }

    pub fn input_ports(&self) -> Vec<String> {
        match &self.made {
            Made::Effect(shader) => effect_inputs(shader),
            Made::Ready(_) if self.params.role() == Role::Sink => vec![VIDEO.to_owned()],
            Made::Ready(_) => Vec::new(),
        }
    }

    pub fn push_slot(&self) -> Option<Arc<PushSlot>> {
        match &self.made {
            Made::Ready(NodeKind::Source { kind: SourceKind::Push { slot, .. }, .. }) => Some(slot.clone()),
            _ => None,
        }
    }

    pub fn latest_frame(&self) -> Option<Arc<LatestFrame>> {
        match &self.made {
            Made::Ready(NodeKind::Sink(SinkKind::Numpy(latest))) => Some(latest.clone()),
            _ => None,
        }
    }

    pub fn preview_queue(&self) -> Option<Arc<PreviewQueue>> {
        match &self.made {
            Made::Ready(NodeKind::Sink(SinkKind::Preview(queue))) => Some(queue.clone()),
            _ => None,
        }
    }

    /// The edit that adds this node, as `id`, to another process's graph (a runtime's `PATCH /v1/graph`): its
    /// config, and for an effect its shader keyed by `id`. Nodes whose frames pass through this process (a
    /// push source, numpy and preview sinks) cannot live elsewhere and are refused.
    pub fn addition(&self, id: &str) -> Result<GraphEdit, ConfigError> {
        if let NodeType::Push(_) | NodeType::Numpy(_) | NodeType::Preview(_) = self.params {
            return Err(ConfigError::new(
                "type",
                format!(
                    "{} hands frames to or from this process, so it cannot run in a remote graph",
                    self.params.describe()
                ),
            ));
        }
        let mut edit = GraphEdit::default();
        let mut params = self.params.clone();
        if let (Made::Effect(shader), NodeType::Effect(effect)) = (&self.made, &mut params) {
            effect.shader = id.to_owned();
            edit.shaders.insert(id.to_owned(), ShaderConfig::export(shader, &[]));
        }
        let values = params.params_value().map_err(|e| ConfigError::new("params", e.to_string()))?;
        edit.add_nodes.push(RawNode {
            id: id.to_owned(),
            kind: params.role(),
            ty: params.type_name().to_owned(),
            params: values,
        });
        Ok(edit)
    }

    /// Output size, when the node decides it (sources).
    pub fn resolution(&self) -> Option<(u32, u32)> {
        match &self.made {
            Made::Ready(NodeKind::Source { width, height, .. }) => Some((*width, *height)),
            _ => None,
        }
    }
}

/// An effect's inputs: `video` (its first texture) and its other textures by name.
pub fn effect_inputs(shader: &CompiledShader) -> Vec<String> {
    let mut ports = vec![VIDEO.to_owned()];
    ports.extend(shader.reflection.texture_inputs().into_iter().skip(1));
    ports
}

fn source(kind: SourceKind, width: u32, height: u32) -> NodeKind {
    NodeKind::Source { kind, width, height }
}

/// RGBA8 pixels and size of an image source, from its file or its inline PNG.
fn load_image(image: &ImageParams) -> Result<(Vec<u8>, u32, u32), ConfigError> {
    let decoded = match (&image.path, &image.png_base64) {
        (Some(path), _) => image::open(path)
            .map_err(|e| ConfigError::new("params.path", format!("cannot read image '{path}': {e}")))?,
        (None, Some(data)) => {
            let bytes = BASE64
                .decode(data)
                .map_err(|e| ConfigError::new("params.png_base64", format!("not valid base64 ({e})")))?;
            image::load_from_memory(&bytes)
                .map_err(|e| ConfigError::new("params.png_base64", format!("not a readable image ({e})")))?
        }
        (None, None) => return Err(ConfigError::new("params", "an image source needs path or png_base64")),
    };
    let rgba = decoded.to_rgba8();
    let (width, height) = rgba.dimensions();
    Ok((rgba.into_raw(), width, height))
}
