//! Frame hand-over points between the frame loop and other threads, each bounded.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// One CPU frame: tightly packed RGBA8 rows. The pixels are shared: a source's frame handed to several
/// sinks, or to one sink again on a loop frame with nothing new, is not copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub index: u64,
    pub width: u32,
    pub height: u32,
    pub pixels: Arc<Vec<u8>>,
}

/// The latest frame a sink received (`NumpySink`): older ones are simply replaced. Readers share it (`Arc`):
/// a 720p frame handed to each WHEP sender is not copied.
#[derive(Debug, Default)]
pub struct LatestFrame {
    slot: Mutex<Option<Arc<Frame>>>,
    changed: Condvar,
    received: AtomicU64,
    /// When a reader last asked for a frame: a remote source decodes its stream only while someone looks.
    read_at: Mutex<Option<Instant>>,
}

/// How long a reader's or the graph's interest in pictures lasts after it last showed it: longer than the
/// gaps of a reader polling now and then, so decoding does not stop and start (each start waits for a
/// keyframe) between its reads.
pub const INTEREST_LASTS: Duration = Duration::from_secs(3);

impl LatestFrame {
    pub fn store(&self, frame: Frame) {
        // Counted under the lock: a waiter that read the old count is waiting by the time it changes.
        let mut slot = self.slot.lock().unwrap_or_else(|p| p.into_inner());
        *slot = Some(Arc::new(frame));
        self.received.fetch_add(1, Ordering::Relaxed);
        drop(slot);
        self.changed.notify_all();
    }

    pub fn latest(&self) -> Option<Arc<Frame>> {
        self.note_read();
        self.slot.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The latest frame's index, for reports: not a read.
    pub fn index(&self) -> Option<u64> {
        self.slot.lock().unwrap_or_else(|p| p.into_inner()).as_ref().map(|frame| frame.index)
    }

    /// Whether a reader asked for a frame within `INTEREST_LASTS`.
    pub fn read_lately(&self) -> bool {
        self.read_at.lock().unwrap_or_else(|p| p.into_inner()).is_some_and(|at| at.elapsed() < INTEREST_LASTS)
    }

    fn note_read(&self) {
        *self.read_at.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now());
    }

    pub fn received(&self) -> u64 {
        self.received.load(Ordering::Relaxed)
    }

    /// The newest frame and the count of frames received, once more than `seen` have been; None when none
    /// arrives within `timeout`.
    pub fn wait_newer(&self, seen: u64, timeout: Duration) -> Option<(u64, Arc<Frame>)> {
        self.note_read();
        let deadline = Instant::now() + timeout;
        let mut slot = self.slot.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            let received = self.received.load(Ordering::Relaxed);
            if received > seen {
                return slot.clone().map(|frame| (received, frame));
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            slot = self.changed.wait_timeout(slot, left).unwrap_or_else(|p| p.into_inner()).0;
        }
    }

