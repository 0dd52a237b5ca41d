//! One outgoing video track: a str0m peer answering a receiver's offer (WHEP), fed by a `FrameFeed`: each new
//! frame is encoded to H.264, each H.264 unit a WHIP or WHEP source received is sent as it is (`relay`), over
//! the session's own UDP socket, on its own thread. str0m is sans-IO:
//! this thread owns the socket and the clock, so a session is one thread and one socket, both gone when it
//! ends (stopped, the receiver gone, or never connected).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use str0m::media::{Frequency, MediaTime, Mid, Pt};
use str0m::{Event, IceConnectionState};

use super::h264::H264Encoder;
use super::net::Network;
use super::peer::Peer;
use super::rate::{RateControl, Report, SentRate, START_BPS};
use super::session::{accept, Accepted, SessionStats, SessionThread, Way, CONNECT_TIMEOUT};
use super::OfferError;
use crate::nodes::frames::Frame;

/// The longest a connected session waits for a frame before it takes the datagrams that came meanwhile
/// (receiver reports, NACKs, keyframe requests, consent checks): the most they wait.
const SOCKET_POLL: Duration = Duration::from_millis(10);

/// What a sender sends next.
pub enum Feed {
    /// A frame to encode.
    Frame(Arc<Frame>),
    /// An H.264 access unit (Annex-B) to send as it is: the first of a run is a keyframe.
    Unit(Arc<[u8]>),
}

/// Where a sender's frames come from.
pub trait FrameFeed: Send + 'static {
    /// What was not given before, waiting up to `wait` for it: the session wakes as it arrives.
    fn next(&mut self, wait: Duration) -> Option<Feed>;

    /// The receiver asked for a keyframe, which for units passed on only their source can make.
    fn keyframe_wanted(&mut self) {}
}

/// Answers a receiver's SDP offer (WHEP): the answer carries one host candidate (ICE lite; the receiver
/// does the checks) on a UDP port from `network`, and H.264 on the offer's video section. The offer must ask
/// to receive video and allow H.264 with packetization mode 1. Each new frame of `feed` is encoded and sent.
pub fn answer(
    offer: &str,
    feed: Box<dyn FrameFeed>,
    network: &Network,
    fps: f32,
) -> Result<(SessionThread, String), OfferError> {
    let Accepted { peer, mid, pt, answer } = accept(offer, Way::Send, network)?;
    let session = Session::new(peer, mid, pt, feed, fps);
    let thread = SessionThread::spawn(Way::Send, move |stop, stats| session.run(stop, stats))?;
    Ok((thread, answer))
}

fn on_event(
    event: Event,
    stats: &SessionStats,
    encoder: &mut H264Encoder,
    rate: &mut (RateControl, SentRate),
    feed: &mut dyn FrameFeed,
) -> Result<(), String> {
    match event {
        Event::Connected => stats.connected.store(true, Ordering::Relaxed),
        Event::IceConnectionStateChange(IceConnectionState::Disconnected) => {
            return Err("the receiver went away".into());
        }
        // A receiver report came since the last stats event (str0m gives loss only then).
        Event::MediaEgressStats(report) if report.loss.is_some() => {
            let (control, sent) = rate;
            let sent_bps = sent.since_last(report.bytes, report.timestamp);
            let loss = report.loss.unwrap_or(0.0);
            stats.loss.store(loss.to_bits(), Ordering::Relaxed);
            stats.loss_reports.fetch_add(1, Ordering::Relaxed);
            if let Some(rtt) = report.rtt {
                stats.rtt_us.store((rtt.as_micros() as u64).max(1), Ordering::Relaxed);
            }
            // Units passed on are their publisher's to size; only an encoding session steers.
            if let Some(ceiling) = encoder.ceiling() {
                let target = control.on_report(ceiling, Report { loss, rtt: report.rtt, sent_bps });
                encoder.set_bitrate(target);
                stats.target_bps.store(u64::from(target), Ordering::Relaxed);
            }
        }
        Event::KeyframeRequest(_) => {
            stats.keyframes_requested.fetch_add(1, Ordering::Relaxed);
            encoder.request_keyframe();
            feed.keyframe_wanted();
        }
        _ => {}
    }
    Ok(())
}

