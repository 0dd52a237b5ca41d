//! The image_sequence sink: one PNG per frame, `{prefix}{index:06}.png`, written on a thread of its own so
//! the frame loop encodes nothing; a bounded queue makes the loop wait rather than lose a frame.

use std::path::Path;
use std::sync::mpsc::{sync_channel, SyncSender};
use std::thread::JoinHandle;

use crate::nodes::frames::Frame;

/// Frames the writer may fall behind before `write` blocks.
const QUEUE: usize = 4;

pub struct ImageSequenceWriter {
    sender: Option<SyncSender<Frame>>,
    writer: Option<JoinHandle<Result<(), String>>>,
}

impl ImageSequenceWriter {
    /// Creates `directory` (and its parents) and starts the writer thread.
    pub fn create(directory: &Path, prefix: &str) -> Result<ImageSequenceWriter, String> {
        std::fs::create_dir_all(directory).map_err(|e| format!("cannot create '{}': {e}", directory.display()))?;
        let (sender, receiver) = sync_channel::<Frame>(QUEUE);
        let (directory, prefix) = (directory.to_owned(), prefix.to_owned());
        let writer = std::thread::Builder::new()
            .name("streamlib-png-writer".into())
            .spawn(move || {
                for frame in receiver {
                    let path = directory.join(format!("{prefix}{:06}.png", frame.index));
                    image::save_buffer(
                        &path,
                        &frame.pixels,
                        frame.width,
                        frame.height,
                        image::ExtendedColorType::Rgba8,
                    )
                    .map_err(|e| format!("cannot write '{}': {e}", path.display()))?;
                }
                Ok(())
            })
            .map_err(|e| format!("cannot start the PNG writer: {e}"))?;
        Ok(ImageSequenceWriter { sender: Some(sender), writer: Some(writer) })
    }

    /// Blocks while the writer is `QUEUE` frames behind: file sinks never lose a frame.
    pub fn write(&self, frame: Frame) -> Result<(), String> {
        let sender = self.sender.as_ref().ok_or("image writer closed")?;
        sender.send(frame).map_err(|_| "the PNG writer stopped".to_owned())
    }

    /// Waits until every queued frame is on disk; the writer's first error, if any.
    pub fn finish(&mut self) -> Result<(), String> {
        drop(self.sender.take());
        match self.writer.take().map(JoinHandle::join) {
            None | Some(Ok(Ok(()))) => Ok(()),
            Some(Ok(Err(e))) => Err(e),
            Some(Err(_)) => Err("the PNG writer panicked".to_owned()),
        }
    }
}

impl Drop for ImageSequenceWriter {
    fn drop(&mut self) {
        let _ = self.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_frame_is_written_as_a_numbered_png() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("nested").join("frames");
        let mut writer = ImageSequenceWriter::create(&out, "f_").unwrap();
        for index in 0..6 {
            writer.write(Frame { index, width: 2, height: 1, pixels: vec![index as u8; 8].into() }).unwrap();
        }
        writer.finish().unwrap();
        let mut names: Vec<String> =
            std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        assert_eq!(names, (0..6).map(|i| format!("f_{i:06}.png")).collect::<Vec<_>>());
        let decoded = image::open(out.join("f_000005.png")).unwrap().to_rgba8();
        assert_eq!(decoded.into_raw(), vec![5u8; 8]);
        assert_eq!(
            writer.write(Frame { index: 6, width: 2, height: 1, pixels: vec![0; 8].into() }).unwrap_err(),
            "image writer closed"
        );
    }
}