    /// Waits until a frame with index ≥ `index` arrives, or `timeout` passes.
    pub fn wait_for(&self, index: u64, timeout: Duration) -> Option<Arc<Frame>> {
        self.note_read();
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

/// Encoded preview frames: a queue of one, latest wins. While a frame waits untaken, the frame loop skips
/// reading back and encoding new ones, so a preview nobody reads costs nothing. A reader finding the waiting
/// frame older than `MAX_WAITING_AGE` asks for a new one and gets the next frame instead (latest wins).
#[derive(Debug)]
pub struct PreviewQueue {
    pub quality: u8,
    /// PNG instead of JPEG: exact pixels, for a still picture or on request.
    lossless: std::sync::atomic::AtomicBool,
    slot: Mutex<Option<(EncodedFrame, Instant)>>,
    /// A reader is waiting for a frame newer than the one in the slot.
    wanted: std::sync::atomic::AtomicBool,
    ready: Condvar,
    dropped: AtomicU64,
    delivered: AtomicU64,
    /// How large the page shows the preview, in device pixels (0×0: unknown or full size wanted). Frames
    /// are scaled down on the GPU to fit it before the readback (`gpu::scale`).
    display: Mutex<(u32, u32)>,
    /// The size of the frames the sink is fed (before scaling), set when a run starts.
    source: Mutex<(u32, u32)>,
    /// The reader paces the frame loop: a graph whose every sink is such a preview makes a frame only when a
    /// reader asks for one (`wait_for_reader`), so a page slower than the loop costs no frames it never shows.
    paced: std::sync::atomic::AtomicBool,
}

/// Bumped, and waited on by frame loops, whenever a preview reader starts waiting for a frame: one waker for
/// every queue, so a loop feeding several previews wakes for any of them (others' wakes only cost a re-check).
static READER_ASKED: (Mutex<u64>, Condvar) = (Mutex::new(0), Condvar::new());

/// Waits until any preview reader asks for a frame after `seen` (a value of `reader_asks()`), or `timeout`.
pub fn wait_for_reader(seen: u64, timeout: Duration) {
    let (asked, changed) = &READER_ASKED;
    let count = asked.lock().unwrap_or_else(|p| p.into_inner());
    if *count == seen {
        drop(changed.wait_timeout(count, timeout).unwrap_or_else(|p| p.into_inner()));
    }
}

/// How many times preview readers have asked for a frame, process-wide.
pub fn reader_asks() -> u64 {
    *READER_ASKED.0.lock().unwrap_or_else(|p| p.into_inner())
}

fn reader_asked() {
    let (asked, changed) = &READER_ASKED;
    *asked.lock().unwrap_or_else(|p| p.into_inner()) += 1;
    changed.notify_all();
}

pub const MAX_WAITING_AGE: Duration = Duration::from_millis(100);

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
        PreviewQueue {
            quality: quality.clamp(1, 100),
            lossless: Default::default(),
            wanted: Default::default(),
            slot: Mutex::new(None),
            ready: Condvar::new(),
            dropped: AtomicU64::new(0),
            delivered: AtomicU64::new(0),
            display: Mutex::new((0, 0)),
            source: Mutex::new((0, 0)),
            paced: Default::default(),
        }
    }

    /// Lets the reader pace the loop (see `paced`): the preview widget does, a queue polled now and then
    /// by other code does not.
    pub fn set_paced(&self, paced: bool) {
        self.paced.store(paced, Ordering::Relaxed);
    }

    pub fn paced(&self) -> bool {
        self.paced.load(Ordering::Relaxed)
    }

    /// True while a reader waits in `take` for a frame newer than the slot's.
    pub fn reader_waiting(&self) -> bool {
        self.wanted.load(Ordering::Relaxed)
    }

    /// The size the preview is shown at; (0, 0) asks for frames at full size.
    pub fn set_display_size(&self, width: u32, height: u32) {
        *self.display.lock().unwrap_or_else(|p| p.into_inner()) = (width, height);
    }

    pub fn display_size(&self) -> Option<(u32, u32)> {
        Some(*self.display.lock().unwrap_or_else(|p| p.into_inner())).filter(|(w, h)| *w > 0 && *h > 0)
    }

    pub fn set_source_size(&self, width: u32, height: u32) {
        *self.source.lock().unwrap_or_else(|p| p.into_inner()) = (width, height);
    }

