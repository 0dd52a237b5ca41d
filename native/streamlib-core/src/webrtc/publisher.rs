//! Publishes a sink's frames to a WHIP endpoint (the `whip` sink): offers to send H.264, POSTs the offer,
//! and encodes the newest frame the graph delivered each time one arrives. A session that fails is made
//! again (`link`), so a server that restarts gets the stream back.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use str0m::media::Direction;

use super::link::{connect, Connected, Link, LinkStatus};
use super::sender::{Feed, FrameFeed, Session};
use super::session::SessionStats;
use crate::nodes::frames::LatestFrame;

/// Starts publishing what `frames` receives to `url`; dropping the link stops it (and DELETEs the session).
pub fn start(url: &str, token: Option<&str>, frames: Arc<LatestFrame>, fps: f32) -> Link {
    let (endpoint, token) = (url.to_owned(), token.map(str::to_owned));
    Link::start(url, "streamlib-whip-publish", move |stop, status| {
        session(&endpoint, token.as_deref(), &frames, fps, stop, status)
    })
}

fn session(
    url: &str,
    token: Option<&str>,
    frames: &Arc<LatestFrame>,
    fps: f32,
    stop: &AtomicBool,
    status: &LinkStatus,
) -> String {
    let Connected { mut peer, mid, ended: _ended } = match connect(url, token, Direction::SendOnly) {
        Ok(connected) => connected,
        Err(why) => return why,
    };
    let pt = match super::session::h264_pt(&mut peer.rtc, mid) {
        Ok(pt) => pt,
        Err(e) => return e.to_string(),
    };
    let stats = SessionStats::default();
    let feed = Latest { frames: frames.clone(), given: frames.received() };
    let session = Session::new(peer, mid, pt, Box::new(feed), fps);
    std::thread::scope(|scope| {
        let running = scope.spawn(|| session.run(stop, &stats));
        // Mirror the session's counters into the link's report while it runs.
        let mut counted = 0;
        while !running.is_finished() {
            let sent = stats.frames.load(Ordering::Relaxed);
            if sent > counted {
                status.frames.fetch_add(sent - counted, Ordering::Relaxed);
                counted = sent;
            }
            status.target_bps.store(stats.target_bps.load(Ordering::Relaxed), Ordering::Relaxed);
            status.sent_size.set(stats.sent_size.get().map(|[width, height]| (width, height)));
            if stats.connected.load(Ordering::Relaxed) {
                status.flowing("publishing");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        running.join().unwrap_or_else(|_| "the publishing session panicked".into())
    })
}

/// The newest frame the sink received, once.
struct Latest {
    frames: Arc<LatestFrame>,
    given: u64,
}

impl FrameFeed for Latest {
    fn next(&mut self, wait: Duration) -> Option<Feed> {
        let (received, frame) = self.frames.wait_newer(self.given, wait)?;
        self.given = received;
        Some(Feed::Frame(frame))
    }
}
