//! One incoming video track (WHIP ingest): a str0m peer answering a publisher's offer, decoding its H.264
//! into a frame slot on its own thread; a frame that does not decode asks the publisher for a keyframe.
//! Each unit also goes, as received, to the source's relay, for WHEP sessions that pass it on unchanged.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use str0m::media::{KeyframeRequestKind, Mid};
use str0m::{Event, IceConnectionState, Rtc};

use super::h264::H264Decoder;
use super::net::Network;
use super::peer::Peer;
use super::relay::Relay;
use super::session::{accept, Accepted, SessionStats, SessionThread, Way, CONNECT_TIMEOUT};
use super::OfferError;
use crate::nodes::PushSlot;

/// Answers a publisher's offer: its video is decoded into `slot`, scaled to the slot's size, and handed to
/// `relay` as it came.
pub fn answer(
    offer: &str,
    slot: Arc<PushSlot>,
    relay: Arc<Relay>,
    network: &Network,
) -> Result<(SessionThread, String), OfferError> {
    let Accepted { peer, mid, answer, .. } = accept(offer, Way::Receive, network)?;
    let intake = Intake::new(slot, relay).map_err(OfferError::Network)?;
    let thread = SessionThread::spawn(Way::Receive, move |stop, stats| receive(peer, mid, intake, stop, stats))?;
    Ok((thread, answer))
}

/// Where a received stream goes, for a WHIP ingest and a WHEP player alike: each unit as it came to the
/// source's relay, and the newest picture, decoded, into its slot. Only while the graph wants the slot's
/// pictures is every unit decoded; otherwise (the stream is only passed on) keyframes are, which keep the
/// source's size known and its picture that of the last keyframe, for a fraction of the decode's CPU time:
/// a relay does not decode what nobody looks at, as a media server does not.
pub(super) struct Intake {
    slot: Arc<PushSlot>,
    relay: Arc<Relay>,
    decoder: H264Decoder,
    catchup: Catchup,
    /// Whether every unit was decoded last time, not only keyframes.
    decoding_all: bool,
}

/// What one batch of units did.
pub(super) struct Taken {
    /// Ask the sender for a keyframe: a unit did not decode, this side fell behind, decoding every unit
    /// starts again, or a session passing the stream on needs one to start at.
    pub keyframe: bool,
    /// Units received: the sender is live.
    pub received: u64,
    /// A picture went into the slot.
    pub pushed: bool,
}

impl Intake {
    pub(super) fn new(slot: Arc<PushSlot>, relay: Arc<Relay>) -> Result<Intake, String> {
        Ok(Intake { slot, relay, decoder: H264Decoder::new()?, catchup: Catchup::default(), decoding_all: true })
    }

    /// Takes the units (with their media times, in seconds) one drain of the session brought.
    pub(super) fn take(&mut self, batch: Vec<(Arc<[u8]>, f64)>) -> Taken {
        for (unit, _) in &batch {
            // Before decoding: a session passing units on does not wait for the decoder.
            self.relay.push(unit.clone());
        }
        let received = batch.len() as u64;
        let wanted = self.slot.wanted();
        // Units skipped while only keyframes were decoded are missing from the decoder's references.
        let resume = wanted && !self.decoding_all;
        if resume {
            self.catchup.restart();
        }
        self.decoding_all = wanted;
        let (mut units, behind) = self.catchup.admit(batch);
        if !wanted {
            units = newest_keyframe(units);
        }
        let relayed = self.relay.keyframe_asked();
        let mut taken = Taken { keyframe: behind || relayed || resume, received, pushed: false };
        match decode_newest(&mut self.decoder, &units, &self.slot) {
            Ok(Some(size)) => {
                self.relay.set_own_size(size == (self.slot.width, self.slot.height));
                taken.pushed = true;
            }
            Ok(None) => {}
            Err(()) => taken.keyframe = true,
        }
        taken
    }
}

/// The last keyframe of `units`, alone: a decoder can start at it.
fn newest_keyframe(units: Vec<Arc<[u8]>>) -> Vec<Arc<[u8]>> {
    units.into_iter().rev().find(|unit| super::h264::has_idr(unit)).into_iter().collect()
}

