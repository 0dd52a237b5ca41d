//! A graph fed by a remote stream renders once per frame that arrives, even when frames come late: a repeat
//! of the last frame would cost an encode downstream and hold the next real frame up behind it.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::json;
use streamlib_core::config::GraphConfig;
use streamlib_core::gpu::{AdapterPreference, Gpu};
use streamlib_core::graph::{scheduler, Graph, RunOptions};
use streamlib_core::shader::{Compiler, CompilerConfig, WorkerCommand};

#[test]
fn late_remote_frames_are_waited_for_not_repeated() {
    let gpu = Gpu::shared(&AdapterPreference::from_env()).expect("a Vulkan adapter (lavapipe in CI)");
    let compiler = Compiler::new(CompilerConfig::with_worker(WorkerCommand {
        program: PathBuf::from(env!("CARGO_BIN_EXE_streamlib-shader-worker")),
        args: Vec::new(),
    }));
    let config = json!({
        "format": "streamlib.graph", "version": 1, "runtime": {"fps": 30.0, "adapter": null},
        "nodes": [
            {"id": "cam", "kind": "source", "type": "whip", "params": {"width": 16, "height": 8}},
            {"id": "peek", "kind": "sink", "type": "numpy", "params": {}},
        ],
        "edges": [{"from": "cam.video", "to": "peek.video", "delivery": "latest"}],
        "shaders": {},
    });
    let config = GraphConfig::parse(&config.to_string()).unwrap();
    let built = Graph::from_config(&gpu, &compiler, &config, &BTreeMap::new()).unwrap();
    let (slot, peek) = (built.whip["cam"].clone(), built.numpy["peek"].clone());
    let options = RunOptions { fps: Some(30.0), ..Default::default() };
    let mut running = scheduler::start(gpu.clone(), &built.graph, options, Default::default()).unwrap();

    let frame = |shade: u8| vec![shade; 16 * 8 * 4];
    slot.push(frame(0), Duration::ZERO).unwrap();
    assert!(peek.wait_for(0, Duration::from_secs(10)).is_some(), "the first pushed frame was rendered");
    std::thread::sleep(Duration::from_millis(100));
    // 50 ms apart: each frame a frame time and a half late for a 30 fps graph.
    let (before, pushes) = (peek.received(), 12);
    let started = Instant::now();
    for i in 1..=pushes {
        std::thread::sleep((started + Duration::from_millis(50 * i)).saturating_duration_since(Instant::now()));
        slot.push(frame(i as u8 * 10), Duration::ZERO).unwrap();
    }
    std::thread::sleep(Duration::from_millis(20));
    let rendered = peek.received() - before;
    let stats = running.stop();
    assert_eq!(stats.error, None);
    // One render per frame; a scheduling hiccup of this machine may add one. Waiting a single frame time,
    // the loop rendered a repeat between every two frames (about 24 here).
    assert!((pushes - 1..=pushes + 2).contains(&rendered), "{rendered} frames rendered for {pushes} pushed");
}
