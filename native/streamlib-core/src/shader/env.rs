//! The compiler settings the environment gives, read one way for the runtime binary and for Python:
//! `STREAMLIB_SHADER_PATH` (directories `#include` may read, split like PATH, before the shader library the
//! caller ships) and `STREAMLIB_CACHE_DIR` (the on-disk compile cache).

use std::ffi::OsString;
use std::path::PathBuf;

use super::{CompilerConfig, WorkerCommand};

pub const SHADER_PATH_VAR: &str = "STREAMLIB_SHADER_PATH";
pub const CACHE_DIR_VAR: &str = "STREAMLIB_CACHE_DIR";

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvSettings {
    /// `STREAMLIB_SHADER_PATH` entries in order (empty ones skipped), then the `bundled` library.
    pub library_dirs: Vec<PathBuf>,
    /// `STREAMLIB_CACHE_DIR` when set and not empty.
    pub cache_dir: Option<PathBuf>,
}

impl EnvSettings {
    /// Reads the environment now; `bundled` are the library directories the caller ships (Python: the
    /// package's `shaders/`), which come after the user's own.
    pub fn read(bundled: &[PathBuf]) -> EnvSettings {
        EnvSettings::from_vars(std::env::var_os(SHADER_PATH_VAR), std::env::var_os(CACHE_DIR_VAR), bundled)
    }

    fn from_vars(shader_path: Option<OsString>, cache_dir: Option<OsString>, bundled: &[PathBuf]) -> EnvSettings {
        let mut library_dirs: Vec<PathBuf> = shader_path
            .map(|paths| std::env::split_paths(&paths).filter(|p| !p.as_os_str().is_empty()).collect())
            .unwrap_or_default();
        library_dirs.extend(bundled.iter().cloned());
        EnvSettings { library_dirs, cache_dir: cache_dir.filter(|d| !d.is_empty()).map(PathBuf::from) }
    }
}

impl CompilerConfig {
    /// The compiler `worker` runs for, with the environment's library directories (then `bundled`) and cache.
    pub fn from_env(worker: WorkerCommand, bundled: &[PathBuf]) -> CompilerConfig {
        let env = EnvSettings::read(bundled);
        CompilerConfig {
            library_dirs: env.library_dirs,
            cache_dir: env.cache_dir,
            ..CompilerConfig::with_worker(worker)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_directories_come_before_the_bundled_library_and_empty_values_mean_unset() {
        let joined = std::env::join_paths(["/a", "", "/b"]).unwrap();
        let settings = EnvSettings::from_vars(Some(joined), Some("/cache".into()), &[PathBuf::from("/lib/shaders")]);
        assert_eq!(settings.library_dirs, [PathBuf::from("/a"), PathBuf::from("/b"), PathBuf::from("/lib/shaders")]);
        assert_eq!(settings.cache_dir, Some(PathBuf::from("/cache")));
        let unset = EnvSettings::from_vars(Some("".into()), Some("".into()), &[]);
        assert_eq!(unset, EnvSettings::default());
        assert_eq!(EnvSettings::from_vars(None, None, &[]), EnvSettings::default());
    }
}
