//! One outgoing video track: a str0m peer answering a receiver's offer (WHEP), fed frames by a `FrameFeed`,
//! encoding each new one to H.264 and sending it over its own UDP socket, on its own thread. str0m is sans-IO:
//! this thread owns the socket and the clock, so a session is one thread and one socket, both gone when it
//! ends (stopped, the receiver gone, or never connected).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use str0m::change::{SdpAnswer, SdpOffer};
use str0m::format::Codec;
use str0m::media::{Frequency, MediaKind, MediaTime, Mid, Pt};
use str0m::{Event, IceConnectionState, Rtc, RtcConfig};

use super::h264::H264Encoder;
use super::net::Network;
use super::peer::Peer;
use super::{crypto, OfferError};
use crate::nodes::frames::Frame;

/// How long a session waits for its receiver to connect before it gives up and frees its socket.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);
/// How often the session looks for a new frame while no packet arrives: the most it adds to latency.
const FRAME_POLL: Duration = Duration::from_millis(4);

/// Where a sender's frames come from.
pub trait FrameFeed: Send + 'static {
    /// A frame not given before, if one arrived since the last call.
    fn next_frame(&mut self) -> Option<Frame>;
}

#[derive(Debug, Default)]
pub struct SenderStats {
    pub frames_sent: AtomicU64,
    pub bytes_sent: AtomicU64,
    pub keyframes_requested: AtomicU64,
    pub connected: AtomicBool,
    /// Why the session ended; None while it runs.
    pub ended: Mutex<Option<String>>,
}

pub struct VideoSender {
    stop: Arc<AtomicBool>,
    stats: Arc<SenderStats>,
    thread: Option<JoinHandle<()>>,
}

impl VideoSender {
    /// Answers a receiver's SDP offer: the answer carries one host candidate (ICE lite; the receiver does
    /// the checks) on a UDP port from `network`, and H.264 on the offer's video section. The offer must ask
    /// to receive video and allow H.264 with packetization mode 1.
    pub fn answer(
        offer: &str,
        feed: Box<dyn FrameFeed>,
        network: &Network,
        fps: f32,
    ) -> Result<(VideoSender, String), OfferError> {
        let offer = SdpOffer::from_sdp_string(offer).map_err(|e| OfferError::Malformed(e.to_string()))?;
        let rtc = RtcConfig::new()
            .set_crypto_provider(crypto())
            .set_ice_lite(true)
            .clear_codecs()
            .enable_h264(true)
            .build(Instant::now());
        let mut peer = Peer::bind(rtc, network)?;
        let answer = peer.rtc.sdp_api().accept_offer(offer).map_err(|e| OfferError::Malformed(e.to_string()))?;
        let mid = sending_video(&peer.rtc, &answer)?;
        let pt = h264_pt(&mut peer.rtc, mid)?;
        let stop = Arc::new(AtomicBool::new(false));
        let stats = Arc::new(SenderStats::default());
        let session = Session { peer, mid, pt, feed, encoder: H264Encoder::new(fps) };
        let (thread_stop, thread_stats) = (stop.clone(), stats.clone());
        let thread = std::thread::Builder::new()
            .name("streamlib-webrtc-send".into())
            .spawn(move || {
                let why = session.run(&thread_stop, &thread_stats);
                *thread_stats.ended.lock().unwrap_or_else(|p| p.into_inner()) = Some(why);
            })
            .map_err(|e| OfferError::Network(format!("cannot start the session thread: {e}")))?;
        Ok((VideoSender { stop, stats, thread: Some(thread) }, answer.to_sdp_string()))
    }

    pub fn stats(&self) -> &SenderStats {
        &self.stats
    }