fn receive(mut peer: Peer, mid: Mid, mut intake: Intake, stop: &AtomicBool, stats: &SessionStats) -> String {
    let started = Instant::now();
    loop {
        if stop.load(Ordering::Relaxed) {
            peer.rtc.disconnect();
            return "stopped".into();
        }
        let mut units = Vec::new();
        let drained = peer.drain(|_, event| {
            match event {
                Event::Connected => stats.connected.store(true, Ordering::Relaxed),
                Event::IceConnectionStateChange(IceConnectionState::Disconnected) => {
                    return Err("the publisher went away".into());
                }
                Event::MediaData(data) if data.mid == mid => units.push((data.data, data.time.as_seconds())),
                _ => {}
            }
            Ok(())
        });
        let deadline = match drained {
            Ok(deadline) => deadline,
            Err(why) => return why,
        };
        let bytes: usize = units.iter().map(|(unit, _)| unit.len()).sum();
        stats.bytes.fetch_add(bytes as u64, Ordering::Relaxed);
        let taken = intake.take(units);
        if taken.keyframe {
            stats.keyframes_requested.fetch_add(1, Ordering::Relaxed);
            request_keyframe(&mut peer.rtc, mid);
        }
        stats.frames.fetch_add(taken.received, Ordering::Relaxed);
        if taken.pushed {
            stats.decoded.fetch_add(1, Ordering::Relaxed);
        }
        if !peer.rtc.is_alive() {
            return "the publisher closed the connection".into();
        }
        if !stats.connected.load(Ordering::Relaxed) && started.elapsed() > CONNECT_TIMEOUT {
            return format!("no publisher connected within {} s", CONNECT_TIMEOUT.as_secs());
        }
        if let Err(why) = peer.wait(deadline, Duration::from_millis(20)) {
            return why;
        }
    }
}

/// How far behind its sender a receiver may fall (the CPU too busy to decode in time) before it drops what
/// waits and starts again from a keyframe: a freeze, not seconds of growing delay.
const MAX_LAG: Duration = Duration::from_millis(300);

/// Keeps a receiver within `MAX_LAG` of its sender. The lag of a unit is its arrival minus its media time,
/// less the smallest such difference seen (the path's own delay).
#[derive(Default)]
struct Catchup {
    base: Option<f64>,
    started: Option<Instant>,
    waiting_for_keyframe: bool,
}

impl Catchup {
    /// Drops what comes until the next keyframe: decoding starts again there.
    pub fn restart(&mut self) {
        self.waiting_for_keyframe = true;
    }

    /// The units of a batch (with their media times, in seconds) worth decoding; true when a keyframe
    /// should be asked for.
    pub fn admit(&mut self, batch: Vec<(Arc<[u8]>, f64)>) -> (Vec<Arc<[u8]>>, bool) {
        let Some(&(_, newest)) = batch.last() else { return (Vec::new(), false) };
        let started = *self.started.get_or_insert_with(Instant::now);
        let offset = started.elapsed().as_secs_f64() - newest;
        let base = *self.base.get_or_insert(offset);
        self.base = Some(base.min(offset));
        let behind = offset - base > MAX_LAG.as_secs_f64();
        let mut ask = false;
        if behind && !self.waiting_for_keyframe {
            self.waiting_for_keyframe = true;
            ask = true;
        }
        if !self.waiting_for_keyframe {
            return (batch.into_iter().map(|(unit, _)| unit).collect(), false);
        }
        // Start again at the batch's last keyframe, if it has one; drop the rest.
        match batch.iter().rposition(|(unit, _)| super::h264::has_idr(unit)) {
            Some(at) => {
                self.waiting_for_keyframe = false;
                (batch.into_iter().skip(at).map(|(unit, _)| unit).collect(), ask)
            }
            None => (Vec::new(), ask),
        }
    }
}

/// Decodes every unit of a batch (H.264 frames refer to earlier ones) and pushes only the newest picture
/// into `slot`, scaled to its size: a receiver that fell behind (the CPU was busy) catches up at decode cost
/// instead of queueing seconds of video. Ok with the picture's size as decoded when one went in, Err when a
/// unit is broken.
fn decode_newest(decoder: &mut H264Decoder, units: &[Arc<[u8]>], slot: &PushSlot) -> Result<Option<(u32, u32)>, ()> {
    let Some((newest, older)) = units.split_last() else { return Ok(None) };
    for unit in older {
        decoder.skip(unit).map_err(|_| ())?;
    }
    let Some(picture) = decoder.decode(newest).map_err(|_| ())? else { return Ok(None) };
    let size = (picture.width, picture.height);
    let fitted = fit(picture.rgba, picture.width, picture.height, slot.width, slot.height);
    Ok(slot.push(fitted, Duration::ZERO).is_ok().then_some(size))
}

