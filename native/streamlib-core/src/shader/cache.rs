//! Compiled shaders keyed by everything that affects the output; in memory, and on disk when configured.

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use super::preprocess::PreparedSource;
use super::types::{BackendKind, CompiledShader};

/// Bumped whenever the pipeline's output for the same input changes, so old disk entries stop matching.
const PIPELINE_VERSION: u32 = 5;
const MEMORY_ENTRIES: usize = 512;

pub fn cache_key(prepared: &PreparedSource, backend: BackendKind, backend_version: &str) -> String {
    let options = &prepared.request.options;
    let mut hasher = Sha256::new();
    let mut field = |bytes: &[u8]| {
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    };
    field(&PIPELINE_VERSION.to_le_bytes());
    field(backend.as_str().as_bytes());
    field(backend_version.as_bytes());
    field(prepared.request.name.as_bytes());
    field(
        &postcard::to_stdvec(&(options.stage, &options.entry, &options.defines, options.optimization, options.prelude))
            .unwrap_or_default(),
    );
    field(prepared.full_source.as_bytes());
    for (name, text) in &prepared.includes {
        field(name.as_bytes());
        field(text.as_bytes());
    }
    hex(&hasher.finalize())
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    pub hits: u64,
    pub misses: u64,
    pub disk_hits: u64,
}

pub struct ShaderCache {
    memory: Mutex<(HashMap<String, CompiledShader>, VecDeque<String>)>,
    dir: Option<PathBuf>,
    hits: AtomicU64,
    misses: AtomicU64,
    disk_hits: AtomicU64,
}

impl ShaderCache {
    pub fn new(dir: Option<PathBuf>) -> ShaderCache {
        ShaderCache {
            memory: Mutex::new((HashMap::new(), VecDeque::new())),
            dir,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            disk_hits: AtomicU64::new(0),
        }
    }

    pub fn get(&self, key: &str) -> Option<CompiledShader> {
        if let Some(found) = self.lock().0.get(key).cloned() {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Some(found);
        }
        if let Some(found) = self.read_disk(key) {
            self.disk_hits.fetch_add(1, Ordering::Relaxed);
            self.hits.fetch_add(1, Ordering::Relaxed);
            self.remember(key, &found);
            return Some(found);
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        None
    }

    pub fn put(&self, key: &str, shader: &CompiledShader) {
        self.remember(key, shader);
        self.write_disk(key, shader);
    }

    pub fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            disk_hits: self.disk_hits.load(Ordering::Relaxed),
        }
    }

    pub fn clear_memory(&self) {
        let mut memory = self.lock();
        memory.0.clear();
        memory.1.clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (HashMap<String, CompiledShader>, VecDeque<String>)> {
        // A panic elsewhere while holding the lock leaves a map that is still valid.
        self.memory.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn remember(&self, key: &str, shader: &CompiledShader) {
        let mut memory = self.lock();
        let (map, order) = &mut *memory;
        if map.insert(key.to_owned(), shader.clone()).is_none() {
            order.push_back(key.to_owned());
        }
        while order.len() > MEMORY_ENTRIES {
            if let Some(oldest) = order.pop_front() {
                map.remove(&oldest);
            }
        }
    }

    fn read_disk(&self, key: &str) -> Option<CompiledShader> {
        let path = self.dir.as_ref()?.join(format!("{key}.shader"));
        let bytes = std::fs::read(&path).ok()?;
        match postcard::from_bytes::<CompiledShader>(&bytes) {
            Ok(shader) => Some(shader),
            Err(_) => {
                // Written by another version or truncated: recompile and overwrite.
                let _ = std::fs::remove_file(&path);
                None
            }
        }
    }

    fn write_disk(&self, key: &str, shader: &CompiledShader) {
        let Some(dir) = &self.dir else { return };
        let Ok(bytes) = postcard::to_stdvec(shader) else { return };
        // A failed cache write only costs a recompile later, so it is not an error.
        if std::fs::create_dir_all(dir).is_err() {
            return;
        }
        let tmp = dir.join(format!("{key}.{}.tmp", std::process::id()));
        if std::fs::write(&tmp, bytes).is_ok() && std::fs::rename(&tmp, dir.join(format!("{key}.shader"))).is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
    }
}
