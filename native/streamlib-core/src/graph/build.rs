//! A graph config made into a runnable graph: shaders loaded, nodes created with their handles, edges
//! connected in an order that lets the graph check every resolution.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;

use super::{Graph, NodeKind, SinkKind, SourceKind};
use crate::config::{check_sink_overrides, load_shaders, ConfigError, GraphConfig, ImageParams, LoadReport, NodeType};
use crate::gpu::{Gpu, ParamValue};
use crate::nodes::{EffectHandle, LatestFrame, PreviewQueue, PushSlot};
use crate::shader::Compiler;

/// The graph a config describes, with the handles its owner drives it through.
pub struct BuiltGraph {
    pub graph: Graph,
    pub effects: BTreeMap<String, Arc<EffectHandle>>,
    pub numpy: BTreeMap<String, Arc<LatestFrame>>,
    pub previews: BTreeMap<String, Arc<PreviewQueue>>,
    pub push: BTreeMap<String, Arc<PushSlot>>,
    pub report: Vec<LoadReport>,
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
