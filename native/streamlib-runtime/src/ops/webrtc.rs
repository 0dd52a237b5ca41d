//! WebRTC sessions of the server (`streamlib_core::webrtc`): playing a node's output to a receiver (WHEP; the
//! node gets a frame tap as for the latest frame, and the session encodes each new frame of it; a `whip` or
//! `whep` source's H.264 is passed on as received while it can be), and receiving a publication into a
//! `whip` source (WHIP; the session decodes into the source's slot).

use std::sync::{Arc, Weak};
use std::time::Duration;

use axum::http::StatusCode;
use streamlib_core::nodes::catalog::NodeType;
use streamlib_core::nodes::frames::{Frame, LatestFrame};
use streamlib_core::webrtc::relay::{Relay, RelayReader};
use streamlib_core::webrtc::{receiver, sender, Feed, FrameFeed, OfferError, Way};

use super::graph;
use crate::http::{ApiError, AppState};

/// Rate control's guess when the graph runs at its natural rate.
const DEFAULT_FPS: f64 = 30.0;

/// Answers `offer` with a session playing `node`; returns the session's id and the SDP answer.
pub fn play(state: &Arc<AppState>, node: &str, offer: &str) -> Result<(String, String), ApiError> {
    graph::frames_of(state, Some(node))?;
    let fps = state.graph().as_ref().and_then(|loaded| loaded.fps).unwrap_or(DEFAULT_FPS) as f32;
    let feed = NodeFeed { state: Arc::downgrade(state), node: node.to_owned(), last: None, relayed: None };
    state
        .sessions
        .admit(node, Way::Send, || sender::answer(offer, Box::new(feed), &state.network, fps))
        .map_err(|e| offer_error(&e).with("node", node))
}

/// Answers a publisher's `offer` with a session decoding into the `whip` source `node`; returns the
/// session's id and the SDP answer.
pub fn publish(state: &AppState, node: &str, offer: &str) -> Result<(String, String), ApiError> {
    let (slot, relay) = {
        let graph = state.graph();
        let loaded = graph.as_ref().ok_or_else(ApiError::no_graph)?;
        match (loaded.built.whip.get(node), loaded.built.relays.get(node)) {
            (Some(slot), Some(relay)) => (slot.clone(), relay.clone()),
            _ => {
                let whip: Vec<&str> = loaded
                    .config
                    .nodes
                    .iter()
                    .filter(|n| matches!(n.node, NodeType::Whip(_)))
                    .map(|n| n.id.as_str())
                    .collect();
                let known = if whip.is_empty() { "none".to_owned() } else { whip.join(", ") };
                return Err(ApiError::new(
                    StatusCode::NOT_FOUND,
                    "no_node",
                    format!("no WHIP source '{node}' in the graph (WHIP sources: {known})"),
                )
                .with("node", node));
            }
        }
    };
    state
        .sessions
        .admit(node, Way::Receive, || receiver::answer(offer, slot, relay, &state.network))
        .map_err(|e| offer_error(&e).with("node", node))
}

pub fn offer_error(error: &OfferError) -> ApiError {
    let (status, code) = match error {
        OfferError::Malformed(_) => (StatusCode::BAD_REQUEST, "bad_sdp"),
        OfferError::Unsupported(_) => (StatusCode::UNPROCESSABLE_ENTITY, "unsupported_offer"),
        OfferError::InUse(_) => (StatusCode::CONFLICT, "source_in_use"),
        OfferError::Full(_) => (StatusCode::SERVICE_UNAVAILABLE, "too_many_sessions"),
        OfferError::Network(_) => (StatusCode::SERVICE_UNAVAILABLE, "no_port"),
    };
    ApiError::new(status, code, error.to_string())
}

/// A node's frames as the loaded graph has them now: a reload or rebuild gives the node a new tap, which the
/// feed follows; a graph without the node gives nothing until one has it again.
struct NodeFeed {
    /// Weak: the state holds the sessions that hold feeds.
    state: Weak<AppState>,
    node: String,
    /// The tap and frame count last given, so a frame goes out once. The tap is held, so a new one is never
    /// taken for it (a freed tap's address can be reused).
    last: Option<(Arc<LatestFrame>, u64)>,
    /// The node's H.264 as a `whip` or `whep` source received it, while that is passed on.
    relayed: Option<RelayReader>,
}

impl FrameFeed for NodeFeed {
    fn next(&mut self, wait: Duration) -> Option<Feed> {
        // A WHIP or WHEP source's own stream goes on as it came while it can; its frames are encoded otherwise.
        if let Some(relay) = self.relay().filter(|relay| relay.passable()) {
            let reader = match self.relayed.take() {
                Some(reader) if Arc::ptr_eq(reader.relay(), &relay) => reader,
                _ => RelayReader::new(relay),
            };
            return self.relayed.insert(reader).next(wait).map(Feed::Unit);
        }
        self.relayed = None;
        self.next_frame(wait).map(Feed::Frame)
    }

    fn keyframe_wanted(&mut self) {
        if let Some(reader) = &self.relayed {
            reader.relay().ask_for_keyframe();
        }
    }
}

impl NodeFeed {
    fn next_frame(&mut self, wait: Duration) -> Option<Arc<Frame>> {
        let frames = self.frames();
        let Some(frames) = frames else {
            std::thread::sleep(wait); // no graph or no such node: nothing to wait on but the time
            return None;
        };
        // A new tap (the graph was reloaded) has given nothing yet.
        let seen = match &self.last {
            Some((tap, count)) if Arc::ptr_eq(tap, &frames) => *count,
            _ => 0,
        };
        let (count, frame) = frames.wait_newer(seen, wait)?;
        self.last = Some((frames, count));
        Some(frame)
    }

    /// The relay of the node, if it is a `whip` or `whep` source of the graph loaded now.
    fn relay(&self) -> Option<Arc<Relay>> {
        let state = self.state.upgrade()?;
        let graph = state.graph();
        graph.as_ref()?.built.relays.get(&self.node).cloned()
    }

    /// The tap of the node in the graph loaded now.
    fn frames(&self) -> Option<Arc<LatestFrame>> {
        let state = self.state.upgrade()?;
        let graph = state.graph();
        let loaded = graph.as_ref()?;
        if loaded.latest_from == self.node {
            Some(loaded.latest.clone())
        } else {
            loaded.taps.get(&self.node).cloned()
        }
    }
}