    /// The size of the frames fed to the sink, before any scaling; (0, 0) before a run.
    pub fn source_size(&self) -> (u32, u32) {
        *self.source.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn set_lossless(&self, lossless: bool) {
        self.lossless.store(lossless, Ordering::Relaxed);
    }

    pub fn lossless(&self) -> bool {
        self.lossless.load(Ordering::Relaxed)
    }

    /// True when the slot is empty or a reader wants something newer than what waits there.
    pub fn needs_frame(&self) -> bool {
        self.wanted.load(Ordering::Relaxed) || self.slot.lock().unwrap_or_else(|p| p.into_inner()).is_none()
    }

    pub fn count_drop(&self) {
        self.dropped.fetch_add(1, Ordering::Relaxed);
    }

    pub fn offer(&self, frame: EncodedFrame) {
        let mut slot = self.slot.lock().unwrap_or_else(|p| p.into_inner());
        if slot.replace((frame, Instant::now())).is_some() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
        self.wanted.store(false, Ordering::Relaxed);
        self.ready.notify_all();
    }

    /// Takes the newest frame, waiting up to `timeout` for one. A stale waiting frame is replaced by the
    /// next one the loop makes; if none comes (the graph stopped), the stale one is returned.
    pub fn take(&self, timeout: Duration) -> Option<EncodedFrame> {
        let deadline = Instant::now() + timeout;
        let mut slot = self.slot.lock().unwrap_or_else(|p| p.into_inner());
        let stale_since = match slot.as_ref() {
            Some((_, at)) if at.elapsed() <= MAX_WAITING_AGE => None,
            Some((_, at)) => Some(*at),
            None => None,
        };
        if stale_since.is_some() || slot.is_none() {
            self.wanted.store(true, Ordering::Relaxed);
            reader_asked();
        }
        loop {
            let fresh = slot.as_ref().is_some_and(|(_, at)| Some(*at) != stale_since);
            let left = deadline.checked_duration_since(Instant::now());
            if fresh || (left.is_none() && slot.is_some()) {
                let (frame, _) = slot.take()?;
                self.delivered.fetch_add(1, Ordering::Relaxed);
                return Some(frame);
            }
            slot = self.ready.wait_timeout(slot, left?).unwrap_or_else(|p| p.into_inner()).0;
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
    queue: Mutex<std::collections::VecDeque<Pushed>>,
    space: Condvar,
    arrived: Condvar,
    pushed: AtomicU64,
    dropped: AtomicU64,
    rejected: AtomicU64,
    /// When the graph last had a use for the slot's pictures (`want`).
    wanted_at: Mutex<Option<Instant>>,
}

/// A frame as pushed: pixels, or JPEG/PNG bytes decoded only when the graph takes them — on the frame loop's
/// thread, not the pusher's (a comm handler), and never for a frame a newer one replaced.
#[derive(Debug)]
enum Pushed {
    Pixels(Vec<u8>),
    Encoded(Vec<u8>),
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
            arrived: Condvar::new(),
            pushed: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
            wanted_at: Mutex::new(None),
        }
    }

    /// The frame loop has a use for the slot's pictures now: something draws, shows, records or sends them.
    pub fn want(&self) {
        *self.wanted_at.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now());
    }

    /// Whether the pictures were wanted within `INTEREST_LASTS`. A remote source's receiver that sees they
    /// are not decodes only keyframes: its stream is still passed on as it came, to WHEP sessions.
    pub fn wanted(&self) -> bool {
        self.wanted_at.lock().unwrap_or_else(|p| p.into_inner()).is_some_and(|at| at.elapsed() < INTEREST_LASTS)
    }

    pub fn frame_len(&self) -> usize {
        self.width as usize * self.height as usize * 4
    }

    pub fn push(&self, pixels: Vec<u8>, timeout: Duration) -> Result<(), String> {
        if pixels.len() != self.frame_len() {
            return Err(format!(
                "pushed frame has {} bytes, expected {} ({}x{} RGBA8)",
                pixels.len(),
                self.frame_len(),
                self.width,
                self.height
            ));
        }
        self.enqueue(Pushed::Pixels(pixels), timeout)
    }

