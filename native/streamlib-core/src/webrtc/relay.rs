//! The H.264 a WHIP source receives, passed on as it came to the WHEP sessions playing that source (no decode
//! and re-encode on the way: what a media server does), while the stream is what the source itself shows
//! (its size) and what every viewer decodes (baseline profile). A session starts, and starts again after a
//! gap, at a new keyframe, which the source asks its publisher for: one already passed is not replayed, as
//! its old pictures would reach the viewer in a burst, behind live.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Units kept for sessions a little behind (one that falls further waits for a new keyframe).
const KEPT: usize = 8;
/// Keyframe requests passed on to the publisher at most this often: sessions joining together, or a viewer
/// repeating its request, cost the publisher one keyframe.
const ASK_EVERY: Duration = Duration::from_millis(300);
/// profile_idc of H.264's baseline profile: what the sessions' answers offer (constrained baseline).
const BASELINE: u8 = 66;

/// Access units (Annex-B) of one WHIP source, numbered from 1 as they arrive.
#[derive(Default)]
pub struct Relay {
    ring: Mutex<Ring>,
    arrived: Condvar,
}

#[derive(Default)]
struct Ring {
    pushed: u64,
    /// (number, unit, whether decoding can start at it)
    units: VecDeque<(u64, Arc<[u8]>, bool)>,
    /// The last SPS and PPS seen, with start codes: put before a keyframe sent without them.
    parameter_sets: Vec<u8>,
    baseline: bool,
    /// Whether the decoded pictures have the source's own size.
    own_size: bool,
    keyframe_wanted: bool,
    last_ask: Option<Instant>,
}

impl Relay {
    /// A unit as received, before it is decoded: a session passing it on need not wait for that. The unit is
    /// kept as it is (shared, not copied) unless parameter sets are put before it.
    pub fn push(&self, unit: impl Into<Arc<[u8]>>) {
        let unit: Arc<[u8]> = unit.into();
        let mut ring = self.lock();
        let nals = nal_units(&unit);
        let sets: Vec<&[u8]> = nals.iter().copied().filter(|n| matches!(nal_type(n), 7 | 8)).collect();
        if let Some(sps) = nals.iter().find(|n| nal_type(n) == 7) {
            ring.baseline = sps.get(1) == Some(&BASELINE);
        }
        if !sets.is_empty() {
            ring.parameter_sets = sets.iter().flat_map(|n| [&[0, 0, 0, 1][..], n]).flatten().copied().collect();
        }
        let keyframe = nals.iter().any(|n| nal_type(n) == 5);
        let unit: Arc<[u8]> = if keyframe && sets.is_empty() && !ring.parameter_sets.is_empty() {
            ring.parameter_sets.iter().chain(unit.iter()).copied().collect()
        } else {
            unit
        };
        ring.pushed += 1;
        let number = ring.pushed;
        ring.units.push_back((number, unit, keyframe));
        if ring.units.len() > KEPT {
            ring.units.pop_front();
        }
        drop(ring);
        self.arrived.notify_all();
    }

    /// What the receiver decoded last: whether its pictures have the source's size.
    pub fn set_own_size(&self, own_size: bool) {
        self.lock().own_size = own_size;
    }

    /// Whether sessions may pass the units on: baseline profile at the source's own size.
    pub fn passable(&self) -> bool {
        let ring = self.lock();
        ring.baseline && ring.own_size
    }

    /// A session needs a keyframe (it joined, fell behind, or its viewer asked).
    pub fn ask_for_keyframe(&self) {
        self.lock().keyframe_wanted = true;
    }

    /// For the receiver: whether to ask the publisher for a keyframe now.
    pub fn keyframe_asked(&self) -> bool {
        let mut ring = self.lock();
        let due = ring.last_ask.is_none_or(|at| at.elapsed() >= ASK_EVERY);
        if ring.keyframe_wanted && due {
            ring.keyframe_wanted = false;
            ring.last_ask = Some(Instant::now());
            return true;
        }
        false
    }

    fn lock(&self) -> MutexGuard<'_, Ring> {
        self.ring.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// One session's place in a relay's units: every unit in order from a keyframe on.
pub struct RelayReader {
    relay: Arc<Relay>,
    /// The number of the next unit to give, or the number after which a keyframe is awaited.
    next: Place,
}

#[derive(Clone, Copy)]
enum Place {
    At(u64),
    KeyframeAfter(u64),
}

impl RelayReader {
    pub fn new(relay: Arc<Relay>) -> RelayReader {
        let pushed = relay.lock().pushed;
        RelayReader { relay, next: Place::KeyframeAfter(pushed) }
    }

    pub fn relay(&self) -> &Arc<Relay> {
        &self.relay
    }

