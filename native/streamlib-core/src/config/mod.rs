//! The graph config (`*.streamlib.json`, format "streamlib.graph" version 1): nodes, edges, parameter values
//! and every shader's HLSL source with its hash and precompiled artifacts, so a graph built in a notebook runs
//! on another device. `Graph::to_config` writes it and `Graph::from_config` builds a graph from it, for Python
//! and the runtime binary alike; node types and their params are `nodes::catalog`'s. The schema is committed at
//! `schemas/graph.streamlib.v1.schema.json`.
//!
//! Writing is canonical (sorted keys, 2-space indent, edges sorted, trailing newline) so that
//! export → load → export gives the same bytes. Every refusal names the field it is about.
//!
//! `model` holds the types, `validate` reads and checks a document, `canonical` writes it, `artifacts` turns
//! shaders into artifacts and back; building a graph from a config is `graph::build`, writing one
//! `graph::export`.

mod artifacts;
mod canonical;
mod edit;
mod model;
mod validate;

#[cfg(test)]
mod fixtures;

use std::fmt;

pub use artifacts::{load_shaders, LoadReport, LoadedShaders, USED_ARTIFACT, USED_RECOMPILED};
pub use canonical::canonical_json;
pub use edit::{EdgeRef, GraphEdit, NewEdge};
pub use model::{
    DeliveryName, EdgeConfig, Endpoint, GraphConfig, NodeConfig, RawEdge, RawNode, RuntimeSettings, ShaderConfig,
    Target,
};
pub use validate::check_sink_overrides;

pub const FORMAT: &str = "streamlib.graph";
pub const VERSION: u64 = 1;

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
