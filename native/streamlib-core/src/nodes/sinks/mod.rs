//! Sinks: where a frame goes once the frame loop has read it back from the GPU — numpy (the latest frame),
//! the preview widget (JPEG/PNG), a PNG sequence, an MP4 file or a WHIP endpoint.

pub mod image_sequence;
pub mod preview;
pub mod video_file;

use std::sync::Arc;

pub use image_sequence::ImageSequenceWriter;
pub use preview::{encode_jpeg, encode_png, PreviewEncoder};
pub use video_file::VideoWriter;

use super::frames::Frame;
use super::LatestFrame;
use crate::graph::SinkKind;
use crate::webrtc::link::{Link, LinkReport};

/// The rate a WHIP sink's encoder plans its bitrate for.
const WHIP_FPS: f32 = 30.0;

/// A sink while a graph runs: opened when the run starts, fed each frame it wants, finished when it ends.
pub enum OpenSink {
    Numpy(Arc<LatestFrame>),
    Images(ImageSequenceWriter),
    Video(VideoWriter),
    Preview(PreviewEncoder),
    /// Publishing to a WHIP endpoint: the newest delivered frame is what the link sends next.
    Whip {
        frames: Arc<LatestFrame>,
        link: Link,
    },
}

impl OpenSink {
    /// Opens `kind` for frames of `width`×`height`: file sinks create their directory or start ffmpeg here,
    /// so a sink that cannot write fails the start rather than the first frame.
    pub fn open(kind: &SinkKind, width: u32, height: u32) -> Result<OpenSink, String> {
        Ok(match kind {
            SinkKind::Numpy(latest) => OpenSink::Numpy(latest.clone()),
            SinkKind::Preview(queue) => {
                queue.set_source_size(width, height);
                OpenSink::Preview(PreviewEncoder::new(queue.clone()))
            }
            SinkKind::VideoFile { path, fps } => OpenSink::Video(VideoWriter::create(path, width, height, *fps)?),
            SinkKind::ImageSequence { directory, prefix } => {
                OpenSink::Images(ImageSequenceWriter::create(directory, prefix)?)
            }
            SinkKind::Whip { url, token } => {
                let frames = Arc::new(LatestFrame::default());
                let link = crate::webrtc::publisher::start(url, token.as_deref(), frames.clone(), WHIP_FPS);
                OpenSink::Whip { frames, link }
            }
        })
    }

    /// Whether this frame is worth a readback: a preview still holding an untaken frame skips it (latest
    /// wins), except for a counted run's `last` frame, which is what stays on screen. Other sinks take all.
    pub fn wants_frame(&self, last: bool) -> bool {
        last || !matches!(self, OpenSink::Preview(preview) if !preview.queue.needs_frame())
    }

    /// Whether the sink has a use for frames now: a numpy sink or frame tap only while someone reads it (a
    /// remote source feeding nothing else then need not decode its stream); every other sink always.
    pub fn wants_pixels(&self) -> bool {
        match self {
            OpenSink::Numpy(latest) => latest.read_lately(),
            OpenSink::Images(_) | OpenSink::Video(_) | OpenSink::Preview(_) | OpenSink::Whip { .. } => true,
        }
    }

    /// For a preview whose reader paces the loop: whether a reader waits for a frame now. None for other
    /// sinks, which take frames at the loop's own rate.
    pub fn reader_waiting(&self) -> Option<bool> {
        match self {
            OpenSink::Preview(preview) if preview.queue.paced() => Some(preview.queue.reader_waiting()),
            _ => None,
        }
    }

    /// The size a preview is shown at, to scale its frames down to; None for other sinks, and for a preview
    /// shown at full size.
    pub fn display_size(&self) -> Option<(u32, u32)> {
        match self {
            OpenSink::Preview(preview) => preview.queue.display_size(),
            OpenSink::Numpy(_) | OpenSink::Images(_) | OpenSink::Video(_) | OpenSink::Whip { .. } => None,
        }
    }

    /// A WHIP sink's link: its endpoint, state and frames published.
    pub fn link_report(&self) -> Option<LinkReport> {
        match self {
            OpenSink::Whip { link, .. } => Some(link.report()),
            _ => None,
        }
    }

    /// Counts a frame `wants_frame` turned down as dropped.
    pub fn skipped(&self) {
        if let OpenSink::Preview(preview) = self {
            preview.queue.count_drop();
        }
    }

    /// Hands `frame` over; PNG and MP4 sinks block until their writer can take it.
    pub fn deliver(&mut self, frame: Frame) -> Result<(), String> {
        match self {
            OpenSink::Numpy(latest) => {
                latest.store(frame);
                Ok(())
            }
            OpenSink::Images(writer) => writer.write(frame),
            OpenSink::Video(writer) => writer.write(&frame.pixels),
            OpenSink::Preview(preview) => preview.deliver(frame),
            OpenSink::Whip { frames, .. } => {
                frames.store(frame);
                Ok(())
            }
        }
    }

    /// Frames this sink did not receive: only previews drop frames.
    pub fn dropped(&self) -> u64 {
        match self {
            OpenSink::Preview(preview) => preview.queue.dropped(),
            OpenSink::Numpy(_) | OpenSink::Images(_) | OpenSink::Video(_) | OpenSink::Whip { .. } => 0,
        }
    }

    /// Finishes files: waits for the PNG writer, closes ffmpeg's input and waits for the MP4.
    pub fn finish(&mut self) -> Result<(), String> {
        match self {
            OpenSink::Images(writer) => writer.finish(),
            OpenSink::Video(writer) => writer.finish(),
            OpenSink::Numpy(_) | OpenSink::Preview(_) | OpenSink::Whip { .. } => Ok(()),
        }
    }
}
