//! The frame watchdog: an effect whose pass blows the frame budget is named and bypassed, and the graph
//! carries on.
//!
//! Every loop of every shader is bounded (`shader::loop_guard`), so a runaway pass ends; this decides what
//! to do about one that is merely slow. A frame goes out as one submission, so a frame over budget says
//! only that something in it was slow: the next frame then runs each effect in a submission of its own
//! and times it (a probe), and each effect whose pass alone exceeds the budget is bypassed (its input
//! passes through) until it is swapped or resumed. A frame that was slow for another reason (a busy
//! machine, a large readback) probes and finds nothing to blame.

use serde::Serialize;

/// The budget when none is configured: 2 s, or ten frame times at a rate slower than 5 fps. A CPU driver
/// takes hundreds of milliseconds for an honest 4K pass, which must never be mistaken for a runaway.
pub const DEFAULT_BUDGET_MS: f64 = 2000.0;

/// Why an effect is bypassed: its pass took `pass_ms` against `budget_ms`, measured at `frame`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Overrun {
    pub pass_ms: f64,
    pub budget_ms: f64,
    pub frame: u64,
}

impl Overrun {
    pub fn describe(&self, effect: &str) -> String {
        format!(
            "'{effect}' is bypassed: its pass took {:.0} ms at frame {}, over the watchdog's {:.0} ms budget; \
             swap its shader or resume it",
            self.pass_ms, self.frame, self.budget_ms
        )
    }
}

/// The pass-time budget for a graph run at `fps` (None: unpaced), unless `configured`.
pub fn budget_ms(fps: Option<f64>, configured: Option<f64>) -> f64 {
    configured.unwrap_or_else(|| fps.map_or(DEFAULT_BUDGET_MS, |fps| (10_000.0 / fps).max(DEFAULT_BUDGET_MS)))
}

/// What the frame loop does about time, frame by frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Watchdog {
    pub budget_ms: f64,
    probe_next: bool,
}

impl Watchdog {
    pub fn new(budget_ms: f64) -> Watchdog {
        Watchdog { budget_ms, probe_next: false }
    }

    /// Whether this frame times each effect in its own submission.
    pub fn probing(&self) -> bool {
        self.probe_next
    }

    /// Called with each frame's GPU time; a frame over budget makes the next one a probe.
    pub fn frame_done(&mut self, gpu_ms: f64) {
        self.probe_next = !self.probe_next && gpu_ms > self.budget_ms;
    }

    /// During a probe: the overrun to bypass an effect for, if its pass alone was over budget.
    pub fn judge(&self, pass_ms: f64, frame: u64) -> Option<Overrun> {
        (pass_ms > self.budget_ms).then_some(Overrun { pass_ms, budget_ms: self.budget_ms, frame })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_budget_is_two_seconds_or_ten_slow_frames() {
        assert_eq!(budget_ms(Some(30.0), None), 2000.0);
        assert_eq!(budget_ms(None, None), 2000.0);
        assert_eq!(budget_ms(Some(2.0), None), 5000.0);
        assert_eq!(budget_ms(Some(30.0), Some(150.0)), 150.0);
    }

    #[test]
    fn a_slow_frame_makes_the_next_one_a_probe_and_only_that_one() {
        let mut watchdog = Watchdog::new(100.0);
        watchdog.frame_done(20.0);
        assert!(!watchdog.probing());
        watchdog.frame_done(250.0);
        assert!(watchdog.probing());
        // The probe frame is slow too (it ran the slow pass): the next frame runs as one submission again.
        watchdog.frame_done(260.0);
        assert!(!watchdog.probing());
    }

    #[test]
    fn only_a_pass_over_budget_is_blamed() {
        let watchdog = Watchdog::new(100.0);
        assert_eq!(watchdog.judge(99.0, 7), None);
        assert_eq!(watchdog.judge(180.0, 7), Some(Overrun { pass_ms: 180.0, budget_ms: 100.0, frame: 7 }));
    }
}
