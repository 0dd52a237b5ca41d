//! What the runtime does for a client, once: the HTTP routes (`http/routes`) and the MCP tools (`mcp`) are two
//! ways of calling these. Each is synchronous (compiles, graph builds, GPU work, encoding), so a caller on an
//! async thread runs it with `spawn_blocking`. Errors are `ApiError`s: a stable code, a message and details
//! (the diagnostics of a compile, the field of a config), which each transport renders its own way.

pub mod effects;
pub mod graph;
pub mod library;
pub mod shaders;
pub mod webrtc;
