//! Plays a WHEP endpoint into a frame slot (the `whep` source): offers to receive H.264, POSTs the offer,
//! decodes each frame with OpenH264 and pushes it, scaled to the slot's size when the sender's differs; each
//! unit also goes, as received, to the source's relay.
//! A session that fails or goes quiet is made again (`link`), so a sender that restarts is picked up;
//! meanwhile the slot keeps the last frame shown.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use str0m::media::Direction;
use str0m::{Event, IceConnectionState};

use super::link::{connect, Connected, Link, LinkStatus};
use super::receiver::{request_keyframe, Intake};
use super::relay::Relay;
use crate::nodes::PushSlot;

/// A connected session with no frame for this long is made again (the sender stalled or vanished).
const QUIET_LIMIT: Duration = Duration::from_secs(5);
const CONNECT_LIMIT: Duration = Duration::from_secs(10);

/// Starts playing `url` into `slot` (and `relay`) on its own thread; dropping the link stops it.
pub fn start(url: &str, token: Option<&str>, slot: Arc<PushSlot>, relay: Arc<Relay>) -> Link {
    let (endpoint, token) = (url.to_owned(), token.map(str::to_owned));
    Link::start(url, "streamlib-whep-play", move |stop, status| {
        session(&endpoint, token.as_deref(), (&slot, &relay), stop, status)
    })
}

/// One WHEP session, from offer to its end; returns why it ended.
fn session(
    url: &str,
    token: Option<&str>,
    (slot, relay): (&Arc<PushSlot>, &Arc<Relay>),
    stop: &AtomicBool,
    status: &LinkStatus,
) -> String {
    let Connected { mut peer, mid, ended: _ended } = match connect(url, token, Direction::RecvOnly) {
        Ok(connected) => connected,
        Err(why) => return why,
    };
    let mut intake = match Intake::new(slot.clone(), relay.clone()) {
        Ok(intake) => intake,
        Err(why) => return why,
    };
    let started = Instant::now();
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
        let taken = intake.take(frames);
        if taken.keyframe {
            request_keyframe(&mut peer.rtc, mid);
        }
        status.frames.fetch_add(taken.received, Ordering::Relaxed);
        if taken.received > 0 {
            status.flowing("playing");
            last_frame = Some(Instant::now());
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
