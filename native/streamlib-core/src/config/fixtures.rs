//! A valid config and helpers for the config tests, which break it one field at a time.

use serde_json::Value;

use super::{ConfigError, GraphConfig};
use crate::shader::cache::sha256_hex;

pub(super) const SOURCE: &str = "float4 main(float2 uv : TEXCOORD) : SV_Target { return tex2D(input, uv); }\n";

/// A valid config (no artifacts) as a JSON value, for tests to break one field at a time.
pub(super) fn sample() -> Value {
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

pub(super) fn parse(value: &Value) -> Result<GraphConfig, ConfigError> {
    GraphConfig::parse(&value.to_string())
}

pub(super) fn refusal(value: &Value) -> String {
    match parse(value) {
        Ok(_) => panic!("the config was accepted"),
        Err(err) => err.to_string(),
    }
}