    /// Why the session ended, once it has.
    pub fn ended(&self) -> Option<String> {
        self.stats.ended.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

impl Drop for VideoSender {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn on_event(event: Event, stats: &SenderStats, encoder: &mut H264Encoder) -> Result<(), String> {
    match event {
        Event::Connected => stats.connected.store(true, Ordering::Relaxed),
        Event::IceConnectionStateChange(IceConnectionState::Disconnected) => {
            return Err("the receiver went away".into());
        }
        Event::KeyframeRequest(_) => {
            stats.keyframes_requested.fetch_add(1, Ordering::Relaxed);
            encoder.request_keyframe();
        }
        _ => {}
    }
    Ok(())
}

/// The answer's video section this side sends on. (str0m raises `MediaAdded` only once connected, so the
/// answer's sections are read instead.)
fn sending_video(rtc: &Rtc, answer: &SdpAnswer) -> Result<Mid, OfferError> {
    let sections: Vec<_> = answer.media_lines.iter().filter_map(|line| rtc.media(line.mid())).collect();
    let video = sections.iter().find(|m| m.kind() == MediaKind::Video && m.direction().is_sending());
    video.map(|m| m.mid()).ok_or_else(|| {
        let seen: Vec<String> = sections.iter().map(|m| format!("{:?} {:?}", m.kind(), m.direction())).collect();
        OfferError::Unsupported(format!(
            "the offer asks for no video this side can send (its sections, as this side sees them: {})",
            if seen.is_empty() { "none".to_owned() } else { seen.join(", ") }
        ))
    })
}

/// H.264 the receiver accepts with packetization mode 1, constrained baseline first.
fn h264_pt(rtc: &mut Rtc, mid: Mid) -> Result<Pt, OfferError> {
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

struct Session {
    peer: Peer,
    mid: Mid,
    pt: Pt,
    feed: Box<dyn FrameFeed>,
    encoder: H264Encoder,
}

impl Session {
    /// Runs until stopped or over; returns why it ended.
    fn run(mut self, stop: &AtomicBool, stats: &SenderStats) -> String {
        let started = Instant::now();
        loop {
            if stop.load(Ordering::Relaxed) {
                self.peer.rtc.disconnect();
                return "stopped".into();
            }
            let encoder = &mut self.encoder;
            let deadline = match self.peer.drain(|_, event| on_event(event, stats, encoder)) {
                Ok(deadline) => deadline,
                Err(why) => return why,
            };
            if !self.peer.rtc.is_alive() {
                return "the receiver closed the connection".into();
            }
            let connected = stats.connected.load(Ordering::Relaxed);
            if !connected && started.elapsed() > CONNECT_TIMEOUT {
                return format!("no receiver connected within {} s", CONNECT_TIMEOUT.as_secs());
            }
            if connected {
                if let Some(frame) = self.feed.next_frame() {
                    if let Err(why) = self.send(&frame, started, stats) {
                        return why;
                    }
                    continue;
                }
            }
            if let Err(why) = self.peer.wait(deadline, FRAME_POLL) {
                return why;
            }
        }
    }

    fn send(&mut self, frame: &Frame, started: Instant, stats: &SenderStats) -> Result<(), String> {
        let access_unit = self.encoder.encode(frame)?;
        if access_unit.is_empty() {
            return Ok(());
        }
        let now = Instant::now();
        let ticks = now.duration_since(started).as_micros() as u64 * 9 / 100;
        let bytes = access_unit.len() as u64;
        let writer = self.peer.rtc.writer(self.mid).ok_or("the video section is gone")?;
        writer
            .write(self.pt, now, MediaTime::new(ticks, Frequency::NINETY_KHZ), access_unit)
            .map_err(|e| format!("cannot send a frame: {e}"))?;
        stats.frames_sent.fetch_add(1, Ordering::Relaxed);
        stats.bytes_sent.fetch_add(bytes, Ordering::Relaxed);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use str0m::media::Direction;

    struct Nothing;

    impl FrameFeed for Nothing {
        fn next_frame(&mut self) -> Option<Frame> {
            None
        }
    }

    /// What a receiver with str0m's default codecs offers for one `kind` section.
    fn offer(kind: MediaKind) -> String {
        let mut receiver = RtcConfig::new().set_crypto_provider(crypto()).build(Instant::now());
        let mut change = receiver.sdp_api();
        change.add_media(kind, Direction::RecvOnly, None, None, None);
        let (offer, _pending) = change.apply().expect("an offer");
        offer.to_sdp_string()
    }

    #[test]
    fn answers_a_video_offer_with_h264_and_a_host_candidate() {
        let (sender, answer) =
            VideoSender::answer(&offer(MediaKind::Video), Box::new(Nothing), &Network::default(), 30.0).unwrap();
        assert!(answer.contains("a=sendonly"), "{answer}");
        assert!(answer.contains("H264/90000") && !answer.contains("VP8/90000"), "{answer}");
        assert!(answer.contains("a=candidate:") && answer.contains("127.0.0.1") && answer.contains("a=ice-lite"));
        assert_eq!(sender.ended(), None);
        drop(sender); // stops and joins the session thread
    }

    #[test]
    fn refuses_offers_it_cannot_serve_and_says_why() {
        let network = Network::default();
        let audio = VideoSender::answer(&offer(MediaKind::Audio), Box::new(Nothing), &network, 30.0);
        assert!(matches!(audio, Err(OfferError::Unsupported(ref m)) if m.contains("no video")), "{:?}", audio.err());
        let garbage = VideoSender::answer("v=0\r\nnot sdp", Box::new(Nothing), &network, 30.0);
        assert!(matches!(garbage, Err(OfferError::Malformed(_))), "{:?}", garbage.err());
    }
}
