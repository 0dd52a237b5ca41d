//! Rules for a runtime that holds one loaded graph and is driven from outside while it runs (the HTTP server
//! of `streamlib-runtime serve` today): which node a client watches, which configs may touch this machine's
//! files, and how the stored config stays true to what runs after parameter changes and hot swaps. They live
//! here, not in the server, so every front end answers the same way.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::config::{ConfigError, EdgeConfig, Endpoint, GraphConfig, NodeConfig, ShaderConfig};
use crate::gpu::Gpu;
use crate::graph::{AddError, Delivery, Graph, GraphError, VIDEO};
use crate::nodes::catalog::{EffectParams, NoParams};
use crate::nodes::{LatestFrame, NodeSpec, NodeType, Role};
use crate::shader::CompiledShader;

/// The node id of the runtime's own latest-frame sink.
pub const LATEST_SINK: &str = "__server_latest";

/// The node a client's "latest frame" shows: the last effect in the config's node order (the end of the
/// chain as people write it), or, in a graph without effects, the last source. None when there is neither.
pub fn latest_frame_source(config: &GraphConfig) -> Option<String> {
    let last =
        |wanted: fn(&NodeType) -> bool| config.nodes.iter().rev().find(|n| wanted(&n.node)).map(|n| n.id.clone());
    last(|n| n.role() == Role::Effect).or_else(|| last(|n| n.role() == Role::Source))
}

/// The runtime's own numpy sink, fed by `from`.
pub struct LatestTap {
    pub frame: Arc<LatestFrame>,
    pub from: String,
}

/// Adds the `LATEST_SINK` node to `graph`, fed (latest wins) by `latest_frame_source(config)`.
pub fn attach_latest_frame(graph: &mut Graph, config: &GraphConfig, gpu: &Arc<Gpu>) -> Result<LatestTap, AddError> {
    let from = latest_frame_source(config)
        .ok_or_else(|| GraphError("the graph has no source or effect to take frames from".to_owned()))?;
    let frame = attach_tap(graph, &from, LATEST_SINK, gpu)?;
    Ok(LatestTap { frame, from })
}

const TAP_PREFIX: &str = "__tap_";

/// The id of the numpy sink a runtime adds when a client asks for node `from`'s frames.
pub fn tap_id(from: &str) -> String {
    format!("{TAP_PREFIX}{from}")
}

/// True for the sinks a runtime adds for its clients (the latest frame, taps), which its stats leave out.
pub fn is_runtime_sink(id: &str) -> bool {
    id == LATEST_SINK || id.starts_with(TAP_PREFIX)
}

/// Adds a numpy sink `id` fed (latest wins) by node `from`'s video; its latest frame.
pub fn attach_tap(graph: &mut Graph, from: &str, id: &str, gpu: &Arc<Gpu>) -> Result<Arc<LatestFrame>, AddError> {
    let node = graph.find(from).ok_or_else(|| GraphError(format!("no node '{from}'")))?;
    let spec = NodeSpec::new(NodeType::Numpy(NoParams {}), |_| None).map_err(|e| GraphError(e.to_string()))?;
    let frame = spec.latest_frame().ok_or_else(|| GraphError("a numpy sink has a latest frame".to_owned()))?;
    let sink = graph.add(id, &spec, gpu)?;
    graph.connect(node, VIDEO, sink, VIDEO, Some(Delivery::Latest))?;
    Ok(frame)
}

/// Refuses configs whose nodes read or write files on this machine (image paths, video sources, image
/// sequences, video files) unless `allow_files`: a remote client must not reach the runtime's disk by default.
/// The error names the first such node's field.
pub fn check_file_access(config: &GraphConfig, allow_files: bool) -> Result<(), ConfigError> {
    if allow_files {
        return Ok(());
    }
    for (i, node) in config.nodes.iter().enumerate() {
        let Some(field) = node.node.file_field() else { continue };
        let field = format!("nodes[{i}].params.{field}");
        let message = format!(
            "node '{}' ({}) reads or writes files on the server, which this server refuses (start it with --allow-files, or use inline png_base64 images and numpy/preview sinks)",
            node.id,
            node.node.describe()
        );
        return Err(ConfigError::new(field, message));
    }
    Ok(())
}

