//! One incoming video track (WHIP ingest): a str0m peer answering a publisher's offer, decoding its H.264
//! into a frame slot on its own thread; a frame that does not decode asks the publisher for a keyframe.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use str0m::media::{KeyframeRequestKind, Mid};
use str0m::{Event, IceConnectionState, Rtc};

use super::h264::H264Decoder;
use super::net::Network;
use super::peer::Peer;
use super::session::{accept, Accepted, SessionStats, SessionThread, Way, CONNECT_TIMEOUT};
use super::OfferError;
use crate::nodes::PushSlot;

/// Answers a publisher's offer: its video is decoded into `slot`, scaled to the slot's size.
pub fn answer(offer: &str, slot: Arc<PushSlot>, network: &Network) -> Result<(SessionThread, String), OfferError> {
    let Accepted { peer, mid, answer, .. } = accept(offer, Way::Receive, network)?;
    let decoder = H264Decoder::new().map_err(OfferError::Network)?;
    let thread =
        SessionThread::spawn(Way::Receive, move |stop, stats| receive(peer, mid, decoder, &slot, stop, stats))?;
    Ok((thread, answer))
}

fn receive(
    mut peer: Peer,
    mid: Mid,
    mut decoder: H264Decoder,
    slot: &PushSlot,
    stop: &AtomicBool,
    stats: &SessionStats,
) -> String {
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
                Event::MediaData(data) if data.mid == mid => units.push(data.data),
                _ => {}
            }
            Ok(())
        });
        let deadline = match drained {
            Ok(deadline) => deadline,
            Err(why) => return why,
        };
        for unit in units {
            stats.bytes.fetch_add(unit.len() as u64, Ordering::Relaxed);
            match decode_into(&mut decoder, &unit, slot) {
                Ok(true) => {
                    stats.frames.fetch_add(1, Ordering::Relaxed);
                }
                Ok(false) => {}
                Err(()) => {
                    stats.keyframes_requested.fetch_add(1, Ordering::Relaxed);
                    request_keyframe(&mut peer.rtc, mid);
                }
            }
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

/// Decodes `unit` and pushes the picture it completes into `slot` (scaled to its size); Ok(true) when a
/// picture went in, Err when the unit is broken.
pub(super) fn decode_into(decoder: &mut H264Decoder, unit: &[u8], slot: &PushSlot) -> Result<bool, ()> {
    let Some(picture) = decoder.decode(unit).map_err(|_| ())? else { return Ok(false) };
    let fitted = fit(picture.rgba, picture.width, picture.height, slot.width, slot.height);
    Ok(slot.push(fitted, Duration::ZERO).is_ok())
}

pub(super) fn request_keyframe(rtc: &mut Rtc, mid: Mid) {
    if let Some(mut writer) = rtc.writer(mid) {
        let _ = writer.request_keyframe(None, KeyframeRequestKind::Pli);
    }
}

/// `pixels` at the slot's size: as they are when the sizes match, else scaled (bilinear).
fn fit(pixels: &[u8], width: u32, height: u32, to_width: u32, to_height: u32) -> Vec<u8> {
    if (width, height) == (to_width, to_height) {
        return pixels.to_vec();
    }
    let Some(image) = image::RgbaImage::from_raw(width, height, pixels.to_vec()) else {
        return vec![0; to_width as usize * to_height as usize * 4];
    };
    image::imageops::resize(&image, to_width, to_height, image::imageops::FilterType::Triangle).into_raw()
}