/// Sends a feed's frames on a connected peer until stopped or over.
pub(super) struct Session {
    peer: Peer,
    mid: Mid,
    pt: Pt,
    feed: Box<dyn FrameFeed>,
    encoder: H264Encoder,
    /// The rate control, and what it reads the rate sent from.
    rate: (RateControl, SentRate),
    /// Whether the last thing sent was a unit passed on: a frame encoded after it must be a keyframe.
    passing_on: bool,
}

impl Session {
    pub(super) fn new(peer: Peer, mid: Mid, pt: Pt, feed: Box<dyn FrameFeed>, fps: f32) -> Session {
        let mut encoder = H264Encoder::new(fps);
        encoder.set_bitrate(START_BPS);
        Session { peer, mid, pt, feed, encoder, rate: Default::default(), passing_on: false }
    }

    /// Runs until stopped or over; returns why it ended.
    pub(super) fn run(mut self, stop: &AtomicBool, stats: &SessionStats) -> String {
        let started = Instant::now();
        loop {
            if stop.load(Ordering::Relaxed) {
                self.peer.rtc.disconnect();
                return "stopped".into();
            }
            let (encoder, rate, feed) = (&mut self.encoder, &mut self.rate, &mut *self.feed);
            let deadline = match self.peer.drain(|_, event| on_event(event, stats, encoder, rate, feed)) {
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
            let received = if connected {
                // Waiting on the feed, not the socket: a frame goes out as soon as the graph delivers it.
                let wait =
                    deadline.saturating_duration_since(Instant::now()).clamp(Duration::from_millis(1), SOCKET_POLL);
                if let Some(next) = self.feed.next(wait) {
                    if let Err(why) = self.send(next, started, stats) {
                        return why;
                    }
                }
                self.peer.take_waiting()
            } else {
                self.peer.wait(deadline, SOCKET_POLL)
            };
            if let Err(why) = received {
                return why;
            }
        }
    }

    fn send(&mut self, next: Feed, started: Instant, stats: &SessionStats) -> Result<(), String> {
        let access_unit = match next {
            Feed::Frame(frame) => {
                if std::mem::take(&mut self.passing_on) {
                    self.encoder.keyframe_now();
                }
                let access_unit = self.encoder.encode(&frame)?;
                stats.sent_size.set(self.encoder.size());
                access_unit
            }
            Feed::Unit(unit) => {
                self.passing_on = true;
                stats.sent_size.set(None);
                stats.passed_on.fetch_add(1, Ordering::Relaxed);
                unit.to_vec()
            }
        };
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
        stats.frames.fetch_add(1, Ordering::Relaxed);
        stats.bytes.fetch_add(bytes, Ordering::Relaxed);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::webrtc::crypto;
    use str0m::media::{Direction, MediaKind};
    use str0m::RtcConfig;

    struct Nothing;

    impl FrameFeed for Nothing {
        fn next(&mut self, _: Duration) -> Option<Feed> {
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
        let (sender, answer) = answer(&offer(MediaKind::Video), Box::new(Nothing), &Network::default(), 30.0).unwrap();
        assert!(answer.contains("a=sendonly"), "{answer}");
        assert!(answer.contains("H264/90000") && !answer.contains("VP8/90000"), "{answer}");
        assert!(answer.contains("a=candidate:") && answer.contains("127.0.0.1") && answer.contains("a=ice-lite"));
        // Of the header extensions offered (str0m's standard set), only those this side uses.
        let extensions: Vec<&str> = answer.lines().filter(|l| l.starts_with("a=extmap:")).collect();
        assert_eq!(extensions.len(), 2, "{extensions:?}");
        assert!(extensions.iter().any(|l| l.ends_with("urn:ietf:params:rtp-hdrext:sdes:mid")), "{extensions:?}");
        assert!(extensions.iter().any(|l| l.contains("transport-wide-cc")), "{extensions:?}");
        assert_eq!(sender.ended(), None);
        drop(sender); // stops and joins the session thread
    }

    #[test]
    fn refuses_offers_it_cannot_serve_and_says_why() {
        let network = Network::default();
        let audio = answer(&offer(MediaKind::Audio), Box::new(Nothing), &network, 30.0);
        assert!(matches!(audio, Err(OfferError::Unsupported(ref m)) if m.contains("no video")), "{:?}", audio.err());
        let garbage = answer("v=0\r\nnot sdp", Box::new(Nothing), &network, 30.0);
        assert!(matches!(garbage, Err(OfferError::Malformed(_))), "{:?}", garbage.err());
    }
}