/// Keeps effect `id`'s stored values equal to `current` for the parameters in `changed`, so the config a
/// client reads back is the one that runs.
pub fn record_values(config: &mut GraphConfig, id: &str, current: &[(String, Vec<f64>)], changed: &[&str]) {
    for node in config.nodes.iter_mut().filter(|n| n.id == id) {
        if let NodeType::Effect(params) = &mut node.node {
            for (name, value) in current.iter().filter(|(name, _)| changed.contains(&name.as_str())) {
                params.values.insert(name.clone(), value.clone());
            }
        }
    }
}

/// Keeps the config true to what runs after effect `id` swapped to `shader` (compiled from `source`): the
/// effect names a shader entry holding the new source — an entry `KEY@ID` of its own when other effects
/// share the old one —, without artifacts (they came from the old source), and values of parameters the new
/// shader lacks are dropped.
pub fn record_swap(config: &mut GraphConfig, id: &str, shader: &CompiledShader, source: String) {
    let uses =
        |key: &str| config.nodes.iter().filter(|n| matches!(&n.node, NodeType::Effect(p) if p.shader == key)).count();
    let Some(old_key) = config.nodes.iter().find_map(|n| match &n.node {
        NodeType::Effect(p) if n.id == id => Some(p.shader.clone()),
        _ => None,
    }) else {
        return;
    };
    let key = if uses(&old_key) > 1 { format!("{old_key}@{id}") } else { old_key };
    let entry = ShaderConfig {
        name: shader.name.clone(),
        language: shader.language,
        stage: shader.stage,
        entry: shader.entry.clone(),
        backend: shader.backend,
        source,
        defines: shader.defines.iter().cloned().collect(),
        sha256: shader.source_hash.clone(),
        artifacts: BTreeMap::new(),
        artifact_source_sha256: None,
    };
    config.shaders.insert(key.clone(), entry);
    for node in config.nodes.iter_mut().filter(|n| n.id == id) {
        if let NodeType::Effect(params) = &mut node.node {
            params.shader = key.clone();
            params.values.retain(|name, _| shader.parameters.iter().any(|p| &p.name == name));
        }
    }
}

/// Where `insert_effect` puts a new effect: after node `after` (whose consumers then read the new effect).
pub struct Insertion<'a> {
    pub id: &'a str,
    pub after: &'a str,
    pub shader: ShaderConfig,
    pub values: BTreeMap<String, Vec<f64>>,
}

