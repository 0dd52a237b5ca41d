//! Feature names: what this build can do on this machine. Python's `has_feature` and the runtime's
//! `GET /v1/capabilities` both ask this one list, so the two never disagree about a name.

use std::path::Path;

use crate::gpu::{adapters, AdapterDescription, Gpu};
use crate::shader::backends;

/// Every name `features` can report, sorted. Anything else (e.g. "body_tracking") is never available.
pub const FEATURE_NAMES: [&str; 8] =
    ["camera", "dxc", "glslang", "gpu", "metal", "passthrough", "video_file", "vulkan"];

/// What one GPU contributes to the features.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GpuFacts {
    /// "vulkan", "metal", … (wgpu's backend name, lowercase).
    pub backend: String,
    /// Shaders reach the driver as SPIR-V/MSL passthrough.
    pub passthrough: bool,
}

impl GpuFacts {
    /// A device a runtime opened.
    pub fn of(gpu: &Gpu) -> GpuFacts {
        GpuFacts { backend: gpu.adapter.backend.clone(), passthrough: gpu.passthrough }
    }

    /// An adapter no device was opened on: passthrough is decided when a device opens, so it is not claimed.
    pub fn listed(adapter: &AdapterDescription) -> GpuFacts {
        GpuFacts { backend: adapter.backend.clone(), passthrough: false }
    }
}

/// The features available with `gpus`, sorted: each HLSL compiler that loads here ("glslang", "dxc"),
/// "camera" (browser frames arrive through a push source, which every build has), "video_file" when ffmpeg is
/// on PATH, and — when there is a GPU — "gpu", its backend if Vulkan or Metal, and "passthrough" if it uses it.
pub fn features(gpus: &[GpuFacts]) -> Vec<&'static str> {
    let mut names: Vec<&'static str> = backends().iter().filter(|b| b.available).map(|b| b.kind.as_str()).collect();
    names.push("camera");
    if on_path("ffmpeg") {
        names.push("video_file");
    }
    if !gpus.is_empty() {
        names.push("gpu");
    }
    for gpu in gpus {
        match gpu.backend.as_str() {
            "vulkan" => names.push("vulkan"),
            "metal" => names.push("metal"),
            _ => {}
        }
        if gpu.passthrough {
            names.push("passthrough");
        }
    }
    names.sort_unstable();
    names.dedup();
    names
}

/// `features` of a runtime's device, or — without one — of every adapter this machine lists.
pub fn features_here(gpu: Option<&Gpu>) -> Vec<&'static str> {
    match gpu {
        Some(gpu) => features(&[GpuFacts::of(gpu)]),
        None => features(&adapters().iter().map(GpuFacts::listed).collect::<Vec<_>>()),
    }
}

/// Whether `program` is an executable file in one of PATH's directories (what `shutil.which` answers).
fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| executable(&dir.join(program))))
}

#[cfg(unix)]
fn executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn executable(path: &Path) -> bool {
    path.is_file() || path.with_extension("exe").is_file()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gpu(backend: &str, passthrough: bool) -> GpuFacts {
        GpuFacts { backend: backend.to_owned(), passthrough }
    }

    #[test]
    fn gpu_features_follow_the_gpus_given() {
        let none = features(&[]);
        assert!(none.contains(&"camera") && none.contains(&"glslang"), "{none:?}");
        assert!(!none.iter().any(|n| ["gpu", "vulkan", "metal", "passthrough"].contains(n)), "{none:?}");
        let vulkan = features(&[gpu("vulkan", false)]);
        assert!(vulkan.contains(&"gpu") && vulkan.contains(&"vulkan") && !vulkan.contains(&"passthrough"));
        let both = features(&[gpu("metal", true), gpu("vulkan", false), gpu("gl", false)]);
        assert!(["gpu", "metal", "vulkan", "passthrough"].iter().all(|n| both.contains(n)), "{both:?}");
    }

    #[test]
    fn names_are_sorted_unique_and_all_documented() {
        let names = features(&[gpu("vulkan", true), gpu("vulkan", true), gpu("metal", false)]);
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(names, sorted);
        assert!(names.iter().all(|n| FEATURE_NAMES.contains(n)), "{names:?}");
        let mut documented = FEATURE_NAMES.to_vec();
        documented.sort_unstable();
        assert_eq!(documented, FEATURE_NAMES);
    }

    #[test]
    fn video_files_need_ffmpeg_on_the_path() {
        let found = std::env::var_os("PATH")
            .is_some_and(|paths| std::env::split_paths(&paths).any(|d| executable(&d.join("ffmpeg"))));
        assert_eq!(features(&[]).contains(&"video_file"), found);
        assert!(!on_path("streamlib-no-such-program"));
    }
}
