//! What the two client roles share (a `whep` source playing an endpoint, a `whip` sink publishing to one):
//! the offer → POST → answer exchange, and a thread that keeps a session up — a session that fails is
//! ended (DELETE) and made again after a pause that grows from 0.25 s to 4 s, so a server that restarts is
//! picked up — reporting its state for `stats()["remote"]`.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::Serialize;
use str0m::change::SdpAnswer;
use str0m::media::{Direction, MediaKind, Mid};

use super::net::Network;
use super::peer::Peer;
use super::session::SentSize;
use super::{config, signalling};

const RETRY_FIRST: Duration = Duration::from_millis(250);
const RETRY_MOST: Duration = Duration::from_secs(4);

/// What a link reports (`stats()["remote"][node]`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LinkReport {
    pub url: String,
    /// "connecting", then "playing" (a source) or "publishing" (a sink), or "reconnecting".
    pub state: String,
    /// Frames received (a source; decoded into the graph while it has a use for them), or published.
    pub frames: u64,
    /// Sessions made after the first.
    pub reconnects: u64,
    /// The bit rate a publishing sink encodes at, as the receiver's reports steer it (`rate`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_bps: Option<u64>,
    /// The size a publishing sink sends pictures at: the node's own, or smaller on a link too slow for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sent_size: Option<[u32; 2]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

#[derive(Debug)]
pub struct LinkStatus {
    report: Mutex<LinkReport>,
    pub frames: AtomicU64,
    /// 0 until a publishing session's rate control has spoken.
    pub target_bps: AtomicU64,
    pub sent_size: SentSize,
}

impl LinkStatus {
    /// The session is up and frames flow: `state` ("playing", "publishing").
    pub fn flowing(&self, state: &str) {
        let mut report = self.report.lock().unwrap_or_else(|p| p.into_inner());
        if report.state != state {
            report.state = state.to_owned();
        }
    }
}

/// A client session kept up on its own thread until dropped.
pub struct Link {
    stop: Arc<AtomicBool>,
    status: Arc<LinkStatus>,
    thread: Option<JoinHandle<()>>,
}

impl Link {
    /// Runs `session` (one session, start to end; returns why it ended) again and again until dropped.
    pub fn start(
        url: &str,
        name: &str,
        mut session: impl FnMut(&AtomicBool, &LinkStatus) -> String + Send + 'static,
    ) -> Link {
        let status = Arc::new(LinkStatus {
            report: Mutex::new(LinkReport {
                url: url.to_owned(),
                state: "connecting".into(),
                frames: 0,
                reconnects: 0,
                target_bps: None,
                sent_size: None,
                last_error: None,
            }),
            frames: AtomicU64::new(0),
            target_bps: AtomicU64::new(0),
            sent_size: SentSize::default(),
        });
        let stop = Arc::new(AtomicBool::new(false));
        let (thread_stop, thread_status) = (stop.clone(), status.clone());
        let thread = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || keep_up(&thread_stop, &thread_status, &mut session))
            .ok();
        Link { stop, status, thread }
    }

    pub fn report(&self) -> LinkReport {
        let mut report = self.status.report.lock().unwrap_or_else(|p| p.into_inner()).clone();
        report.frames = self.status.frames.load(Ordering::Relaxed);
        report.target_bps = Some(self.status.target_bps.load(Ordering::Relaxed)).filter(|&bps| bps > 0);
        report.sent_size = self.status.sent_size.get();
        report
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn keep_up(stop: &AtomicBool, status: &LinkStatus, session: &mut impl FnMut(&AtomicBool, &LinkStatus) -> String) {
    let mut pause = RETRY_FIRST;
    let mut sessions = 0u64;
    while !stop.load(Ordering::Relaxed) {
        let frames_before = status.frames.load(Ordering::Relaxed);
        let why = session(stop, status);
        if stop.load(Ordering::Relaxed) {
            return;
        }
        sessions += 1;
        if status.frames.load(Ordering::Relaxed) > frames_before {
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

/// A session a server answered: the peer, its video section, and the DELETE of the session on drop.
pub struct Connected {
    pub peer: Peer,
    pub mid: Mid,
    pub ended: signalling::EndOnDrop,
}

/// Offers one H.264 video section going `direction` (from this side) to the WHIP/WHEP endpoint `url`.
pub fn connect(url: &str, token: Option<&str>, direction: Direction) -> Result<Connected, String> {
    let rtc = config().build(Instant::now());
    let mut peer = Peer::bind(rtc, &Network::toward(url)).map_err(|e| e.to_string())?;
    let mut change = peer.rtc.sdp_api();
    let mid = change.add_media(MediaKind::Video, direction, None, None, None);
    let (offer, pending) = change.apply().ok_or("could not make an offer")?;
    let resource = signalling::post_offer(url, token, &offer.to_sdp_string())?;
    let ended = signalling::EndOnDrop { resource: resource.location.clone(), token: token.map(str::to_owned) };
    let answer =
        SdpAnswer::from_sdp_string(&resource.answer).map_err(|e| format!("the answer is not usable SDP: {e}"))?;
    peer.rtc.sdp_api().accept_answer(pending, answer).map_err(|e| format!("the answer does not fit the offer: {e}"))?;
    Ok(Connected { peer, mid, ended })
}
