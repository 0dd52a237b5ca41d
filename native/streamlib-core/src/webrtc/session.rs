//! What every answering session shares: accepting an offer for one video section in a given direction
//! (ICE lite, H.264 only, one host candidate), and the session's thread with its counters — dropping a
//! `SessionThread` stops the thread and waits for it, so its socket is closed on return.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;

use str0m::change::{SdpAnswer, SdpOffer};
use str0m::format::Codec;
use str0m::media::{MediaKind, Mid, Pt};
use str0m::Rtc;

use super::net::Network;
use super::peer::Peer;
use super::{config, OfferError};

/// A receiver or sender that has not connected by then gives up and frees its socket.
pub const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

#[derive(Debug, Default)]
pub struct SessionStats {
    /// Frames sent (WHEP) or received (WHIP).
    pub frames: AtomicU64,
    /// Pictures decoded into the source (the newest of each batch received): every frame while the graph
    /// wants them, keyframes only while the stream is just passed on.
    pub decoded: AtomicU64,
    /// Of the frames sent, those passed on as received (no re-encoding).
    pub passed_on: AtomicU64,
    pub bytes: AtomicU64,
    pub keyframes_requested: AtomicU64,
    /// The bit rate the encoder is asked for (rate control's last word; 0 before it has spoken).
    pub target_bps: AtomicU64,
    /// The fraction of packets lost in the receiver's last reports, as `f32` bits, and how many such
    /// reports came (loss means nothing before the first).
    pub loss: AtomicU32,
    pub loss_reports: AtomicU64,
    /// The round trip the receiver's last report gave, in µs (0: none yet).
    pub rtt_us: AtomicU64,
    /// The size an encoding session sends its pictures at.
    pub sent_size: SentSize,
    pub connected: AtomicBool,
    /// Why the session ended; None while it runs.
    pub ended: Mutex<Option<String>>,
}

/// The size an encoder sends its pictures at, for reports: the frames' own, or smaller on a slow link
/// (`h264`); unknown before the first picture encoded and while units are passed on as they came.
#[derive(Debug, Default)]
pub struct SentSize(AtomicU64);

impl SentSize {
    pub fn set(&self, size: Option<(u32, u32)>) {
        let packed = size.map_or(0, |(width, height)| (u64::from(width) << 32) | u64::from(height));
        self.0.store(packed, Ordering::Relaxed);
    }

    pub fn get(&self) -> Option<[u32; 2]> {
        let packed = self.0.load(Ordering::Relaxed);
        (packed != 0).then_some([(packed >> 32) as u32, packed as u32])
    }
}

/// Which way the session's video goes, seen from this side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Way {
    Send,
    Receive,
}

/// An accepted offer: the peer, the video section and the SDP answer.
pub struct Accepted {
    pub peer: Peer,
    pub mid: Mid,
    /// The H.264 payload type both sides use.
    pub pt: Pt,
    pub answer: String,
}

/// Accepts `offer` for one video section going `way`, with a socket from `network`.
pub fn accept(offer: &str, way: Way, network: &Network) -> Result<Accepted, OfferError> {
    let offer = SdpOffer::from_sdp_string(offer).map_err(|e| OfferError::Malformed(e.to_string()))?;
    let rtc = config().set_ice_lite(true).build(Instant::now());
    let mut peer = Peer::bind(rtc, network)?;
    let answer = peer.rtc.sdp_api().accept_offer(offer).map_err(|e| OfferError::Malformed(e.to_string()))?;
    let mid = video_section(&peer.rtc, &answer, way)?;
    let pt = h264_pt(&mut peer.rtc, mid)?;
    Ok(Accepted { peer, mid, pt, answer: answer.to_sdp_string() })
}

/// H.264 the other side takes with packetization mode 1, constrained baseline first.
pub(super) fn h264_pt(rtc: &mut Rtc, mid: Mid) -> Result<Pt, OfferError> {
    let writer = rtc.writer(mid).ok_or_else(|| OfferError::Unsupported("the video section has no writer".into()))?;
    let mut h264: Vec<_> = writer
        .payload_params()
        .filter(|p| p.spec().codec == Codec::H264 && p.spec().format.packetization_mode == Some(1))
        .collect();
    h264.sort_by_key(|p| {
        let profile = p.spec().format.profile_level_id.unwrap_or(0) >> 8;
        // 42e0: constrained baseline, what OpenH264 writes; 4200 baseline next.
        (profile != 0x42e0, profile != 0x4200)
    });
    h264.first().map(|p| p.pt()).ok_or_else(|| {
        OfferError::Unsupported("the offer's video allows no H.264 (packetization-mode=1), the codec sent".into())
    })
}

/// The answer's video section going `way`. (str0m raises `MediaAdded` only once connected, so the answer's
/// sections are read instead.)
fn video_section(rtc: &Rtc, answer: &SdpAnswer, way: Way) -> Result<Mid, OfferError> {
    let sections: Vec<_> = answer.media_lines.iter().filter_map(|line| rtc.media(line.mid())).collect();
    let fits = |d: str0m::media::Direction| if way == Way::Send { d.is_sending() } else { d.is_receiving() };
    let video = sections.iter().find(|m| m.kind() == MediaKind::Video && fits(m.direction()));
    video.map(|m| m.mid()).ok_or_else(|| {
        let seen: Vec<String> = sections.iter().map(|m| format!("{:?} {:?}", m.kind(), m.direction())).collect();
        let wanted = if way == Way::Send { "send" } else { "receive" };
        OfferError::Unsupported(format!(
            "the offer has no video this side can {wanted} (its sections, as this side sees them: {})",
            if seen.is_empty() { "none".to_owned() } else { seen.join(", ") }
        ))
    })
}

pub struct SessionThread {
    pub way: Way,
    stop: Arc<AtomicBool>,
    stats: Arc<SessionStats>,
    thread: Option<JoinHandle<()>>,
}

impl SessionThread {
    /// Runs `body` (which returns why the session ended) on its own thread.
    pub fn spawn(
        way: Way,
        body: impl FnOnce(&AtomicBool, &SessionStats) -> String + Send + 'static,
    ) -> Result<SessionThread, OfferError> {
        let stop = Arc::new(AtomicBool::new(false));
        let stats = Arc::new(SessionStats::default());
        let (thread_stop, thread_stats) = (stop.clone(), stats.clone());
        let name = if way == Way::Send { "streamlib-webrtc-send" } else { "streamlib-webrtc-receive" };
        let thread = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                let why = body(&thread_stop, &thread_stats);
                *thread_stats.ended.lock().unwrap_or_else(|p| p.into_inner()) = Some(why);
            })
            .map_err(|e| OfferError::Network(format!("cannot start the session thread: {e}")))?;
        Ok(SessionThread { way, stop, stats, thread: Some(thread) })
    }

    pub fn stats(&self) -> &SessionStats {
        &self.stats
    }

    /// Why the session ended, once it has.
    pub fn ended(&self) -> Option<String> {
        self.stats.ended.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

impl Drop for SessionThread {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
