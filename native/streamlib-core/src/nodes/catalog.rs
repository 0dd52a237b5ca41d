//! Every node type, declared once: its role, config name, Python class, parameters (names, defaults, which a
//! constructor takes by position), how its params are read, checked and written. The config loader, the
//! graph, the Python bindings and the runtime binary all ask this table; none keeps a list of its own.
//!
//! Adding a node type: a variant of `NodeType` with its params struct, a row in `CATALOG`, an arm in each
//! `match` below and in `spec.rs` (how the node is made), and its entry in `streamlib/node_types.pyi`.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::config::ConfigError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Source,
    Effect,
    Sink,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Source => "source",
            Role::Effect => "effect",
            Role::Sink => "sink",
        }
    }
}

/// One parameter as a constructor sees it: `default` is JSON (None: required).
#[derive(Debug)]
pub struct ParamInfo {
    pub name: &'static str,
    pub default: Option<&'static str>,
    /// Taken by position in a constructor call (in table order), else keyword only.
    pub positional: bool,
}

const fn required(name: &'static str) -> ParamInfo {
    ParamInfo { name, default: None, positional: true }
}

const fn optional(name: &'static str, default: &'static str) -> ParamInfo {
    ParamInfo { name, default: Some(default), positional: false }
}

const fn positional(name: &'static str, default: &'static str) -> ParamInfo {
    ParamInfo { name, default: Some(default), positional: true }
}

type ParseParams = fn(Value, &str) -> Result<NodeType, ConfigError>;

#[derive(Debug)]
pub struct NodeTypeInfo {
    pub role: Role,
    /// The config's `type`.
    pub name: &'static str,
    /// The Python class that makes one.
    pub class: &'static str,
    pub summary: &'static str,
    pub params: &'static [ParamInfo],
    parse: ParseParams,
}

/// Every node type, in the order error messages list them.
pub const CATALOG: &[NodeTypeInfo] = &[
    NodeTypeInfo {
        role: Role::Source,
        name: "test_pattern",
        class: "TestPattern",
        summary: "The built-in animated pattern (colour bars, a moving box, the frame index in binary, top-left).",
        params: &[positional("width", "1280"), positional("height", "720")],
        parse: |v, at| Ok(NodeType::TestPattern(typed(v, at)?)),
    },
    NodeTypeInfo {
        role: Role::Source,
        name: "image",
        class: "ImageSource",
        summary: "A still image repeated every frame: a file `path`, or a PNG given inline.",
        params: &[optional("path", "null"), optional("png_base64", "null")],
        parse: |v, at| Ok(NodeType::Image(typed(v, at)?)),
    },
    NodeTypeInfo {
        role: Role::Source,
        name: "video_file",
        class: "VideoFileSource",
        summary: "Frames of a video file, decoded by ffmpeg (optionally scaled to `width`x`height`, looped).",
        params: &[required("path"), optional("width", "null"), optional("height", "null"), optional("loop", "false")],
        parse: |v, at| Ok(NodeType::VideoSource(typed(v, at)?)),
    },
    NodeTypeInfo {
        role: Role::Source,
        name: "push",
        class: "PushSource",
        summary: "Frames pushed from outside (Python, the browser camera); `fallback` shows until the first one.",
        params: &[
            required("width"),
            required("height"),
            optional("every_frame", "false"),
            optional("fallback", "\"test_pattern\""),
        ],
        parse: |v, at| Ok(NodeType::Push(typed(v, at)?)),
    },
    NodeTypeInfo {
        role: Role::Source,
        name: "whep",
        class: "WhepSource",
        summary: "Live video played from a WHEP endpoint (another runtime's node, a media server), scaled to \
                  `width`x`height`; the test pattern shows until the first frame, the last frame while it reconnects.",
        params: &[required("url"), positional("width", "1280"), positional("height", "720"), optional("token", "null")],
        parse: |v, at| Ok(NodeType::Whep(typed(v, at)?)),
    },
    NodeTypeInfo {
        role: Role::Source,
        name: "whip",
        class: "WhipSource",
        summary: "Live video a WHIP client publishes into `streamlib-runtime serve` (`POST /v1/whip/{node}`), \
                  scaled to `width`x`height`; the test pattern shows until the first frame.",
        params: &[positional("width", "1280"), positional("height", "720")],
        parse: |v, at| Ok(NodeType::Whip(typed(v, at)?)),
    },
    NodeTypeInfo {
        role: Role::Source,
        name: "solid_color",
        class: "SolidColor",
        summary: "One colour, every pixel: `rgba` components from 0 to 1.",
        params: &[positional("width", "1280"), positional("height", "720"), positional("rgba", "[0.0, 0.0, 0.0, 1.0]")],
        parse: |v, at| Ok(NodeType::SolidColor(typed(v, at)?)),
    },
    NodeTypeInfo {
        role: Role::Effect,
        name: "effect",
        class: "Effect",
        summary: "A shader applied to every frame, with its parameter values.",
        params: &[required("shader"), optional("values", "{}"), optional("fuse", "true")],
        parse: |v, at| Ok(NodeType::Effect(typed(v, at)?)),
    },
    NodeTypeInfo {
        role: Role::Sink,
        name: "image_sequence",
        class: "ImageSequenceSink",
        summary: "Writes every frame as `directory/{prefix}{index:06}.png` (never drops a frame).",
        params: &[required("directory"), optional("prefix", "\"frame_\"")],
        parse: |v, at| Ok(NodeType::ImageSequence(typed(v, at)?)),
    },
    NodeTypeInfo {
        role: Role::Sink,
        name: "video_file",
        class: "VideoFileSink",
        summary: "Encodes every frame into an MP4 (H.264 through ffmpeg).",
        params: &[required("path"), optional("fps", "30.0")],
        parse: |v, at| Ok(NodeType::VideoSink(typed(v, at)?)),
    },
    NodeTypeInfo {
        role: Role::Sink,
        name: "numpy",
        class: "NumpySink",
        summary: "Keeps the latest frame for the host to read.",
        params: &[],
        parse: |v, at| Ok(NodeType::Numpy(typed(v, at)?)),
    },
    NodeTypeInfo {
        role: Role::Sink,
        name: "whip",
        class: "WhipSink",
        summary: "Publishes the video to a WHIP endpoint (another runtime's WhipSource, a media server) as H.264, \
                  reconnecting when the server restarts.",
        params: &[required("url"), optional("token", "null")],
        parse: |v, at| Ok(NodeType::WhipSink(typed(v, at)?)),
    },
    NodeTypeInfo {
        role: Role::Sink,
        name: "preview",
        class: "PreviewSink",
        summary: "JPEG frames for a live view, in a queue of one: the newest frame wins.",
        params: &[optional("quality", "80")],
        parse: |v, at| Ok(NodeType::Preview(typed(v, at)?)),
    },
];