    /// Queues a JPEG or PNG (the browser camera sends JPEG). Its header is checked now — format and size, so
    /// the pusher hears of a wrong one — and the rest is decoded when the graph takes it.
    pub fn push_encoded(&self, data: &[u8], timeout: Duration) -> Result<(), String> {
        let (w, h) = image::ImageReader::new(std::io::Cursor::new(data))
            .with_guessed_format()
            .map_err(|e| format!("cannot read pushed frame: {e}"))?
            .into_dimensions()
            .map_err(|e| format!("cannot decode pushed frame: {e}"))?;
        if (w, h) != (self.width, self.height) {
            return Err(format!("pushed frame is {w}x{h}, the source expects {}x{}", self.width, self.height));
        }
        self.enqueue(Pushed::Encoded(data.to_vec()), timeout)
    }

    fn enqueue(&self, frame: Pushed, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        let mut queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        if self.every_frame {
            while queue.len() >= self.capacity {
                let left = deadline
                    .checked_duration_since(Instant::now())
                    .ok_or("timed out waiting for the graph to take earlier frames")?;
                queue = self.space.wait_timeout(queue, left).unwrap_or_else(|p| p.into_inner()).0;
            }
        } else if queue.pop_front().is_some() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
        queue.push_back(frame);
        self.pushed.fetch_add(1, Ordering::Relaxed);
        self.arrived.notify_all();
        Ok(())
    }

    /// The pixels of a taken frame; an encoded one whose body does not decode to the size its header gave is
    /// counted in `rejected` and skipped.
    fn pixels(&self, frame: Pushed) -> Option<Vec<u8>> {
        let data = match frame {
            Pushed::Pixels(pixels) => return Some(pixels),
            Pushed::Encoded(data) => data,
        };
        match decode_rgba(&data) {
            Some((pixels, width, height)) if (width, height) == (self.width, self.height) => Some(pixels),
            _ => {
                self.rejected.fetch_add(1, Ordering::Relaxed);
                None
            }
        }
    }

    pub fn every_frame(&self) -> bool {
        self.every_frame
    }

    /// Waits up to `timeout` for the next frame (every-frame sources make the graph wait for the pusher).
    pub fn take_waiting(&self, timeout: Duration) -> Option<Vec<u8>> {
        let deadline = Instant::now() + timeout;
        loop {
            let mut queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
            let frame = loop {
                if let Some(frame) = queue.pop_front() {
                    self.space.notify_all();
                    break frame;
                }
                let left = deadline.checked_duration_since(Instant::now())?;
                queue = self.arrived.wait_timeout(queue, left).unwrap_or_else(|p| p.into_inner()).0;
            };
            drop(queue); // decode without holding the pusher up
            if let Some(pixels) = self.pixels(frame) {
                return Some(pixels);
            }
        }
    }

    /// The next frame for the graph, if one arrived since the last call.
    pub fn take(&self) -> Option<Vec<u8>> {
        let frame = self.queue.lock().unwrap_or_else(|p| p.into_inner()).pop_front();
        self.space.notify_all();
        self.pixels(frame?)
    }

    pub fn pushed(&self) -> u64 {
        self.pushed.load(Ordering::Relaxed)
    }

    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Encoded frames whose header was good and whose body did not decode.
    pub fn rejected(&self) -> u64 {
        self.rejected.load(Ordering::Relaxed)
    }
}

