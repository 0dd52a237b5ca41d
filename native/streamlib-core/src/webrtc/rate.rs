//! How fast an encoding session sends: the receiver's RTCP reports steer the encoder's bit rate. Every
//! WebRTC receiver sends them (browsers, aiortc, GStreamer, Janus, str0m), so this needs nothing negotiated.
//! A report gives the fraction of packets lost and, from our sender reports it echoes, the round trip.
//!
//! The rules follow Google Congestion Control's loss-based controller (draft-ietf-rmcat-gcc-02 §6), made
//! stricter for video without error correction, where a lost packet that a retransmission does not repair
//! freezes the picture until the next keyframe:
//! - over 2 % lost, the rate drops to 90 % of what got through, and what got through (of what was sent, if
//!   the encoder fell short of its rate; a burst over it went partly into a queue) is taken as the link's
//!   capacity (the edge);
//! - a round trip 100 ms above the least seen lately, two reports running, is a queue: a deep buffer (Wi-Fi,
//!   cellular) queues for seconds before it drops anything, and our sender reports cross it with the media.
//!   The rate is cut by 15 %, and the edge lowered to where the queue formed;
//! - the report after a cut changes nothing: it still counts what was sent before the cut, and the queue
//!   needs time to drain;
//! - a round trip 50 ms above the least holds the rate where it is: a queue may be starting (or a keyframe
//!   passing), and reports come about once a second, too seldom to climb into one and back out unharmed.
//!   So does sending 15 % over the rate: OpenH264 swings by a third around it from one second to the next;
//! - a session starts at 500 kbit/s (or its ceiling, if lower) and, while the round trip is under 100 ms,
//!   climbs by half a report until the first congestion: a link's capacity is unknown at first, and starting
//!   at 720p's 2.8 Mbit/s behind a 1 Mbit/s link lost two thirds of every frame, keyframes included, for
//!   seconds. At 1 Mbit/s a slower link still lost the first keyframes; at 500 kbit/s 720p goes at 640×360
//!   for the first reports (`h264`), as browsers start low and climb;
//! - otherwise the rate climbs 8 % a report, and 1 % from 80 % of the edge up to 50 % past it, so the link's
//!   edge is approached gently rather than overrun every few seconds, and a link that grew is found again.
//!
//! str0m's TWCC estimator is not used: it turns on str0m's pacer, which spreads every frame at 1.1× the
//! estimate. That holds each frame back for most of a frame time, and aiortc sends no TWCC feedback anyway.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Below this even a small picture is mush; a link slower than this is no use to live video.
pub const FLOOR_BPS: u32 = 150_000;
/// Where a session starts (its ceiling if lower: 320×240 at 30 fps asks for 300 kbit/s).
pub const START_BPS: u32 = 500_000;
/// The climb from the start until the first congestion, on a short route: 500 kbit/s to 720p's ceiling in
/// five reports on a LAN.
const RAISE_AT_START: f64 = 1.5;
/// Over this the start climbs as any other time: a long route, or the queue the first keyframe made.
const START_RTT: Duration = Duration::from_millis(100);
const LOSS: f32 = 0.02;
/// The share of what got through that a cut keeps.
const CUT_TO: f64 = 0.9;
const RAISE: f64 = 1.08;
/// The climb near the edge: from `NEAR` of it to `PAST` it.
const RAISE_NEAR: f64 = 1.01;
const NEAR: f64 = 0.8;
const PAST: f64 = 1.5;
/// A round trip this much above the least lately seen stops the climb.
const HOLD_DELAY: Duration = Duration::from_millis(50);
/// Sending this much over the rate asked for (a keyframe, the encoder's own swings) stops the climb: the
/// link just carried more than the rate says, or is queueing it.
const OVERSHOOT: f64 = 1.15;
/// This much above is a queue, not jitter: a busy two-core machine delays an RTCP report by tens of ms.
const QUEUE_DELAY: Duration = Duration::from_millis(100);
/// Two reports in a row, so one late report cuts nothing, nor the queue a keyframe makes for a moment.
const QUEUED_REPORTS: u32 = 2;
const QUEUE_CUT: f64 = 0.85;
/// Reports the least round trip is taken over (about a minute of them): a route that got longer becomes
/// the new normal instead of a queue forever.
const RTT_WINDOW: usize = 60;