/// What a node is, by its (role, type) pair; each carries its own params.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeType {
    TestPattern(SizeParams),
    Image(ImageParams),
    VideoSource(VideoSourceParams),
    Push(PushParams),
    Whep(WhepParams),
    Whip(SizeParams),
    SolidColor(SolidColorParams),
    Effect(EffectParams),
    ImageSequence(ImageSequenceParams),
    VideoSink(VideoSinkParams),
    Numpy(NoParams),
    Preview(PreviewParams),
    WhipSink(WhipSinkParams),
}

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
    pub width: Option<u32>,
    pub height: Option<u32>,
    #[serde(rename = "loop")]
    pub looping: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SolidColorParams {
    pub width: u32,
    pub height: u32,
    pub rgba: [f64; 4],
}

/// A WHEP endpoint to play, with the bearer token it wants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WhepParams {
    pub url: String,
    pub width: u32,
    pub height: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

/// A WHIP endpoint to publish to, with the bearer token it wants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WhipSinkParams {
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

/// What a push source shows before its first frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fallback {
    TestPattern,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushParams {
    pub width: u32,
    pub height: u32,
    /// Every pushed frame is shown (`push` waits for the graph); else the newest wins (a live camera).
    #[serde(skip_serializing_if = "is_false")]
    pub every_frame: bool,
    #[serde(skip_serializing_if = "is_test_pattern")]
    pub fallback: Option<Fallback>,
}

/// WHIP/WHEP endpoints are HTTP(S) URLs; `at` is the params' path.
fn http_url(url: &str, at: &str) -> Result<(), ConfigError> {
    if url.starts_with("http://") || url.starts_with("https://") {
        Ok(())
    } else {
        Err(ConfigError::new(format!("{at}.url"), format!("'{url}' is not an http(s) URL")))
    }
}

fn is_false(value: &bool) -> bool {
    !*value
}

