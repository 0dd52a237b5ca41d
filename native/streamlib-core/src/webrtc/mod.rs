//! Live video between devices over standard WebRTC: WHEP to play a node's output (`sender`) or another's
//! (`player`), WHIP to receive a publication (`receiver`). str0m is the sans-IO WebRTC stack (ICE, DTLS,
//! SRTP, RTP in Rust; its pure-Rust crypto, so nothing to link), OpenH264 the codec, built from its bundled
//! source. A session is a thread and a UDP socket (`session`); `Sessions` keeps them under a cap and frees
//! everything a stopped one held.

pub mod h264;
pub mod link;
pub mod net;
mod peer;
pub mod player;
pub mod publisher;
pub mod rate;
pub mod receiver;
pub mod relay;
pub mod sender;
pub mod session;
mod signalling;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;
use sha2::{Digest, Sha256};
use str0m::crypto::CryptoProvider;

pub use net::Network;
pub use sender::{Feed, FrameFeed};
pub use session::{SessionThread, Way};

/// Why an offer got no session.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OfferError {
    /// Not SDP, or SDP str0m cannot accept.
    #[error("the offer is not usable SDP: {0}")]
    Malformed(String),
    /// Valid SDP asking for something this side does not do (no video, no H.264).
    #[error("{0}")]
    Unsupported(String),
    /// The source already has a publisher.
    #[error("{0}")]
    InUse(String),
    /// The session cap is reached.
    #[error("{0}")]
    Full(String),
    /// No socket or thread for the session.
    #[error("{0}")]
    Network(String),
}

fn crypto() -> Arc<CryptoProvider> {
    static PROVIDER: std::sync::OnceLock<Arc<CryptoProvider>> = std::sync::OnceLock::new();
    PROVIDER.get_or_init(|| Arc::new(str0m::crypto::from_feature_flags())).clone()
}

/// What every peer of ours is, offering or answering: H.264 only, and only the RTP header extensions this side
/// uses. `mid` demultiplexes the bundled section; transport-wide sequence numbers let a publisher (a browser)
/// steer its bitrate by the feedback str0m sends. Left out: abs-send-time (a receiver-side estimate for
/// senders that adapt to REMB, which ours do not), audio level (no audio), stream ids (one stream, no
/// simulcast) and video orientation (a receiver here does not rotate pictures, so without it a phone
/// publisher sends them upright).
fn config() -> str0m::RtcConfig {
    use str0m::rtp::Extension;
    str0m::RtcConfig::new()
        .set_crypto_provider(crypto())
        .clear_codecs()
        .enable_h264(true)
        .clear_extension_map()
        .set_extension(3, Extension::TransportSequenceNumber)
        .set_extension(4, Extension::RtpMid)
        .set_stats_interval(Some(STATS_EVERY))
}

/// How often str0m reports a session's counters: a sender's rate control acts on each report with a
/// receiver report in it (receivers send one every 0.5–1.5 s).
const STATS_EVERY: std::time::Duration = std::time::Duration::from_millis(500);

/// What a session reports (`/v1/stats`, the session list).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SessionReport {
    pub id: String,
    pub node: String,
    pub connected: bool,
    /// "send" (WHEP: playing the node) or "receive" (WHIP: publishing into the source).
    pub direction: &'static str,
    /// Frames sent, or received.
    pub frames: u64,
    /// Pictures decoded into the source: keyframes only while nothing needs its pictures.
    pub decoded: u64,
    /// Of the frames sent, those passed on as a WHIP source received them (no decode and re-encode).
    pub passed_on: u64,
    pub bytes: u64,
    pub keyframes_requested: u64,
    /// The bit rate a sending session's encoder is set to, as the receiver's reports steer it (`rate`);
    /// None before the first report, and for a session that has only passed units on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_bps: Option<u64>,
    /// The fraction of packets the receiver reported lost lately (a sending session, once it reported).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loss: Option<f32>,
    /// The round trip to the receiver, from its last report on our sender reports (a sending session).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rtt_ms: Option<f64>,
    /// The size an encoding session sends pictures at: the node's own, or smaller on a link too slow for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sent_size: Option<[u32; 2]>,
    pub age_s: f64,
    /// Why it ended (it is then removed at the next change to the list).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended: Option<String>,
}

struct Entry {
    node: String,
    session: SessionThread,
    created: std::time::Instant,
}

/// The live sessions, at most `max` of them.
pub struct Sessions {
    max: usize,
    counter: AtomicU64,
    live: Mutex<BTreeMap<String, Entry>>,
}