/// What a receiver report tells the sender.
#[derive(Debug, Clone, Copy)]
pub struct Report {
    /// The fraction of packets lost since the receiver's last report.
    pub loss: f32,
    /// The round trip, from the receiver's echo of our last sender report.
    pub rtt: Option<Duration>,
    /// The rate sent since the last report, in all (`SentRate`); None for the first.
    pub sent_bps: Option<f64>,
}

/// The rate a session sent between two reports, from its running byte count.
#[derive(Debug, Default)]
pub struct SentRate {
    last: Option<(u64, Instant)>,
}

impl SentRate {
    pub fn since_last(&mut self, bytes: u64, at: Instant) -> Option<f64> {
        let (before, then) = self.last.replace((bytes, at))?;
        let seconds = at.checked_duration_since(then)?.as_secs_f64();
        (seconds > 0.0).then(|| bytes.saturating_sub(before) as f64 * 8.0 / seconds)
    }
}

#[derive(Debug, Default)]
pub struct RateControl {
    target: Option<u32>,
    /// The link's capacity as last seen: what got through at the last loss, at most the rate a queue formed at.
    edge: Option<f64>,
    /// The last report cut the rate: the next one still counts what was sent before the cut.
    cut: bool,
    /// A cut ended the start's fast climb.
    past_start: bool,
    /// Cut since the last climb.
    congested: bool,
    rtts: VecDeque<Duration>,
    queued: u32,
}

impl RateControl {
    /// The bit rate to encode at after a receiver report, at most `ceiling` (what the picture size asks for
    /// on a free link, where the first report finds it).
    pub fn on_report(&mut self, ceiling: u32, report: Report) -> u32 {
        let Report { loss, rtt, sent_bps } = report;
        let target = f64::from(self.target.unwrap_or(START_BPS).min(ceiling));
        let delay = rtt.map_or(Duration::ZERO, |rtt| self.delay(rtt));
        self.queued = if delay > QUEUE_DELAY { self.queued + 1 } else { 0 };
        let queued = self.queued >= QUEUED_REPORTS;
        let settling = std::mem::take(&mut self.cut);
        self.past_start |= settling;
        let next = if settling {
            target
        } else if loss > LOSS {
            let kept = 1.0 - f64::from(loss);
            // A burst over the rate (keyframes) went partly into a queue, not through the link.
            let through = sent_bps.map_or(target, |sent| sent.min(target)) * kept;
            self.edge = Some(through);
            self.cut_for_congestion();
            through * CUT_TO
        } else if queued {
            if !self.congested {
                self.edge = Some(self.edge.map_or(target, |edge| edge.min(target)));
            }
            self.cut_for_congestion();
            target * QUEUE_CUT
        } else if delay > HOLD_DELAY || sent_bps.is_some_and(|sent| sent > target * OVERSHOOT) {
            target
        } else if !self.past_start && rtt.is_some_and(|rtt| rtt < START_RTT) {
            target * RAISE_AT_START
        } else {
            self.congested = false;
            match self.edge {
                Some(edge) if target > edge * PAST => {
                    self.edge = None;
                    target * RAISE
                }
                Some(edge) if target >= edge * NEAR => target * RAISE_NEAR,
                _ => target * RAISE,
            }
        };
        let next = (next as u32).clamp(FLOOR_BPS.min(ceiling), ceiling);
        self.target = Some(next);
        next
    }

    fn cut_for_congestion(&mut self) {
        self.cut = true;
        self.congested = true;
    }