fn is_test_pattern(value: &Option<Fallback>) -> bool {
    *value == Some(Fallback::TestPattern)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EffectParams {
    /// A key of the config's `shaders`.
    pub shader: String,
    /// Parameter values; a number or a boolean reads as a one-element list.
    #[serde(deserialize_with = "numbers_by_name")]
    pub values: BTreeMap<String, Vec<f64>>,
    /// Whether the runtime may draw it in one pass with its neighbours (`graph::fusion`); on by default.
    #[serde(default = "yes", skip_serializing_if = "is_yes")]
    pub fuse: bool,
}

fn yes() -> bool {
    true
}

fn is_yes(value: &bool) -> bool {
    *value
}

fn numbers_by_name<'de, D: Deserializer<'de>>(deserializer: D) -> Result<BTreeMap<String, Vec<f64>>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Numbers {
        One(f64),
        Flag(bool),
        Many(Vec<f64>),
    }
    let raw = BTreeMap::<String, Numbers>::deserialize(deserializer)?;
    Ok(raw
        .into_iter()
        .map(|(name, value)| {
            let numbers = match value {
                Numbers::One(x) => vec![x],
                Numbers::Flag(flag) => vec![f64::from(u8::from(flag))],
                Numbers::Many(list) => list,
            };
            (name, numbers)
        })
        .collect())
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

/// Deserializes `value` as `T`, naming the exact field on failure (`nodes[2].params.width`).
pub(crate) fn typed<T: serde::de::DeserializeOwned>(value: Value, prefix: &str) -> Result<T, ConfigError> {
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

impl NodeTypeInfo {
    pub fn by_class(class: &str) -> Option<&'static NodeTypeInfo> {
        CATALOG.iter().find(|info| info.class == class)
    }

    /// The params of a constructor call: `positional` values in table order, then `named` ones; defaults fill
    /// the rest. Errors name the parameter (`params.width`).
    pub fn call(&self, positional: Vec<Value>, named: Map<String, Value>) -> Result<NodeType, ConfigError> {
        let takes: Vec<&str> = self.params.iter().filter(|p| p.positional).map(|p| p.name).collect();
        if positional.len() > takes.len() {
            return Err(ConfigError::new(
                "params",
                format!(
                    "{} takes {} positional parameters ({}), not {}",
                    self.class,
                    takes.len(),
                    takes.join(", "),
                    positional.len()
                ),
            ));
        }
        let mut params: Map<String, Value> = takes.iter().map(|n| (*n).to_owned()).zip(positional).collect();
        for (name, value) in named {
            if params.contains_key(&name) {
                return Err(ConfigError::new(format!("params.{name}"), format!("{} got '{name}' twice", self.class)));
            }
            params.insert(name, value);
        }
        self.read(Value::Object(params), "params")
    }

    /// Reads and checks a node's params (`at` is their path, `nodes[3].params`), defaults filled in.
    pub fn read(&self, mut params: Value, at: &str) -> Result<NodeType, ConfigError> {
        if let Value::Object(given) = &mut params {
            for param in self.params {
                if let (Some(default), false) = (param.default, given.contains_key(param.name)) {
                    let value = serde_json::from_str(default).expect("catalog defaults are JSON");
                    given.insert(param.name.to_owned(), value);
                }
            }
        }
        let node = (self.parse)(params, at)?;
        node.check(at)?;
        Ok(node)
    }
}

impl NodeType {
    /// How an edge into this node delivers frames when its maker does not say: sinks that only show or hand
    /// over the newest frame (previews, numpy, WHIP publishing) drop old ones, the rest get every frame.
    pub fn default_delivery(&self) -> crate::graph::Delivery {
        match self {
            NodeType::Preview(_) | NodeType::Numpy(_) | NodeType::WhipSink(_) => crate::graph::Delivery::Latest,
            _ => crate::graph::Delivery::EveryFrame,
        }
    }

    /// The catalog row of (`role`, `ty`), or an error listing what this runtime supports.
    pub fn lookup(role: Role, ty: &str) -> Result<&'static NodeTypeInfo, String> {
        if let Some(info) = CATALOG.iter().find(|i| i.role == role && i.name == ty) {
            return Ok(info);
        }
        let of_kind: Vec<&str> = CATALOG.iter().filter(|i| i.role == role).map(|i| i.name).collect();
        Err(match CATALOG.iter().find(|i| i.name == ty) {
            Some(other) => format!(
                "'{ty}' is a {} type, not a {} type (supported {} types: {})",
                other.role.as_str(),
                role.as_str(),
                role.as_str(),
                of_kind.join(", ")
            ),
            None => format!("type '{ty}' is not supported by this runtime (supported: {})", of_kind.join(", ")),
        })
    }

    pub fn info(&self) -> &'static NodeTypeInfo {
        let class = match self {
            NodeType::TestPattern(_) => "TestPattern",
            NodeType::Image(_) => "ImageSource",
            NodeType::VideoSource(_) => "VideoFileSource",
            NodeType::Push(_) => "PushSource",
            NodeType::Whep(_) => "WhepSource",
            NodeType::Whip(_) => "WhipSource",
            NodeType::SolidColor(_) => "SolidColor",
            NodeType::Effect(_) => "Effect",
            NodeType::ImageSequence(_) => "ImageSequenceSink",
            NodeType::VideoSink(_) => "VideoFileSink",
            NodeType::Numpy(_) => "NumpySink",
            NodeType::Preview(_) => "PreviewSink",
            NodeType::WhipSink(_) => "WhipSink",
        };
        NodeTypeInfo::by_class(class).expect("every node type has a catalog row")
    }

    pub fn role(&self) -> Role {
        self.info().role
    }

    pub fn type_name(&self) -> &'static str {
        self.info().name
    }

    /// "an effect", "a numpy sink", "a test_pattern source".
    pub fn describe(&self) -> String {
        match self.role() {
            Role::Effect => "an effect".to_owned(),
            role => format!("a {} {}", self.type_name(), role.as_str()),
        }
    }

    /// Reads or writes files on this machine: the field that names the file, else None.
    pub fn file_field(&self) -> Option<&'static str> {
        match self {
            NodeType::Image(image) if image.path.is_some() => Some("path"),
            NodeType::VideoSource(_) | NodeType::VideoSink(_) => Some("path"),
            NodeType::ImageSequence(_) => Some("directory"),
            _ => None,
        }
    }

    pub fn params_value(&self) -> Result<Value, serde_json::Error> {
        match self {
            NodeType::TestPattern(p) => serde_json::to_value(p),
            NodeType::Image(p) => serde_json::to_value(p),
            NodeType::VideoSource(p) => serde_json::to_value(p),
            NodeType::Push(p) => serde_json::to_value(p),
            NodeType::Whep(p) => serde_json::to_value(p),
            NodeType::Whip(p) => serde_json::to_value(p),
            NodeType::SolidColor(p) => serde_json::to_value(p),
            NodeType::Effect(p) => serde_json::to_value(p),
            NodeType::ImageSequence(p) => serde_json::to_value(p),
            NodeType::VideoSink(p) => serde_json::to_value(p),
            NodeType::Numpy(p) => serde_json::to_value(p),
            NodeType::Preview(p) => serde_json::to_value(p),
            NodeType::WhipSink(p) => serde_json::to_value(p),
        }
    }

    /// What serde cannot check; `at` is the params' path.
    fn check(&self, at: &str) -> Result<(), ConfigError> {
        let positive_size = |width: u32, height: u32| -> Result<(), ConfigError> {
            for (name, value) in [("width", width), ("height", height)] {
                if value == 0 {
                    return Err(ConfigError::new(format!("{at}.{name}"), "must be at least 1 pixel"));
                }
            }
            Ok(())
        };
        match self {
            NodeType::TestPattern(size) | NodeType::Whip(size) => positive_size(size.width, size.height),
            NodeType::Push(push) => positive_size(push.width, push.height),
            NodeType::Whep(whep) => {
                positive_size(whep.width, whep.height)?;
                http_url(&whep.url, at)
            }
            NodeType::WhipSink(sink) => http_url(&sink.url, at),
            NodeType::SolidColor(solid) => {
                positive_size(solid.width, solid.height)?;
                match solid.rgba.iter().find(|c| !(0.0..=1.0).contains(*c)) {
                    Some(c) => Err(ConfigError::new(format!("{at}.rgba"), format!("components are 0 to 1, not {c}"))),
                    None => Ok(()),
                }
            }
            NodeType::Image(image) => match (&image.path, &image.png_base64) {
                (Some(_), None) | (None, Some(_)) => Ok(()),
                (Some(_), Some(_)) => Err(ConfigError::new(at, "give either path or png_base64, not both")),
                (None, None) => Err(ConfigError::new(at, "an image source needs path or png_base64")),
            },
            NodeType::VideoSource(video) => match (video.width, video.height) {
                (Some(width), Some(height)) => positive_size(width, height),
                (None, None) => Ok(()),
                _ => Err(ConfigError::new(at, "give both width and height (to scale) or neither (the file's size)")),
            },
            NodeType::VideoSink(sink) if !(sink.fps.is_finite() && sink.fps > 0.0) => {
                Err(ConfigError::new(format!("{at}.fps"), format!("must be a positive frame rate, not {}", sink.fps)))
            }
            NodeType::Preview(preview) if !(1..=100).contains(&preview.quality) => Err(ConfigError::new(
                format!("{at}.quality"),
                format!("JPEG quality must be 1 to 100, not {}", preview.quality),
            )),
            NodeType::Effect(_)
            | NodeType::ImageSequence(_)
            | NodeType::VideoSink(_)
            | NodeType::Numpy(_)
            | NodeType::Preview(_) => Ok(()),
        }
    }
}