impl Sessions {
    pub fn new(max: usize) -> Sessions {
        Sessions { max, counter: AtomicU64::new(0), live: Mutex::new(BTreeMap::new()) }
    }

    pub fn max(&self) -> usize {
        self.max
    }

    /// Admits the session `open` makes for `node` if the cap allows (ended sessions first make room);
    /// returns its id and the SDP answer.
    pub fn admit(
        &self,
        node: &str,
        way: Way,
        open: impl FnOnce() -> Result<(SessionThread, String), OfferError>,
    ) -> Result<(String, String), OfferError> {
        let mut live = self.lock();
        live.retain(|_, entry| entry.session.ended().is_none());
        if way == Way::Receive && live.values().any(|e| e.node == node && e.session.way == Way::Receive) {
            return Err(OfferError::InUse(format!(
                "'{node}' already receives a WHIP publication; DELETE that session first"
            )));
        }
        if live.len() >= self.max {
            return Err(OfferError::Full(format!(
                "{} WebRTC sessions are open, the most this server allows; DELETE one or retry later",
                self.max
            )));
        }
        let (session, answer) = open()?;
        let id = self.new_id();
        live.insert(id.clone(), Entry { node: node.to_owned(), session, created: std::time::Instant::now() });
        Ok((id, answer))
    }

    /// Ends `node`'s session `id` going `way` (its thread and socket are gone on return); false if there
    /// was none.
    pub fn end(&self, node: &str, id: &str, way: Way) -> bool {
        let mut live = self.lock();
        if live.get(id).is_none_or(|entry| entry.node != node || entry.session.way != way) {
            return false;
        }
        let entry = live.remove(id);
        drop(live);
        drop(entry);
        true
    }

    /// Ends every session (the graph they play is going away, or the server is).
    pub fn end_all(&self) {
        let ended = std::mem::take(&mut *self.lock());
        drop(ended);
    }

    /// Ends every session receiving a publication (WHIP): a rebuilt graph has new source slots, and a
    /// publisher that sees its session end reconnects into them (as `WhipSink` does).
    pub fn end_receiving(&self) {
        let mut live = self.lock();
        let ended: Vec<Entry> = {
            let ids: Vec<String> =
                live.iter().filter(|(_, e)| e.session.way == Way::Receive).map(|(id, _)| id.clone()).collect();
            ids.iter().filter_map(|id| live.remove(id)).collect()
        };
        drop(live);
        drop(ended);
    }

    pub fn report(&self) -> Vec<SessionReport> {
        self.lock()
            .iter()
            .map(|(id, entry)| {
                let stats = entry.session.stats();
                SessionReport {
                    id: id.clone(),
                    node: entry.node.clone(),
                    connected: stats.connected.load(Ordering::Relaxed),
                    direction: if entry.session.way == Way::Send { "send" } else { "receive" },
                    frames: stats.frames.load(Ordering::Relaxed),
                    decoded: stats.decoded.load(Ordering::Relaxed),
                    passed_on: stats.passed_on.load(Ordering::Relaxed),
                    bytes: stats.bytes.load(Ordering::Relaxed),
                    keyframes_requested: stats.keyframes_requested.load(Ordering::Relaxed),
                    target_bps: Some(stats.target_bps.load(Ordering::Relaxed)).filter(|&bps| bps > 0),
                    loss: (stats.loss_reports.load(Ordering::Relaxed) > 0)
                        .then(|| f32::from_bits(stats.loss.load(Ordering::Relaxed))),
                    rtt_ms: Some(stats.rtt_us.load(Ordering::Relaxed))
                        .filter(|&us| us > 0)
                        .map(|us| us as f64 / 1000.0),
                    sent_size: stats.sent_size.get(),
                    age_s: entry.created.elapsed().as_secs_f64(),
                    ended: entry.session.ended(),
                }
            })
            .collect()
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, Entry>> {
        self.live.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Not guessable from another session's id: session URLs are capabilities once the token is shared.
    fn new_id(&self) -> String {
        let count = self.counter.fetch_add(1, Ordering::Relaxed);
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let digest = Sha256::new()
            .chain_update(count.to_le_bytes())
            .chain_update(nanos.to_le_bytes())
            .chain_update(std::process::id().to_le_bytes())
            .chain_update((self as *const Sessions as usize).to_le_bytes())
            .finalize();
        digest[..12].iter().map(|b| format!("{b:02x}")).collect()
    }
}