    /// The next unit, waiting up to `wait` for it: the first one is a keyframe that arrived after the reader
    /// was made, and a unit missed (the session fell more than `KEPT` behind) means waiting for a new one.
    pub fn next(&mut self, wait: Duration) -> Option<Arc<[u8]>> {
        let deadline = Instant::now() + wait;
        let mut ring = self.relay.lock();
        loop {
            match self.next {
                Place::At(number) => {
                    let oldest = ring.units.front().map_or(ring.pushed + 1, |u| u.0);
                    if number < oldest {
                        self.next = Place::KeyframeAfter(ring.pushed);
                        continue;
                    }
                    if let Some((_, unit, _)) = ring.units.iter().find(|u| u.0 == number) {
                        self.next = Place::At(number + 1);
                        return Some(unit.clone());
                    }
                }
                Place::KeyframeAfter(after) => {
                    if let Some(&(number, _, _)) = ring.units.iter().find(|u| u.0 > after && u.2) {
                        self.next = Place::At(number);
                        continue;
                    }
                    ring.keyframe_wanted = true;
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            ring = self.relay.arrived.wait_timeout(ring, left).unwrap_or_else(|p| p.into_inner()).0;
        }
    }
}

/// The NAL units of an Annex-B access unit, without their start codes.
fn nal_units(unit: &[u8]) -> Vec<&[u8]> {
    let mut starts = Vec::new();
    let mut i = 0;
    while i + 3 <= unit.len() {
        if unit[i..i + 3] == [0, 0, 1] {
            starts.push(i + 3);
            i += 3;
        } else {
            i += 1;
        }
    }
    starts
        .iter()
        .enumerate()
        .map(|(k, &start)| {
            let end = starts.get(k + 1).map_or(unit.len(), |&next| {
                // The next start code, less the zero byte of a four-byte one.
                let code = next - 3;
                if code > start && unit[code - 1] == 0 {
                    code - 1
                } else {
                    code
                }
            });
            &unit[start..end.max(start)]
        })
        .collect()
}

fn nal_type(nal: &[u8]) -> u8 {
    nal.first().map_or(0, |b| b & 0x1f)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPS: &[u8] = &[0, 0, 0, 1, 0x67, BASELINE, 0xc0, 0x1f];
    const PPS: &[u8] = &[0, 0, 0, 1, 0x68, 0xce];
    const IDR: &[u8] = &[0, 0, 0, 1, 0x65, 1, 2];
    const DELTA: &[u8] = &[0, 0, 0, 1, 0x41, 3, 4];

    fn join(parts: &[&[u8]]) -> Vec<u8> {
        parts.concat()
    }

    #[test]
    fn a_reader_starts_at_a_keyframe_and_asks_for_one_until_it_comes() {
        let relay = Arc::new(Relay::default());
        let mut reader = RelayReader::new(relay.clone());
        relay.push(DELTA);
        assert_eq!(reader.next(Duration::ZERO), None, "no keyframe to start at");
        assert!(relay.keyframe_asked());
        assert!(!relay.keyframe_asked(), "asked once");
        relay.push(join(&[SPS, PPS, IDR]));
        relay.push(DELTA);
        assert_eq!(&*reader.next(Duration::ZERO).unwrap(), &join(&[SPS, PPS, IDR])[..]);
        assert_eq!(&*reader.next(Duration::ZERO).unwrap(), DELTA);
        assert_eq!(reader.next(Duration::ZERO), None, "nothing newer yet");
    }

    #[test]
    fn a_keyframe_sent_without_parameter_sets_gets_the_last_ones() {
        let relay = Arc::new(Relay::default());
        relay.push(join(&[SPS, PPS, IDR]));
        let mut reader = RelayReader::new(relay.clone());
        assert_eq!(reader.next(Duration::ZERO), None, "a keyframe already passed is not replayed");
        assert!(relay.keyframe_asked());
        relay.push(IDR);
        assert_eq!(&*reader.next(Duration::ZERO).unwrap(), &join(&[SPS, PPS, IDR])[..]);
        assert_eq!(reader.next(Duration::ZERO), None);
    }

    #[test]
    fn a_reader_that_falls_behind_waits_for_the_next_keyframe() {
        let relay = Arc::new(Relay::default());
        let mut reader = RelayReader::new(relay.clone());
        relay.push(join(&[SPS, PPS, IDR]));
        assert!(reader.next(Duration::ZERO).is_some());
        for _ in 0..=KEPT {
            relay.push(DELTA);
        }
        assert_eq!(reader.next(Duration::ZERO), None, "a missed unit: the rest would not decode");
        assert!(relay.keyframe_asked());
        relay.push(IDR);
        assert_eq!(&*reader.next(Duration::ZERO).unwrap(), &join(&[SPS, PPS, IDR])[..]);
    }

    #[test]
    fn units_pass_on_only_in_baseline_at_the_source_size() {
        let relay = Relay::default();
        relay.push(join(&[SPS, PPS, IDR]));
        assert!(!relay.passable(), "nothing decoded yet");
        relay.set_own_size(true);
        assert!(relay.passable());
        let high = [&[0, 0, 0, 1, 0x67, 100, 0, 0x1f][..], PPS, IDR].concat();
        relay.push(high);
        assert!(!relay.passable(), "High profile: not what the sessions offered");
        relay.push(join(&[SPS, PPS, IDR]));
        relay.set_own_size(false);
        assert!(!relay.passable(), "another size than the source's");
    }

    #[test]
    fn a_waiting_reader_wakes_when_a_unit_arrives() {
        let relay = Arc::new(Relay::default());
        let mut reader = RelayReader::new(relay.clone());
        let pusher = {
            let relay = relay.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(50));
                relay.push(join(&[SPS, PPS, IDR]));
            })
        };
        // Woken by the push, not found when the wait ran out (which would also give the unit): it returns
        // before its deadline. A bound on correctness, not speed: the push comes after 50 ms.
        let wait = Duration::from_secs(30);
        let started = Instant::now();
        assert!(reader.next(wait).is_some());
        assert!(started.elapsed() < wait, "woken only by the timeout");
        pusher.join().unwrap();
    }
}
