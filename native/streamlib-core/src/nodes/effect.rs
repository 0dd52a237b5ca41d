//! An effect node shared between the frame loop and its owner (Python, the HTTP API), hot-swappable.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::gpu::{BatchError, EffectInstance, EffectPipeline, Gpu, GpuError, ParamValue};
use crate::graph::Overrun;
use crate::shader::CompiledShader;

pub struct EffectHandle {
    pub name: String,
    /// The device the pipeline lives on; a new one after the old one was lost (`rebuild_on`).
    gpu: Mutex<Arc<Gpu>>,
    instance: Mutex<EffectInstance>,
    swaps: AtomicU64,
    /// Set by the frame watchdog: the effect is bypassed (its input passes through) while this holds one.
    overrun: Mutex<Option<Overrun>>,
}

impl EffectHandle {
    pub fn new(gpu: Arc<Gpu>, name: &str, shader: Arc<CompiledShader>) -> Result<EffectHandle, GpuError> {
        let pipeline = Arc::new(EffectPipeline::new(&gpu, shader)?);
        let instance = EffectInstance::new(&gpu, pipeline)?;
        Ok(EffectHandle {
            name: name.to_owned(),
            gpu: Mutex::new(gpu),
            instance: Mutex::new(instance),
            swaps: AtomicU64::new(0),
            overrun: Mutex::new(None),
        })
    }

    pub fn lock(&self) -> MutexGuard<'_, EffectInstance> {
        self.instance.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn set(&self, name: &str, value: &ParamValue) -> Result<(), GpuError> {
        self.lock().set(name, value)
    }

    /// Sets every value or none, between two frames; the values of all parameters afterwards.
    pub fn set_all(&self, values: &[(String, ParamValue)]) -> Result<Vec<(String, Vec<f64>)>, BatchError> {
        let mut instance = self.lock();
        instance.set_all(values)?;
        Ok(instance.values())
    }

    /// Builds the new shader's pipeline on the caller's thread, then swaps it in between two frames.
    /// On failure the running shader is untouched.
    pub fn replace(&self, shader: Arc<CompiledShader>) -> Result<(), GpuError> {
        let gpu = self.gpu().current();
        let pipeline = Arc::new(EffectPipeline::new(&gpu, shader)?);
        {
            // The shader, its values and its count change together, under one lock (see `locked`).
            let mut instance = self.lock();
            *instance = instance.swapped(&gpu, pipeline)?;
            self.swaps.fetch_add(1, Ordering::Relaxed);
        }
        *self.gpu.lock().unwrap_or_else(|p| p.into_inner()) = gpu;
        // A new shader gets a new chance.
        self.resume();
        Ok(())
    }

    fn gpu(&self) -> Arc<Gpu> {
        self.gpu.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Builds the pipeline and buffers again on `gpu` unless they already live there (a device that
    /// replaced a lost one), keeping every parameter value; whether it did.
    pub fn rebuild_on(&self, gpu: &Arc<Gpu>) -> Result<bool, GpuError> {
        if Arc::ptr_eq(&self.gpu(), gpu) {
            return Ok(false);
        }
        let pipeline = Arc::new(EffectPipeline::new(gpu, self.shader())?);
        let next = self.lock().swapped(gpu, pipeline)?;
        *self.lock() = next;
        *self.gpu.lock().unwrap_or_else(|p| p.into_inner()) = gpu.clone();
        Ok(true)
    }

    /// Why the watchdog bypasses this effect, if it does.
    pub fn overrun(&self) -> Option<Overrun> {
        *self.overrun.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn bypass(&self, overrun: Overrun) {
        *self.overrun.lock().unwrap_or_else(|p| p.into_inner()) = Some(overrun);
    }

    /// Runs the effect again from the next frame (the watchdog judges it afresh).
    pub fn resume(&self) {
        *self.overrun.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// The instance with its swap count, read together: what a fused pass built for a member at one count
    /// may take from it (its parameter bytes are laid out for that shader only).
    pub fn locked(&self) -> (MutexGuard<'_, EffectInstance>, u64) {
        let instance = self.lock();
        let swaps = self.swaps();
        (instance, swaps)
    }

    pub fn swaps(&self) -> u64 {
        self.swaps.load(Ordering::Relaxed)
    }

    pub fn input_names(&self) -> Vec<String> {
        self.lock().pipeline.input_names()
    }

    pub fn shader(&self) -> Arc<CompiledShader> {
        self.lock().pipeline.shader.clone()
    }
}
