//! The video_file sink: raw RGBA frames piped into Debian's ffmpeg, which encodes H.264 into an MP4.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};

pub struct VideoWriter {
    path: PathBuf,
    child: Child,
    stdin: Option<ChildStdin>,
    frame_len: usize,
}

impl VideoWriter {
    pub fn create(path: &Path, width: u32, height: u32, fps: f64) -> Result<VideoWriter, String> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| format!("cannot create '{}': {e}", parent.display()))?;
        }
        // H.264 needs even dimensions; pad by one pixel rather than refuse odd frames.
        let mut child = Command::new("ffmpeg")
            .args([
                "-y",
                "-v",
                "error",
                "-f",
                "rawvideo",
                "-pix_fmt",
                "rgba",
                "-s",
                &format!("{width}x{height}"),
                "-r",
                &format!("{fps}"),
                "-i",
                "-",
            ])
            .args([
                "-vf",
                "pad=ceil(iw/2)*2:ceil(ih/2)*2",
                "-c:v",
                "libx264",
                "-preset",
                "veryfast",
                "-pix_fmt",
                "yuv420p",
            ])
            .arg(path)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot run ffmpeg (install ffmpeg): {e}"))?;
        let stdin = child.stdin.take();
        Ok(VideoWriter { path: path.to_owned(), child, stdin, frame_len: width as usize * height as usize * 4 })
    }

    pub fn write(&mut self, pixels: &[u8]) -> Result<(), String> {
        if pixels.len() != self.frame_len {
            return Err(format!("frame of {} bytes for a {}-byte video frame", pixels.len(), self.frame_len));
        }
        let stdin = self.stdin.as_mut().ok_or("video writer already finished")?;
        stdin
            .write_all(pixels)
            .map_err(|e| format!("ffmpeg stopped accepting frames for '{}': {e}", self.path.display()))
    }

    /// Closes the stream and waits for ffmpeg to finish the file.
    pub fn finish(&mut self) -> Result<(), String> {
        drop(self.stdin.take());
        let status = self.child.wait().map_err(|e| e.to_string())?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("ffmpeg failed writing '{}' ({status})", self.path.display()))
        }
    }
}

impl Drop for VideoWriter {
    fn drop(&mut self) {
        let _ = self.finish();
    }
}