/// A node of type `info`: its defaults, and made-up values for what it requires.
#[cfg(test)]
pub(crate) fn sample(info: &NodeTypeInfo) -> NodeType {
    let mut probe: Map<String, Value> = info
        .params
        .iter()
        .filter(|p| p.default.is_none())
        .map(|p| {
            let value = match p.name {
                "width" | "height" => serde_json::json!(8),
                "url" => serde_json::json!("http://127.0.0.1:9/x"),
                _ => serde_json::json!("x"),
            };
            (p.name.to_owned(), value)
        })
        .collect();
    if info.class == "ImageSource" {
        probe.insert("path".to_owned(), serde_json::json!("x.png")); // one of path or png_base64 is required
    }
    info.call(Vec::new(), probe).unwrap_or_else(|e| panic!("{}: {e}", info.class))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn call(class: &str, positional: Vec<Value>, named: Value) -> Result<NodeType, String> {
        let Value::Object(named) = named else { panic!("named params are an object") };
        NodeTypeInfo::by_class(class).unwrap().call(positional, named).map_err(|e| e.to_string())
    }

    #[test]
    fn every_row_names_a_distinct_class_and_reads_back_what_it_writes() {
        for (i, info) in CATALOG.iter().enumerate() {
            assert!(CATALOG[..i].iter().all(|o| o.class != info.class && (o.role, o.name) != (info.role, info.name)));
            let node = sample(info);
            assert_eq!(node.info().class, info.class);
            let written = node.params_value().unwrap();
            for param in info.params {
                let skipped = written.get(param.name).is_none();
                assert!(!skipped || param.default.is_some(), "{}: {} is not written", info.class, param.name);
            }
            assert_eq!(info.read(written, "params").unwrap(), node, "{} reads back what it writes", info.class);
        }
    }

    #[test]
    fn constructor_calls_take_positions_defaults_and_name_bad_params() {
        assert_eq!(
            call("TestPattern", vec![], json!({})),
            Ok(NodeType::TestPattern(SizeParams { width: 1280, height: 720 }))
        );
        assert_eq!(
            call("TestPattern", vec![json!(64)], json!({"height": 32})),
            Ok(NodeType::TestPattern(SizeParams { width: 64, height: 32 }))
        );
        assert_eq!(
            call("TestPattern", vec![json!(1), json!(2), json!(3)], json!({})).unwrap_err(),
            "params: TestPattern takes 2 positional parameters (width, height), not 3"
        );
        assert_eq!(
            call("TestPattern", vec![json!(64)], json!({"width": 32})).unwrap_err(),
            "params.width: TestPattern got 'width' twice"
        );
        assert_eq!(
            call("TestPattern", vec![json!(0)], json!({})).unwrap_err(),
            "params.width: must be at least 1 pixel"
        );
        assert_eq!(call("PushSource", vec![json!(4)], json!({})).unwrap_err(), "params: missing field `height`");
        assert_eq!(
            call("PushSource", vec![json!(4), json!(4)], json!({"fallback": "black"})).unwrap_err(),
            "params.fallback: unknown variant `black`, expected `test_pattern`"
        );
        let Ok(NodeType::Effect(effect)) =
            call("Effect", vec![json!("tint")], json!({"values": {"a": 0.5, "b": true, "c": [1, 2]}}))
        else {
            panic!("effect params")
        };
        assert_eq!(effect.values["a"], [0.5]);
        assert_eq!(effect.values["b"], [1.0]);
        assert_eq!(effect.values["c"], [1.0, 2.0]);
    }

    #[test]
    fn unknown_types_list_what_is_supported() {
        assert_eq!(
            NodeType::lookup(Role::Source, "preview").unwrap_err(),
            "'preview' is a sink type, not a source type (supported source types: test_pattern, image, video_file, push, whep, whip, solid_color)"
        );
        assert_eq!(
            NodeType::lookup(Role::Effect, "warp").unwrap_err(),
            "type 'warp' is not supported by this runtime (supported: effect)"
        );
    }
}
