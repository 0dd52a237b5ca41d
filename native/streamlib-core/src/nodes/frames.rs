//! Frame hand-over points between the frame loop and other threads, each bounded.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// One CPU frame: tightly packed RGBA8 rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub index: u64,
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<u8>,
}

/// The latest frame a sink received (`NumpySink`): older ones are simply replaced.
#[derive(Debug, Default)]
pub struct LatestFrame {
    slot: Mutex<Option<Frame>>,
    changed: Condvar,
    received: AtomicU64,
}

impl LatestFrame {
    pub fn store(&self, frame: Frame) {
        *self.slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(frame);
        self.received.fetch_add(1, Ordering::Relaxed);
        self.changed.notify_all();
    }

    pub fn latest(&self) -> Option<Frame> {
        self.slot.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn received(&self) -> u64 {
        self.received.load(Ordering::Relaxed)
    }

    /// Waits until a frame with index ≥ `index` arrives, or `timeout` passes.
    pub fn wait_for(&self, index: u64, timeout: Duration) -> Option<Frame> {
        let deadline = Instant::now() + timeout;
        let mut slot = self.slot.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(frame) = slot.as_ref().filter(|f| f.index >= index) {
                return Some(frame.clone());
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            slot = self.changed.wait_timeout(slot, left).unwrap_or_else(|p| p.into_inner()).0;
        }
    }
}

/// Encoded preview frames: a queue of one, latest wins. The frame loop skips encoding entirely while
/// the previous frame has not been taken, so a preview nobody reads costs neither memory nor CPU.
#[derive(Debug)]
pub struct PreviewQueue {
    pub quality: u8,
    slot: Mutex<Option<EncodedFrame>>,
    ready: Condvar,
    dropped: AtomicU64,
    delivered: AtomicU64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedFrame {
    pub index: u64,
    pub width: u32,
    pub height: u32,
    pub mime: &'static str,
    pub bytes: Vec<u8>,
}

impl PreviewQueue {
    pub fn new(quality: u8) -> PreviewQueue {
        PreviewQueue { quality: quality.clamp(1, 100), slot: Mutex::new(None), ready: Condvar::new(), dropped: AtomicU64::new(0), delivered: AtomicU64::new(0) }
    }

    /// True when the consumer has not taken the last frame (so a new one would be dropped).
    pub fn is_full(&self) -> bool {
        self.slot.lock().unwrap_or_else(|p| p.into_inner()).is_some()
    }

    pub fn count_drop(&self) {
        self.dropped.fetch_add(1, Ordering::Relaxed);
    }

    pub fn offer(&self, frame: EncodedFrame) {
        let mut slot = self.slot.lock().unwrap_or_else(|p| p.into_inner());
        if slot.replace(frame).is_some() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
        self.ready.notify_all();
    }

    /// Takes the waiting frame, waiting up to `timeout` for one.
    pub fn take(&self, timeout: Duration) -> Option<EncodedFrame> {
        let deadline = Instant::now() + timeout;
        let mut slot = self.slot.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(frame) = slot.take() {
                self.delivered.fetch_add(1, Ordering::Relaxed);
                return Some(frame);
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            slot = self.ready.wait_timeout(slot, left).unwrap_or_else(|p| p.into_inner()).0;
        }
    }

    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    pub fn delivered(&self) -> u64 {
        self.delivered.load(Ordering::Relaxed)
    }
}

/// Frames pushed from outside (Python, the browser camera). `latest` keeps only the newest;
/// `every_frame` blocks the pusher while `capacity` frames wait, so none is lost.
#[derive(Debug)]
pub struct PushSlot {
    pub width: u32,
    pub height: u32,
    every_frame: bool,
    capacity: usize,
    queue: Mutex<std::collections::VecDeque<Vec<u8>>>,
    space: Condvar,
    pushed: AtomicU64,
    dropped: AtomicU64,
}

impl PushSlot {
    pub fn new(width: u32, height: u32, every_frame: bool) -> PushSlot {
        PushSlot {
            width,
            height,
            every_frame,
            capacity: if every_frame { 4 } else { 1 },
            queue: Mutex::new(Default::default()),
            space: Condvar::new(),
            pushed: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
        }
    }

    pub fn frame_len(&self) -> usize {
        self.width as usize * self.height as usize * 4
    }

    pub fn push(&self, pixels: Vec<u8>, timeout: Duration) -> Result<(), String> {
        if pixels.len() != self.frame_len() {
            return Err(format!("pushed frame has {} bytes, expected {} ({}x{} RGBA8)", pixels.len(), self.frame_len(), self.width, self.height));
        }
        let deadline = Instant::now() + timeout;
        let mut queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        if self.every_frame {
            while queue.len() >= self.capacity {
                let left = deadline.checked_duration_since(Instant::now()).ok_or("timed out waiting for the graph to take earlier frames")?;
                queue = self.space.wait_timeout(queue, left).unwrap_or_else(|p| p.into_inner()).0;
            }
        } else if queue.pop_front().is_some() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
        queue.push_back(pixels);
        self.pushed.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// The next frame for the graph, if one arrived since the last call.
    pub fn take(&self) -> Option<Vec<u8>> {
        let frame = self.queue.lock().unwrap_or_else(|p| p.into_inner()).pop_front();
        self.space.notify_all();
        frame
    }

    pub fn pushed(&self) -> u64 {
        self.pushed.load(Ordering::Relaxed)
    }

    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}
