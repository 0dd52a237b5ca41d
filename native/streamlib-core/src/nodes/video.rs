//! Video file sources through Debian's ffmpeg: decode to raw RGBA frames (the MP4 sink is `sinks::video_file`).

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{sync_channel, Receiver};

/// Width, height and frame rate of a video file's first video stream.
pub fn probe(path: &Path) -> Result<(u32, u32, f64), String> {
    let output = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=width,height,r_frame_rate",
            "-of",
            "csv=p=0",
        ])
        .arg(path)
        .output()
        .map_err(|e| format!("cannot run ffprobe (install ffmpeg): {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "ffprobe cannot read '{}': {}",
            path.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let fields: Vec<&str> = text.trim().split(',').collect();
    let parse = |i: usize| fields.get(i).and_then(|f| f.trim().parse::<u32>().ok());
    let (Some(width), Some(height)) = (parse(0), parse(1)) else {
        return Err(format!("'{}' has no video stream ffprobe understands (got '{}')", path.display(), text.trim()));
    };
    let fps = fields.get(2).and_then(|rate| {
        let (n, d) = rate.trim().split_once('/')?;
        let (n, d): (f64, f64) = (n.parse().ok()?, d.parse().ok()?);
        (d > 0.0).then_some(n / d)
    });
    Ok((width, height, fps.unwrap_or(30.0)))
}

/// The size a video source runs at: the one asked for when both sides are given, else the file's own.
pub fn source_size(path: &Path, width: Option<u32>, height: Option<u32>) -> Result<(u32, u32), String> {
    match (width, height) {
        (Some(width), Some(height)) => Ok((width, height)),
        _ => probe(path).map(|(width, height, _)| (width, height)),
    }
}

/// Decoded frames arrive on a bounded channel: the decoder waits for the graph, never the reverse.
pub struct VideoReader {
    pub width: u32,
    pub height: u32,
    pub fps: f64,
    frames: Receiver<Vec<u8>>,
    child: Child,
}

impl VideoReader {
    pub fn open(path: &Path, size: Option<(u32, u32)>) -> Result<VideoReader, String> {
        let (source_width, source_height, fps) = probe(path)?;
        let (width, height) = size.unwrap_or((source_width, source_height));
        let mut command = Command::new("ffmpeg");
        command.args(["-v", "error", "-nostdin", "-i"]).arg(path);
        if (width, height) != (source_width, source_height) {
            command.args(["-vf", &format!("scale={width}:{height}")]);
        }
        command
            .args(["-f", "rawvideo", "-pix_fmt", "rgba", "-"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .stdin(Stdio::null());
        let mut child = command.spawn().map_err(|e| format!("cannot run ffmpeg: {e}"))?;
        let mut stdout = child.stdout.take().ok_or("ffmpeg has no stdout")?;
        let (send, frames) = sync_channel(2);
        let frame_len = width as usize * height as usize * 4;
        std::thread::Builder::new()
            .name("streamlib-video-decode".into())
            .spawn(move || loop {
                let mut frame = vec![0u8; frame_len];
                if stdout.read_exact(&mut frame).is_err() || send.send(frame).is_err() {
                    break;
                }
            })
            .map_err(|e| e.to_string())?;
        Ok(VideoReader { width, height, fps, frames, child })
    }

    /// The next frame, or None at the end of the file.
    pub fn next_frame(&self) -> Option<Vec<u8>> {
        self.frames.recv().ok()
    }
}

impl Drop for VideoReader {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_size_takes_both_sides_as_given_and_probes_otherwise() {
        let missing = Path::new("/nonexistent/clip.mp4");
        assert_eq!(source_size(missing, Some(320), Some(180)), Ok((320, 180)));
        let err = source_size(missing, Some(320), None).unwrap_err();
        assert!(err.contains("clip.mp4"), "{err}");
    }
}
