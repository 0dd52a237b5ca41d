//! How fast an encoding session sends: the receiver's RTCP reports steer the encoder's bit rate. Every
//! WebRTC receiver sends them (browsers, aiortc, GStreamer, Janus, str0m), so this needs nothing negotiated.
//! A report gives the fraction of packets lost and, from our sender reports it echoes, the round trip.
//!
//! The rules follow Google Congestion Control's loss-based controller (draft-ietf-rmcat-gcc-02 §6), made
//! stricter for video without error correction, where a few lost packets break every frame until the next
//! keyframe: over 2 % lost, the rate drops to 90 % of what got through; under it, the rate climbs 8 % a
//! report, and 1 % from 85 % of the rate where congestion last set in, so the link's edge is probed gently
//! rather than overrun every few seconds. A deep buffer (Wi-Fi, cellular) queues for seconds before it
//! drops anything, so a queueing guard is added: sender reports cross the same queue as the media, and a
//! round trip well above the least seen lately means one is building.
//!
//! str0m's TWCC estimator is not used: it turns on str0m's pacer, which spreads every frame at 1.1× the
//! estimate. That holds each frame back for most of a frame time, and aiortc sends no TWCC feedback anyway.

use std::collections::VecDeque;
use std::time::Duration;

/// Below this even a small picture is mush; a link slower than this is no use to live video.
pub const FLOOR_BPS: u32 = 150_000;
const LOSS: f32 = 0.02;
/// The share of what got through that a cut keeps.
const CUT_TO: f64 = 0.9;
const RAISE: f64 = 1.08;
/// The climb near the rate where congestion last set in (within `NEAR` of it).
const RAISE_NEAR: f64 = 1.01;
const NEAR: f64 = 0.85;
/// A round trip this much above the least lately seen is a queue, not jitter: a busy two-core machine
/// delays an RTCP report by tens of ms.
const QUEUE_DELAY: Duration = Duration::from_millis(100);
/// Two reports in a row, so one late report cuts nothing, nor the queue a keyframe makes for a moment.
const QUEUED_REPORTS: u32 = 2;
const QUEUE_CUT: f64 = 0.85;
/// Reports the least round trip is taken over (about a minute of them): a route that got longer becomes
/// the new normal instead of a queue forever.
const RTT_WINDOW: usize = 60;

#[derive(Debug, Default)]
pub struct RateControl {
    target: Option<u32>,
    /// The rate at which congestion (loss, a queue) last set in: the first such report after clean ones.
    edge: Option<f64>,
    congested: bool,
    rtts: VecDeque<Duration>,
    queued: u32,
}

impl RateControl {
    /// The bit rate to encode at after a receiver report, at most `ceiling` (what the picture size asks for
    /// on a free link, where the first report finds it).
    pub fn on_report(&mut self, ceiling: u32, loss: f32, rtt: Option<Duration>) -> u32 {
        let target = f64::from(self.target.unwrap_or(ceiling).min(ceiling));
        self.queued = if rtt.is_some_and(|rtt| self.queueing(rtt)) { self.queued + 1 } else { 0 };
        let queued = self.queued >= QUEUED_REPORTS;
        let congested = loss > LOSS || queued;
        if congested && !std::mem::replace(&mut self.congested, congested) {
            self.edge = Some(target);
        }
        self.congested = congested;
        let next = if loss > LOSS {
            target * (1.0 - f64::from(loss)) * CUT_TO
        } else if queued {
            target * QUEUE_CUT
        } else if self.edge.is_some_and(|edge| target >= edge * NEAR) {
            target * RAISE_NEAR
        } else {
            target * RAISE
        };
        let next = (next as u32).clamp(FLOOR_BPS.min(ceiling), ceiling);
        self.target = Some(next);
        next
    }

