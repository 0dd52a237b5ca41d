//! The preview sink's encoding: JPEG for the live picture, PNG when the preview asks for exact pixels or the
//! picture has stood still. The queue it feeds (`PreviewQueue`) holds one frame; the frame loop skips this
//! work while that frame waits.

use std::sync::Arc;

use image::ImageEncoder;

use crate::nodes::frames::{EncodedFrame, Frame};
use crate::nodes::PreviewQueue;

/// Frames a picture must repeat before it is sent once more, lossless: a still picture is shown exactly,
/// and after that nothing is encoded or sent until it changes.
pub const STILL_AFTER: u32 = 2;

/// A preview sink during a run: the queue, and what it last offered.
pub struct PreviewEncoder {
    pub queue: Arc<PreviewQueue>,
    previous: Option<Frame>,
    repeats: u32,
}

impl PreviewEncoder {
    pub fn new(queue: Arc<PreviewQueue>) -> PreviewEncoder {
        PreviewEncoder { queue, previous: None, repeats: 0 }
    }

    /// Offers `frame`: as JPEG while the picture moves (PNG if the preview asked for lossless), as PNG once
    /// it has repeated `STILL_AFTER` times, and not at all while it stays the same after that.
    pub fn deliver(&mut self, frame: Frame) -> Result<(), String> {
        let same = self
            .previous
            .as_ref()
            .is_some_and(|p| (p.width, p.height) == (frame.width, frame.height) && p.pixels == frame.pixels);
        self.repeats = if same { self.repeats.saturating_add(1) } else { 0 };
        let result = match self.repeats {
            0 => offer(&self.queue, &frame, self.queue.lossless()),
            n if n < STILL_AFTER => offer(&self.queue, &frame, self.queue.lossless()),
            n if n == STILL_AFTER => offer(&self.queue, &frame, true),
            _ => Ok(()),
        };
        self.previous = Some(frame);
        result
    }
}

/// Encodes `frame` (PNG when `lossless`, else JPEG at the queue's quality) and offers it.
fn offer(queue: &PreviewQueue, frame: &Frame, lossless: bool) -> Result<(), String> {
    let (bytes, mime) = if lossless {
        (encode_png(&frame.pixels, frame.width, frame.height)?, "image/png")
    } else {
        (encode_jpeg(&frame.pixels, frame.width, frame.height, queue.quality)?, "image/jpeg")
    };
    queue.offer(EncodedFrame { index: frame.index, width: frame.width, height: frame.height, mime, bytes });
    Ok(())
}

/// JPEG straight from RGBA (alpha dropped, 4:2:0) by libjpeg-turbo; each thread keeps its compressor.
pub fn encode_jpeg(rgba: &[u8], width: u32, height: u32, quality: u8) -> Result<Vec<u8>, String> {
    let too_big = || format!("{width}x{height} is too large for JPEG (65535 px per side at most)");
    if width > u32::from(u16::MAX) || height > u32::from(u16::MAX) {
        return Err(too_big());
    }
    let (w, h) = (width as usize, height as usize);
    if rgba.len() < w * h * 4 {
        return Err(format!("{width}x{height} RGBA needs {} bytes, got {}", w * h * 4, rgba.len()));
    }
    let failed = |e: turbojpeg::Error| format!("JPEG encoding failed: {e}");
    thread_local! {
        static COMPRESSOR: std::cell::RefCell<Option<turbojpeg::Compressor>> = const { std::cell::RefCell::new(None) };
    }
    COMPRESSOR.with_borrow_mut(|compressor| {
        let compressor = match compressor {
            Some(compressor) => compressor,
            None => {
                let mut made = turbojpeg::Compressor::new().map_err(failed)?;
                made.set_subsamp(turbojpeg::Subsamp::Sub2x2).map_err(failed)?;
                compressor.insert(made)
            }
        };
        compressor.set_quality(i32::from(quality.clamp(1, 100))).map_err(failed)?;
        let image =
            turbojpeg::Image { pixels: rgba, width: w, pitch: w * 4, height: h, format: turbojpeg::PixelFormat::RGBA };
        compressor.compress_to_vec(image).map_err(failed)
    })
}

pub fn encode_png(rgba: &[u8], width: u32, height: u32) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new_with_quality(
        &mut out,
        image::codecs::png::CompressionType::Fast,
        image::codecs::png::FilterType::Sub,
    )
    .write_image(rgba, width, height, image::ExtendedColorType::Rgba8)
    .map_err(|e| format!("PNG encoding failed: {e}"))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lossless_previews_get_png_and_others_jpeg() {
        let frame = |index: u64, value: u8| Frame { index, width: 4, height: 2, pixels: Arc::new(vec![value; 32]) };
        let queue = Arc::new(PreviewQueue::new(80));
        let mut encoder = PreviewEncoder::new(queue.clone());
        encoder.deliver(frame(3, 200)).unwrap();
        let jpeg = queue.take(std::time::Duration::ZERO).unwrap();
        assert_eq!((jpeg.mime, jpeg.index, jpeg.width, jpeg.height), ("image/jpeg", 3, 4, 2));
        assert_eq!(&jpeg.bytes[..2], &[0xff, 0xd8]);
        queue.set_lossless(true);
        encoder.deliver(frame(4, 100)).unwrap();
        let png = queue.take(std::time::Duration::ZERO).unwrap();
        assert_eq!(png.mime, "image/png");
        assert_eq!(image::load_from_memory(&png.bytes).unwrap().to_rgba8().into_raw(), *frame(4, 100).pixels);
    }

    #[test]
    fn a_still_picture_is_sent_once_lossless_then_not_again_until_it_moves() {
        let frame = |index: u64, value: u8| Frame { index, width: 4, height: 2, pixels: Arc::new(vec![value; 32]) };
        let queue = Arc::new(PreviewQueue::new(80));
        let mut encoder = PreviewEncoder::new(queue.clone());
        let mut sent = Vec::new();
        for (index, value) in [(0, 10), (1, 10), (2, 10), (3, 10), (4, 10), (5, 90), (6, 90)] {
            encoder.deliver(frame(index, value)).unwrap();
            if let Some(encoded) = queue.take(std::time::Duration::ZERO) {
                sent.push((encoded.index, encoded.mime));
            }
        }
        assert_eq!(
            sent,
            [(0, "image/jpeg"), (1, "image/jpeg"), (2, "image/png"), (5, "image/jpeg"), (6, "image/jpeg")]
        );
    }

    #[test]
    fn jpeg_refuses_sizes_it_cannot_hold() {
        let err = encode_jpeg(&[], 70_000, 1, 80).unwrap_err();
        assert_eq!(err, "70000x1 is too large for JPEG (65535 px per side at most)");
    }
}