    /// How far a round trip is above the least of the window it joins.
    fn delay(&mut self, rtt: Duration) -> Duration {
        if self.rtts.len() == RTT_WINDOW {
            self.rtts.pop_front();
        }
        self.rtts.push_back(rtt);
        let least = self.rtts.iter().min().copied().unwrap_or(rtt);
        rtt.saturating_sub(least)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CEILING: u32 = 2_800_000;
    const RTT: Option<Duration> = Some(Duration::from_millis(2));

    fn report(loss: f32, rtt: Option<Duration>) -> Report {
        Report { loss, rtt, sent_bps: None }
    }

    /// Sending at `CEILING` after a start on a clean link.
    fn at_ceiling() -> RateControl {
        let mut rate = RateControl::default();
        let climbed: Vec<u32> = (0..6).map(|_| rate.on_report(CEILING, report(0.0, RTT))).collect();
        let by_half = [750_000, 1_125_000, 1_687_500, 2_531_250, CEILING, CEILING];
        assert_eq!(climbed, by_half, "by half a report from 500 kbit/s");
        rate
    }

    #[test]
    fn a_clean_link_climbs_from_the_start_to_the_ceiling_and_keeps_it() {
        let mut rate = at_ceiling();
        for _ in 0..10 {
            assert_eq!(rate.on_report(CEILING, report(0.0, RTT)), CEILING);
        }
        // 640×480 climbs to its ceiling in two reports; 320×240 asks for less than the start: its ceiling at once.
        let mut rate = RateControl::default();
        let climbed: Vec<u32> = (0..3).map(|_| rate.on_report(921_600, report(0.0, RTT))).collect();
        assert_eq!(climbed, [750_000, 921_600, 921_600]);
        assert_eq!(RateControl::default().on_report(300_000, report(0.0, RTT)), 300_000);
    }

    #[test]
    fn loss_cuts_to_what_got_through_once_and_the_next_report_waits_for_the_cut_to_show() {
        let mut rate = at_ceiling();
        let cut = rate.on_report(CEILING, report(0.5, RTT));
        assert_eq!(cut, (f64::from(CEILING) * 0.5 * CUT_TO) as u32);
        assert_eq!(
            rate.on_report(CEILING, report(0.5, RTT)),
            cut,
            "the report after a cut counted packets sent before it"
        );
        assert_eq!(rate.on_report(CEILING, report(0.5, RTT)), (f64::from(cut) * 0.5 * CUT_TO) as u32);
        let mut target = CEILING;
        for _ in 0..40 {
            target = rate.on_report(CEILING, report(0.6, RTT));
        }
        assert_eq!(target, FLOOR_BPS);
        // 2 % lost holds nothing back: far above what last got through, the climb is 8 % a report.
        rate.on_report(CEILING, report(0.0, RTT));
        let climb = (0..100).take_while(|_| rate.on_report(CEILING, report(LOSS, RTT)) < CEILING).count();
        assert!((36..45).contains(&climb), "{climb} reports to climb back");
    }

    #[test]
    fn near_what_got_through_the_climb_is_gentle_until_well_past_it() {
        // 25 % lost at 1 Mbit/s: 750 kbit/s got through, and the rate drops under it at once.
        let mut rate = RateControl::default();
        rate.on_report(1_000_000, report(0.0, RTT));
        assert_eq!(rate.on_report(1_000_000, report(0.0, RTT)), 1_000_000);
        let cut = rate.on_report(CEILING, report(0.25, RTT));
        assert_eq!(cut, (1_000_000.0 * 0.75 * CUT_TO) as u32);
        rate.on_report(CEILING, report(0.0, RTT));
        let gentle = (0..100).take_while(|_| rate.on_report(CEILING, report(0.0, RTT)) < 750_000).count();
        let past = (0..100).take_while(|_| rate.on_report(CEILING, report(0.0, RTT)) < 1_125_000).count();
        let fast = (0..100).take_while(|_| rate.on_report(CEILING, report(0.0, RTT)) < 2_000_000).count();
        assert!((9..=12).contains(&gentle), "{gentle} reports to 750 kbit/s");
        assert!((38..=43).contains(&past), "{past} reports on to 50 % past it");
        assert!(fast <= 8, "{fast} reports on to 2 Mbit/s");
    }

    #[test]
    fn what_got_through_is_of_what_was_sent_when_the_encoder_fell_short() {
        // The encoder sent 300 kbit/s of its 500 (a still picture), 20 % of it lost: 240 got through.
        let mut rate = RateControl::default();
        rate.on_report(500_000, report(0.0, RTT));
        let short = Report { loss: 0.2, rtt: RTT, sent_bps: Some(300_000.0) };
        let cut = rate.on_report(CEILING, short);
        assert!(cut.abs_diff(216_000) <= 1, "{cut}: 90 % of it");
        rate.on_report(CEILING, report(0.0, RTT));
        let gentle = rate.on_report(CEILING, report(0.0, RTT));
        assert!(gentle.abs_diff(218_160) <= 3, "{gentle}: 1 % a report, over 80 % of what got through");
        // A burst over the rate (keyframes) went into a queue: what got through is at most the rate.
        let mut rate = RateControl::default();
        rate.on_report(500_000, report(0.0, RTT));
        let burst = Report { loss: 0.2, rtt: RTT, sent_bps: Some(2_000_000.0) };
        rate.on_report(CEILING, burst);
        rate.on_report(CEILING, report(0.0, RTT));
        let fast = (0..100).take_while(|_| rate.on_report(CEILING, report(0.0, RTT)) < 320_000).count();
        let gentle = (0..100).take_while(|_| rate.on_report(CEILING, report(0.0, RTT)) < 400_000).count();
        assert!(fast == 0 && (8..=12).contains(&gentle), "{fast} reports to 320 kbit/s, {gentle} more to 400");
    }

    #[test]
    fn the_rate_sent_between_reports_comes_from_the_byte_count() {
        let mut sent = SentRate::default();
        let start = Instant::now();
        assert_eq!(sent.since_last(1_000, start), None, "nothing to compare the first count with");
        assert_eq!(sent.since_last(126_000, start + Duration::from_millis(500)), Some(2_000_000.0));
        assert_eq!(sent.since_last(126_000, start + Duration::from_millis(500)), None, "no time between");
    }

    #[test]
    fn a_growing_round_trip_holds_the_climb_then_cuts_before_anything_is_lost() {
        let mut rate = RateControl::default();
        rate.on_report(CEILING, report(0.0, RTT));
        rate.on_report(CEILING, report(0.3, RTT));
        rate.on_report(CEILING, report(0.0, RTT));
        let climbing = rate.on_report(CEILING, report(0.0, RTT));
        // A round trip 60 ms up: a queue may be starting, or a keyframe passing. Neither climbs nor cuts.
        assert_eq!(rate.on_report(CEILING, report(0.0, Some(Duration::from_millis(62)))), climbing);
        // Nor does a second in which the encoder sent a fifth over its rate.
        let over = Report { loss: 0.0, rtt: RTT, sent_bps: Some(f64::from(climbing) * 1.2) };
        assert_eq!(rate.on_report(CEILING, over), climbing);
        // One late report is let go; the second in a row cuts, and lowers the edge to where it formed.
        let queued = Some(Duration::from_millis(400));
        assert_eq!(rate.on_report(CEILING, report(0.0, queued)), climbing);
        let cut = rate.on_report(CEILING, report(0.0, queued));
        assert_eq!(cut, (f64::from(climbing) * QUEUE_CUT) as u32);
        // The next report still finds the queue draining: it waits. Then the drained link is climbed again.
        assert_eq!(rate.on_report(CEILING, report(0.0, queued)), cut);
        let after = rate.on_report(CEILING, report(0.0, RTT));
        assert_eq!(after, (f64::from(cut) * RAISE_NEAR) as u32, "{after}: gently, near where the queue formed");
    }

    #[test]
    fn a_longer_route_becomes_the_normal_once_the_short_one_leaves_the_window() {
        let mut rate = RateControl::default();
        rate.on_report(CEILING, report(0.0, RTT));
        let longer = Some(Duration::from_millis(300));
        let mut target = 0;
        for _ in 0..RTT_WINDOW {
            target = rate.on_report(CEILING, report(0.0, longer));
        }
        assert!(target < CEILING, "the longer round trip first reads as a queue");
        let climbs = (0..200).take_while(|_| rate.on_report(CEILING, report(0.0, longer)) < CEILING).count();
        assert!(climbs < 200, "it never recovered");
    }

    #[test]
    fn a_smaller_picture_lowers_the_ceiling_at_once() {
        let mut rate = RateControl::default();
        rate.on_report(CEILING, report(0.0, RTT));
        assert_eq!(rate.on_report(700_000, report(0.0, RTT)), 700_000);
        assert_eq!(
            rate.on_report(100_000, report(0.5, RTT)),
            100_000,
            "the floor never lifts a target over its ceiling"
        );
    }
}