    fn queueing(&mut self, rtt: Duration) -> bool {
        if self.rtts.len() == RTT_WINDOW {
            self.rtts.pop_front();
        }
        self.rtts.push_back(rtt);
        let least = self.rtts.iter().min().copied().unwrap_or(rtt);
        rtt > least + QUEUE_DELAY
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CEILING: u32 = 2_800_000;
    const RTT: Option<Duration> = Some(Duration::from_millis(2));

    #[test]
    fn a_clean_link_keeps_the_ceiling() {
        let mut rate = RateControl::default();
        for _ in 0..10 {
            assert_eq!(rate.on_report(CEILING, 0.0, RTT), CEILING);
        }
    }

    #[test]
    fn loss_cuts_to_what_got_through_and_clean_reports_climb_back_gently_near_where_it_set_in() {
        let mut rate = RateControl::default();
        assert_eq!(rate.on_report(CEILING, 0.5, RTT), (f64::from(CEILING) * 0.5 * CUT_TO) as u32);
        let mut target = CEILING;
        for _ in 0..40 {
            target = rate.on_report(CEILING, 0.6, RTT);
        }
        assert_eq!(target, FLOOR_BPS);
        // 2 % lost holds nothing back; clean reports raise by 8 % each until near where loss set in (the
        // ceiling here), then by 1 %.
        assert_eq!(rate.on_report(CEILING, 0.0, RTT), (f64::from(FLOOR_BPS) * RAISE) as u32);
        let climb = (0..100).take_while(|_| rate.on_report(CEILING, LOSS, RTT) < CEILING).count();
        assert!((45..60).contains(&climb), "{climb} reports to climb back");

        // Loss at 1 Mbit/s: back under it at once, fast up to 85 % of it, then 1 % a report.
        let mut rate = RateControl::default();
        rate.on_report(1_000_000, 0.0, RTT);
        let cut = rate.on_report(CEILING, 0.25, RTT);
        assert_eq!(cut, (1_000_000.0 * 0.75 * CUT_TO) as u32);
        let fast = (0..100).take_while(|_| rate.on_report(CEILING, 0.0, RTT) < 850_000).count();
        let slow = (0..100).take_while(|_| rate.on_report(CEILING, 0.0, RTT) < 1_000_000).count();
        assert!(fast <= 3 && (14..=18).contains(&slow), "{fast} reports to 850 kbit/s, {slow} more to 1 Mbit/s");
    }

    #[test]
    fn a_growing_round_trip_cuts_before_anything_is_lost() {
        let mut rate = RateControl::default();
        rate.on_report(CEILING, 0.0, RTT);
        let queued = Some(Duration::from_millis(400));
        // One late report is let go; the second in a row cuts.
        assert_eq!(rate.on_report(CEILING, 0.0, queued), CEILING);
        assert_eq!(rate.on_report(CEILING, 0.0, queued), (f64::from(CEILING) * QUEUE_CUT) as u32);
        // The queue drained: it climbs again.
        let after = rate.on_report(CEILING, 0.0, RTT);
        assert!(after > (f64::from(CEILING) * QUEUE_CUT) as u32, "{after}");
    }

    #[test]
    fn a_longer_route_becomes_the_normal_once_the_short_one_leaves_the_window() {
        let mut rate = RateControl::default();
        rate.on_report(CEILING, 0.0, RTT);
        let longer = Some(Duration::from_millis(300));
        let mut target = 0;
        for _ in 0..RTT_WINDOW {
            target = rate.on_report(CEILING, 0.0, longer);
        }
        assert!(target < CEILING, "the longer round trip first reads as a queue");
        let climbs = (0..200).take_while(|_| rate.on_report(CEILING, 0.0, longer) < CEILING).count();
        assert!(climbs < 200, "it never recovered");
    }

    #[test]
    fn a_smaller_picture_lowers_the_ceiling_at_once() {
        let mut rate = RateControl::default();
        rate.on_report(CEILING, 0.0, RTT);
        assert_eq!(rate.on_report(700_000, 0.0, RTT), 700_000);
        assert_eq!(rate.on_report(100_000, 0.5, RTT), 100_000, "the floor never lifts a target over its ceiling");
    }
}