/// Adds an effect running `insertion.shader` between node `after` and everything that read `after`'s video,
/// so a chain grows in place (`pattern → fx → out` becomes `pattern → fx → new → out`). The shader entry is
/// keyed by the new node's id. Refuses an id already taken, an `after` that is not a source or an effect.
pub fn insert_effect(config: &mut GraphConfig, insertion: Insertion<'_>) -> Result<(), ConfigError> {
    let Insertion { id, after, shader, values } = insertion;
    if id.is_empty() || id.starts_with("__") {
        return Err(ConfigError::new("id", format!("'{id}' is not a node id (non-empty, not starting with '__')")));
    }
    if config.node_index(id).is_some() {
        return Err(ConfigError::new("id", format!("the graph already has a node '{id}'")));
    }
    let Some(at) = config.node_index(after) else {
        let known: Vec<&str> = config.nodes.iter().map(|n| n.id.as_str()).collect();
        return Err(ConfigError::new("after", format!("no node '{after}' (nodes: {})", known.join(", "))));
    };
    let upstream = &config.nodes[at].node;
    if upstream.role() == Role::Sink {
        return Err(ConfigError::new(
            "after",
            format!("'{after}' is {}, which has no video to read", upstream.describe()),
        ));
    }
    let key = if config.shaders.contains_key(id) { format!("{id}@{id}") } else { id.to_owned() };
    config.shaders.insert(key.clone(), shader);
    // Next to its upstream in node order, so the chain's end (what `latest_frame_source` picks) stays the end.
    let node =
        NodeConfig { id: id.to_owned(), node: NodeType::Effect(EffectParams { shader: key, values, fuse: true }) };
    config.nodes.insert(at + 1, node);
    let from = Endpoint { node: after.to_owned(), port: VIDEO.to_owned() };
    let own = Endpoint { node: id.to_owned(), port: VIDEO.to_owned() };
    let mut delivery = Delivery::EveryFrame;
    for edge in config.edges.iter_mut().filter(|e| e.from == from) {
        edge.from = own.clone();
        delivery = edge.delivery;
    }
    config.edges.push(EdgeConfig { from, to: own, delivery });
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use serde_json::{json, Value};

    use super::*;
    use crate::shader::cache::sha256_hex;
    use crate::shader::{
        BackendKind, CompileOptions, CompileRequest, Compiler, CompilerConfig, Isolation, WorkerCommand,
    };

    const COPY: &str = "float4 main(float2 uv : TEXCOORD) : SV_Target { return tex2D(input, uv); }\n";
    const TINT: &str = "cbuffer params { float strength; };\nfloat4 main(float2 uv : TEXCOORD) : SV_Target { return tex2D(input, uv) * strength; }\n";

    fn shader(source: &str) -> Value {
        json!({"name": "fx.hlsl", "stage": "pixel", "entry": "main", "backend": "glslang", "source": source,
               "sha256": sha256_hex(source.as_bytes()), "artifacts": {}, "artifact_source_sha256": null})
    }

    fn node(id: &str, kind: &str, ty: &str, params: Value) -> Value {
        json!({"id": id, "kind": kind, "type": ty, "params": params})
    }

    fn config(nodes: Vec<Value>, edges: Vec<(&str, &str)>, shaders: Value) -> GraphConfig {
        let edges: Vec<Value> =
            edges.iter().map(|(from, to)| json!({"from": from, "to": to, "delivery": "latest"})).collect();
        let value = json!({"format": "streamlib.graph", "version": 1, "runtime": {"fps": null, "adapter": null},
                           "nodes": nodes, "edges": edges, "shaders": shaders});
        GraphConfig::parse(&value.to_string()).unwrap()
    }

    fn pattern(id: &str) -> Value {
        node(id, "source", "test_pattern", json!({"width": 8, "height": 8}))
    }

    fn effect(id: &str, shader: &str, values: Value) -> Value {
        node(id, "effect", "effect", json!({"shader": shader, "values": values}))
    }

    /// Two tint effects sharing one shader entry, fed by one pattern, and a numpy sink after the second.
    fn shared_tint() -> GraphConfig {
        config(
            vec![
                pattern("pattern"),
                effect("a", "tint", json!({"strength": [0.5]})),
                effect("b", "tint", json!({"strength": [0.25]})),
                node("out", "sink", "numpy", json!({})),
            ],
            vec![("pattern.video", "a.video"), ("a.video", "b.video"), ("b.video", "out.video")],
            json!({"tint": shader(TINT)}),
        )
    }

    fn compiled(source: &str) -> CompiledShader {
        let compiler = Compiler::new(CompilerConfig {
            isolation: Isolation::InProcess,
            ..CompilerConfig::with_worker(WorkerCommand { program: PathBuf::new(), args: Vec::new() })
        });
        let request = CompileRequest {
            name: "swapped.hlsl".into(),
            source: source.into(),
            options: CompileOptions { backend: Some(BackendKind::Glslang), ..CompileOptions::default() },
        };
        compiler.compile(&request).unwrap()
    }

    #[test]
    fn latest_frame_comes_from_the_last_effect_else_the_last_source() {
        assert_eq!(latest_frame_source(&shared_tint()).as_deref(), Some("b"));
        let sources_only = config(
            vec![pattern("first"), pattern("second"), node("out", "sink", "numpy", json!({}))],
            vec![("first.video", "out.video")],
            json!({}),
        );
        assert_eq!(latest_frame_source(&sources_only).as_deref(), Some("second"));
        let nothing = config(vec![], vec![], json!({}));
        assert_eq!(latest_frame_source(&nothing), None);
    }

    #[test]
    fn nodes_touching_files_are_refused_unless_allowed() {
        let inline =
            config(vec![node("still", "source", "image", json!({"png_base64": "iVBORw0KGgo="}))], vec![], json!({}));
        assert_eq!(check_file_access(&inline, false), Ok(()));
        let on_disk = config(
            vec![pattern("pattern"), node("out", "sink", "image_sequence", json!({"directory": "d", "prefix": "f"}))],
            vec![("pattern.video", "out.video")],
            json!({}),
        );
        let err = check_file_access(&on_disk, false).unwrap_err();
        assert_eq!(err.field, "nodes[1].params.directory");
        assert!(err.message.starts_with("node 'out' (a image_sequence sink) reads or writes files"), "{err}");
        assert_eq!(check_file_access(&on_disk, true), Ok(()));
    }

    #[test]
    fn changed_values_are_recorded_and_others_left_alone() {
        let mut config = shared_tint();
        let current = vec![("strength".to_owned(), vec![0.75]), ("other".to_owned(), vec![1.0])];
        record_values(&mut config, "a", &current, &["strength"]);
        let values = |config: &GraphConfig, id: &str| match &config.nodes[config.node_index(id).unwrap()].node {
            NodeType::Effect(p) => p.values.clone(),
            _ => unreachable!(),
        };
        assert_eq!(values(&config, "a"), BTreeMap::from([("strength".to_owned(), vec![0.75])]));
        assert_eq!(values(&config, "b"), BTreeMap::from([("strength".to_owned(), vec![0.25])]));
    }

    #[test]
    fn a_swap_of_a_shared_shader_gets_its_own_entry_and_drops_lost_parameters() {
        let mut config = shared_tint();
        let copy = compiled(COPY);
        record_swap(&mut config, "b", &copy, COPY.to_owned());
        let NodeType::Effect(b) = &config.nodes[2].node else { unreachable!() };
        assert_eq!(b.shader, "tint@b");
        assert!(b.values.is_empty(), "copy has no 'strength': {:?}", b.values);
        let NodeType::Effect(a) = &config.nodes[1].node else { unreachable!() };
        assert_eq!((a.shader.as_str(), a.values.len()), ("tint", 1));
        let entry = &config.shaders["tint@b"];
        assert_eq!((entry.source.as_str(), entry.sha256.as_str()), (COPY, copy.source_hash.as_str()));
        assert!(entry.artifacts.is_empty() && entry.artifact_source_sha256.is_none());
        // The edited config is still a valid document, and a swap of the sole user replaces the entry in place.
        let mut reread = GraphConfig::parse(&config.to_json().unwrap()).unwrap();
        record_swap(&mut reread, "b", &compiled(TINT), TINT.to_owned());
        assert_eq!(reread.shaders["tint@b"].source, TINT);
        assert_eq!(reread.shaders.len(), 2);
    }

    fn insertion<'a>(id: &'a str, after: &'a str) -> Insertion<'a> {
        let shader = ShaderConfig::export(&compiled(COPY), &[]);
        Insertion { id, after, shader, values: BTreeMap::new() }
    }

    #[test]
    fn an_inserted_effect_takes_over_its_upstreams_readers() {
        let mut config = shared_tint();
        insert_effect(&mut config, insertion("copy", "a")).unwrap();
        let mut edges: Vec<String> = config.edges.iter().map(|e| format!("{} -> {}", e.from, e.to)).collect();
        edges.sort();
        assert_eq!(
            edges,
            ["a.video -> copy.video", "b.video -> out.video", "copy.video -> b.video", "pattern.video -> a.video"]
        );
        assert_eq!(config.edges.iter().find(|e| e.to.node == "copy").unwrap().delivery, Delivery::Latest);
        assert_eq!(config.shaders["copy"].source, COPY);
        // Still a valid document, and the chain's end (what a client watches) moves only when it grows there.
        let reread = GraphConfig::parse(&config.to_json().unwrap()).unwrap();
        assert_eq!(latest_frame_source(&reread).as_deref(), Some("b"));
        let mut longer = reread.clone();
        insert_effect(&mut longer, insertion("last", "b")).unwrap();
        assert_eq!(latest_frame_source(&longer).as_deref(), Some("last"));
    }

    #[test]
    fn an_insertion_names_what_is_wrong_and_changes_nothing() {
        let config = shared_tint();
        for (id, after, field, says) in [
            ("a", "pattern", "id", "already has a node 'a'"),
            ("", "pattern", "id", "is not a node id"),
            ("new", "nowhere", "after", "no node 'nowhere' (nodes: pattern, a, b, out)"),
            ("new", "out", "after", "has no video to read"),
        ] {
            let mut edited = config.clone();
            let err = insert_effect(&mut edited, insertion(id, after)).unwrap_err();
            assert_eq!(err.field, field);
            assert!(err.message.contains(says), "{err:?}");
            assert_eq!(edited, config);
        }
    }
}