/// A pushed JPEG (by libjpeg-turbo, the camera's format) or PNG as RGBA pixels and their size.
fn decode_rgba(data: &[u8]) -> Option<(Vec<u8>, u32, u32)> {
    if data.starts_with(&[0xff, 0xd8]) {
        let image = turbojpeg::decompress(data, turbojpeg::PixelFormat::RGBA).ok()?;
        return Some((image.pixels, image.width as u32, image.height as u32));
    }
    let image = image::load_from_memory(data).ok()?.to_rgba8();
    let (width, height) = image.dimensions();
    Some((image.into_raw(), width, height))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(index: u64) -> Frame {
        Frame { index, width: 1, height: 1, pixels: Arc::new(vec![0; 4]) }
    }

    #[test]
    fn a_waiter_wakes_for_the_next_frame_and_times_out_without_one() {
        let latest = std::sync::Arc::new(LatestFrame::default());
        assert!(latest.wait_newer(0, Duration::from_millis(20)).is_none(), "nothing stored yet");
        let storer = {
            let latest = latest.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(50));
                latest.store(frame(7));
            })
        };
        let asked = Instant::now();
        let (count, got) = latest.wait_newer(0, Duration::from_secs(10)).expect("woken by the store");
        assert!(asked.elapsed() < Duration::from_secs(5), "woken, not timed out");
        assert_eq!((count, got.index), (1, 7));
        storer.join().unwrap();
        assert!(latest.wait_newer(1, Duration::from_millis(20)).is_none(), "frame 1 was given already");
        latest.store(frame(8));
        assert_eq!(latest.wait_newer(1, Duration::ZERO).map(|(n, f)| (n, f.index)), Some((2, 8)));
    }

    fn encoded(width: u32, height: u32, format: image::ImageFormat) -> Vec<u8> {
        let mut out = Vec::new();
        let pixels = image::RgbImage::from_pixel(width, height, image::Rgb([200, 100, 50]));
        pixels.write_to(&mut std::io::Cursor::new(&mut out), format).expect("encode the frame");
        out
    }

    fn jpeg(width: u32, height: u32) -> Vec<u8> {
        encoded(width, height, image::ImageFormat::Jpeg)
    }

    #[test]
    fn a_reader_asking_for_a_frame_wakes_a_waiting_loop_and_the_frame_it_gets_ends_the_ask() {
        let queue = std::sync::Arc::new(PreviewQueue::new(80));
        assert!(!queue.reader_waiting());
        let seen = reader_asks();
        let reader = {
            let queue = queue.clone();
            std::thread::spawn(move || queue.take(Duration::from_secs(10)))
        };
        let asked = Instant::now();
        // The loop's wait ends when the reader asks, long before its timeout.
        while !queue.reader_waiting() {
            wait_for_reader(seen, Duration::from_secs(10));
        }
        assert!(asked.elapsed() < Duration::from_secs(5));
        let frame = EncodedFrame { index: 7, width: 1, height: 1, mime: "image/jpeg", bytes: vec![1] };
        queue.offer(frame.clone());
        assert_eq!(reader.join().unwrap(), Some(frame));
        assert!(!queue.reader_waiting());
    }

    #[test]
    fn an_encoded_frame_is_decoded_when_taken_and_a_newer_one_replaces_it_undecoded() {
        let slot = PushSlot::new(16, 8, false);
        slot.push_encoded(&jpeg(16, 8), Duration::ZERO).unwrap();
        slot.push_encoded(&jpeg(16, 8), Duration::ZERO).unwrap();
        assert_eq!((slot.pushed(), slot.dropped()), (2, 1));
        let pixels = slot.take().expect("the newest frame");
        assert_eq!(pixels.len(), 16 * 8 * 4);
        assert!(pixels[0].abs_diff(200) < 8 && pixels[3] == 255, "{:?}", &pixels[..4]);
        assert!(slot.take().is_none());
    }

    #[test]
    fn a_wrong_size_is_refused_to_the_pusher_and_a_broken_body_is_counted_when_taken() {
        let slot = PushSlot::new(16, 8, false);
        assert_eq!(
            slot.push_encoded(&jpeg(8, 8), Duration::ZERO).unwrap_err(),
            "pushed frame is 8x8, the source expects 16x8"
        );
        assert!(slot.push_encoded(b"not an image", Duration::ZERO).is_err());
        // A PNG cut inside its image data: the header (and so the size) reads, the pixels do not.
        let mut truncated = encoded(16, 8, image::ImageFormat::Png);
        truncated.truncate(truncated.len() - 20);
        slot.push_encoded(&truncated, Duration::ZERO).unwrap();
        assert!(slot.take_waiting(Duration::from_millis(20)).is_none());
        assert_eq!((slot.pushed(), slot.rejected()), (1, 1));
    }
}
