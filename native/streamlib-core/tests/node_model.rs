//! The one node model: a graph made node by node from catalog calls writes a config (`to_config`) that
//! `from_config` builds into the same graph, which writes the same bytes; and it runs.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use serde_json::{json, Value};
use streamlib_core::config::{GraphConfig, RuntimeSettings, Target};
use streamlib_core::gpu::{AdapterPreference, Gpu};
use streamlib_core::graph::{scheduler, Graph, RunOptions};
use streamlib_core::nodes::{NodeSpec, NodeTypeInfo};
use streamlib_core::shader::{CompileOptions, CompileRequest, Compiler, CompilerConfig, WorkerCommand};

const TINT: &str = "cbuffer Params { float strength; };\n\
    float4 main(float2 uv : TEXCOORD) : SV_Target { return tex2D(input, uv) * strength; }\n";

fn compiler() -> Compiler {
    Compiler::new(CompilerConfig::with_worker(WorkerCommand {
        program: PathBuf::from(env!("CARGO_BIN_EXE_streamlib-shader-worker")),
        args: Vec::new(),
    }))
}

fn spec(
    class: &str,
    positional: Vec<Value>,
    named: Value,
    shader: Option<&Arc<streamlib_core::CompiledShader>>,
) -> NodeSpec {
    let Value::Object(named) = named else { panic!("named params are an object") };
    let params = NodeTypeInfo::by_class(class).unwrap().call(positional, named).unwrap();
    NodeSpec::new(params, |_| shader.cloned()).unwrap()
}

#[test]
fn a_graph_writes_the_config_it_is_built_from() {
    let gpu = Gpu::shared(&AdapterPreference::from_env()).expect("a Vulkan adapter (lavapipe in CI)");
    let compiler = compiler();
    let request = CompileRequest { name: "tint.hlsl".into(), source: TINT.into(), options: CompileOptions::default() };
    let tint = Arc::new(compiler.compile(&request).unwrap());
    let mut graph = Graph::default();
    let pattern =
        graph.add("pattern", &spec("TestPattern", vec![json!(32), json!(16)], json!({}), None), &gpu).unwrap();
    let effect = graph
        .add("tint", &spec("Effect", vec![json!("tint.hlsl")], json!({"values": {"strength": 0.5}}), Some(&tint)), &gpu)
        .unwrap();
    let sink_spec = spec("NumpySink", vec![], json!({}), None);
    let latest = sink_spec.latest_frame().unwrap();
    let sink = graph.add("peek", &sink_spec, &gpu).unwrap();
    graph.connect(pattern, "video", effect, "video", None).unwrap();
    graph.connect(effect, "video", sink, "video", None).unwrap();

    let settings = RuntimeSettings { fps: None, adapter: None, watchdog_ms: None, fuse: None };
    let text = graph.to_config(settings.clone(), &[Target::Vulkan]).unwrap().to_json().unwrap();
    let config = GraphConfig::parse(&text).unwrap();
    assert_eq!(config.shaders.keys().collect::<Vec<_>>(), ["tint"]);
    let written: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(written["nodes"][0]["params"], json!({"width": 32, "height": 16}));
    assert_eq!(written["nodes"][1]["params"]["values"], json!({"strength": [0.5]}));

    let built = Graph::from_config(&gpu, &compiler, &config, &BTreeMap::new()).unwrap();
    assert_eq!(built.report[0].used, "artifact");
    let again = built.graph.to_config(settings, &[Target::Vulkan]).unwrap().to_json().unwrap();
    assert_eq!(again, text);

    let mut running =
        scheduler::start(gpu.clone(), &graph, RunOptions { frames: Some(2), ..Default::default() }, Default::default())
            .unwrap();
    let stats = running.join();
    assert_eq!(stats.error, None);
    let frame = latest.latest().expect("a frame reached the numpy sink");
    assert_eq!((frame.width, frame.height), (32, 16));
}
