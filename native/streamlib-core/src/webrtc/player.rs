//! Plays a WHEP endpoint into a frame slot (the `whep` source): offers to receive H.264, POSTs the offer,
//! decodes each frame with OpenH264 and pushes it, scaled to the slot's size when the sender's differs.
//! A session that fails or goes quiet is ended (DELETE) and made again, with a growing pause between tries,
//! so a sender that restarts is picked up; meanwhile the slot keeps the last frame shown.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::Serialize;
use str0m::change::SdpAnswer;
use str0m::media::{Direction, MediaKind};
use str0m::{Event, IceConnectionState, RtcConfig};

use super::h264::H264Decoder;
use super::net::Network;
use super::peer::Peer;
use super::receiver::{decode_newest, request_keyframe, Catchup};
use super::{crypto, signalling};
use crate::nodes::PushSlot;

/// A connected session with no frame for this long is made again (the sender stalled or vanished).
const QUIET_LIMIT: Duration = Duration::from_secs(5);
const CONNECT_LIMIT: Duration = Duration::from_secs(10);
const RETRY_FIRST: Duration = Duration::from_millis(250);
const RETRY_MOST: Duration = Duration::from_secs(4);

/// What a player reports (`stats()["remote"]`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PlayerReport {
    pub url: String,
    /// "connecting", "playing" or "reconnecting".
    pub state: String,
    pub frames: u64,
    /// Sessions made after the first.
    pub reconnects: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

#[derive(Debug)]
struct Status {
    report: Mutex<PlayerReport>,
    frames: AtomicU64,
}

pub struct WhepPlayer {
    stop: Arc<AtomicBool>,
    status: Arc<Status>,
    thread: Option<JoinHandle<()>>,
}

impl WhepPlayer {
    /// Starts playing `url` into `slot` on its own thread.
    pub fn start(url: &str, token: Option<&str>, slot: Arc<PushSlot>, network: Network) -> WhepPlayer {
        let status = Arc::new(Status {
            report: Mutex::new(PlayerReport {
                url: url.to_owned(),
                state: "connecting".into(),
                frames: 0,
                reconnects: 0,
                last_error: None,
            }),
            frames: AtomicU64::new(0),
        });
        let stop = Arc::new(AtomicBool::new(false));
        let (url, token) = (url.to_owned(), token.map(str::to_owned));
        let (thread_stop, thread_status) = (stop.clone(), status.clone());
        let thread = std::thread::Builder::new()
            .name("streamlib-whep-play".into())
            .spawn(move || play(&url, token.as_deref(), &slot, &network, &thread_stop, &thread_status))
            .ok();
        WhepPlayer { stop, status, thread }
    }

    pub fn report(&self) -> PlayerReport {
        let mut report = self.status.report.lock().unwrap_or_else(|p| p.into_inner()).clone();
        report.frames = self.status.frames.load(Ordering::Relaxed);
        report
    }
}

impl Drop for WhepPlayer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn play(url: &str, token: Option<&str>, slot: &PushSlot, network: &Network, stop: &AtomicBool, status: &Status) {
    let mut pause = RETRY_FIRST;
    let mut sessions = 0u64;
    while !stop.load(Ordering::Relaxed) {
        let played_before = status.frames.load(Ordering::Relaxed);
        let why = session(url, token, slot, network, stop, status);
        if stop.load(Ordering::Relaxed) {
            return;
        }
        sessions += 1;
        if status.frames.load(Ordering::Relaxed) > played_before {
            pause = RETRY_FIRST;
        }
        {
            let mut report = status.report.lock().unwrap_or_else(|p| p.into_inner());
            report.state = "reconnecting".into();
            report.reconnects = sessions;
            report.last_error = Some(why);
        }
        let until = Instant::now() + pause;
        while Instant::now() < until && !stop.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(20));
        }
        pause = (pause * 2).min(RETRY_MOST);
    }
}

/// One WHEP session, from offer to its end; returns why it ended.
fn session(
    url: &str,
    token: Option<&str>,
    slot: &PushSlot,
    network: &Network,
    stop: &AtomicBool,
    status: &Status,
) -> String {
    let rtc = RtcConfig::new().set_crypto_provider(crypto()).clear_codecs().enable_h264(true).build(Instant::now());
    let mut peer = match Peer::bind(rtc, network) {
        Ok(peer) => peer,
        Err(e) => return e.to_string(),
    };
    let mut change = peer.rtc.sdp_api();
    let mid = change.add_media(MediaKind::Video, Direction::RecvOnly, None, None, None);
    let Some((offer, pending)) = change.apply() else { return "could not make an offer".into() };
    let resource = match signalling::post_offer(url, token, &offer.to_sdp_string()) {
        Ok(resource) => resource,
        Err(why) => return why,
    };
    let _ended = signalling::EndOnDrop { resource: resource.location.clone(), token: token.map(str::to_owned) };
    let answer = match SdpAnswer::from_sdp_string(&resource.answer) {
        Ok(answer) => answer,
        Err(e) => return format!("the answer is not usable SDP: {e}"),
    };
    if let Err(e) = peer.rtc.sdp_api().accept_answer(pending, answer) {
        return format!("the answer does not fit the offer: {e}");
    }
    let mut decoder = match H264Decoder::new() {
        Ok(decoder) => decoder,
        Err(why) => return why,
    };
    let started = Instant::now();
    let mut catchup = Catchup::default();
    let mut last_frame: Option<Instant> = None;
    let mut connected = false;
    loop {
        if stop.load(Ordering::Relaxed) {
            peer.rtc.disconnect();
            return "stopped".into();
        }
        let mut frames = Vec::new();
        let drained = peer.drain(|_, event| {
            match event {
                Event::Connected => connected = true,
                Event::IceConnectionStateChange(IceConnectionState::Disconnected) => {
                    return Err("the sender went away".into());
                }
                Event::MediaData(data) if data.mid == mid => frames.push((data.data, data.time.as_seconds())),
                _ => {}
            }
            Ok(())
        });
        let deadline = match drained {
            Ok(deadline) => deadline,
            Err(why) => return why,
        };
        let (frames, ask) = catchup.admit(frames);
        if ask {
            request_keyframe(&mut peer.rtc, mid);
        }
        if !frames.is_empty() {
            match decode_newest(&mut decoder, &frames, slot) {
                Ok(pushed) => {
                    if pushed {
                        status.frames.fetch_add(1, Ordering::Relaxed);
                    }
                    if last_frame.is_none() {
                        status.report.lock().unwrap_or_else(|p| p.into_inner()).state = "playing".into();
                    }
                    last_frame = Some(Instant::now());
                }
                Err(()) => request_keyframe(&mut peer.rtc, mid),
            }
        }
        if !peer.rtc.is_alive() {
            return "the sender closed the connection".into();
        }
        match last_frame {
            Some(at) if at.elapsed() > QUIET_LIMIT => {
                return format!("no frame for {} s", QUIET_LIMIT.as_secs());
            }
            None if started.elapsed() > CONNECT_LIMIT => {
                return if connected {
                    format!("connected, but no frame within {} s", CONNECT_LIMIT.as_secs())
                } else {
                    format!("no connection within {} s", CONNECT_LIMIT.as_secs())
                };
            }
            _ => {}
        }
        if let Err(why) = peer.wait(deadline, Duration::from_millis(20)) {
            return why;
        }
    }
}