pub(super) fn request_keyframe(rtc: &mut Rtc, mid: Mid) {
    if let Some(mut writer) = rtc.writer(mid) {
        let _ = writer.request_keyframe(None, KeyframeRequestKind::Pli);
    }
}

/// `pixels` at the slot's size: as they are when the sizes match, else scaled (bilinear).
fn fit(pixels: Vec<u8>, width: u32, height: u32, to_width: u32, to_height: u32) -> Vec<u8> {
    if (width, height) == (to_width, to_height) {
        return pixels;
    }
    let Some(image) = image::RgbaImage::from_raw(width, height, pixels) else {
        return vec![0; to_width as usize * to_height as usize * 4];
    };
    image::imageops::resize(&image, to_width, to_height, image::imageops::FilterType::Triangle).into_raw()
}

#[cfg(test)]
mod tests {
    use super::*;

    const IDR: &[u8] = &[0, 0, 0, 1, 0x65, 1, 2];
    const DELTA: &[u8] = &[0, 0, 0, 1, 0x41, 1, 2];

    fn unit(bytes: &[u8], at: f64) -> (Arc<[u8]>, f64) {
        (Arc::from(bytes), at)
    }

    #[test]
    fn a_receiver_behind_drops_to_the_next_keyframe_and_asks_for_one_once() {
        let mut catchup = Catchup::default();
        // On time: everything is decoded.
        let (kept, ask) = catchup.admit(vec![unit(IDR, 0.0), unit(DELTA, 0.0)]);
        assert_eq!((kept.len(), ask), (2, false));
        // Media time stands still while the clock runs: the batch is 0.4 s late.
        std::thread::sleep(Duration::from_millis(400));
        let (kept, ask) = catchup.admit(vec![unit(DELTA, 0.01), unit(DELTA, 0.02)]);
        assert_eq!((kept.len(), ask), (0, true));
        let (kept, ask) = catchup.admit(vec![unit(DELTA, 0.03)]);
        assert_eq!((kept.len(), ask), (0, false), "asked once, still waiting");
        let (kept, ask) = catchup.admit(vec![unit(DELTA, 0.04), unit(IDR, 0.5), unit(DELTA, 0.5)]);
        assert_eq!((kept.len(), ask), (2, false), "starts again at the keyframe");
        assert!(crate::webrtc::h264::has_idr(&kept[0]));
    }

    /// `count` access units of a moving 64×48 picture, the first a keyframe.
    fn stream(encoder: &mut crate::webrtc::h264::H264Encoder, count: u64) -> Vec<(Arc<[u8]>, f64)> {
        (0..count)
            .map(|index| {
                let pixels: Vec<u8> = (0..64 * 48).flat_map(|i| [(i as u64 + index * 8) as u8, 90, 160, 255]).collect();
                let frame = crate::nodes::frames::Frame { index, width: 64, height: 48, pixels: pixels.into() };
                (Arc::from(encoder.encode(&frame).unwrap()), index as f64 / 30.0)
            })
            .collect()
    }

    #[test]
    fn pictures_nobody_wants_are_decoded_at_keyframes_only_and_decoding_all_resumes_at_a_new_one() {
        let slot = Arc::new(PushSlot::new(64, 48, false));
        let relay = Arc::new(Relay::default());
        let mut intake = Intake::new(slot.clone(), relay.clone()).unwrap();
        let mut encoder = crate::webrtc::h264::H264Encoder::new(30.0);
        let mut units = stream(&mut encoder, 5).into_iter();

        // Nothing wants the pictures: the keyframe is decoded (the source's size, a picture), the rest are not.
        let taken = intake.take(units.by_ref().take(2).collect());
        assert!(taken.pushed && !taken.keyframe && taken.received == 2);
        assert!(relay.passable(), "the keyframe told the source's size");
        assert!(!intake.take(units.by_ref().take(2).collect()).pushed, "no keyframe: nothing decoded");
        assert_eq!(slot.pushed(), 1);

        // Wanted now: the decoder lacks the skipped units, so it asks for a keyframe and waits for it.
        slot.want();
        let taken = intake.take(units.by_ref().take(1).collect());
        assert!(taken.keyframe && !taken.pushed, "resumes at a keyframe");
        // (A fresh encoder makes the keyframe at once; a running one spaces them.)
        let mut encoder = crate::webrtc::h264::H264Encoder::new(30.0);
        let taken = intake.take(stream(&mut encoder, 2));
        assert!(taken.pushed && !taken.keyframe);
        assert!(intake.take(stream(&mut encoder, 1)).pushed, "every unit decoded while wanted");
        assert_eq!(slot.pushed(), 3);
    }
}
