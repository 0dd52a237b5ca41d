//! Adapter enumeration and choice, and the device every GPU object of a runtime lives on.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use parking_lot::lock_api::ArcReentrantMutexGuard;
use parking_lot::{RawMutex, RawThreadId, ReentrantMutex, ReentrantMutexGuard};

use serde::{Deserialize, Serialize};

use super::GpuError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdapterDescription {
    pub name: String,
    pub backend: String,
    pub device_type: String,
    pub driver: String,
    pub driver_info: String,
}

impl AdapterDescription {
    fn of(info: &wgpu::AdapterInfo) -> AdapterDescription {
        AdapterDescription {
            name: info.name.clone(),
            backend: format!("{:?}", info.backend).to_lowercase(),
            device_type: match info.device_type {
                wgpu::DeviceType::DiscreteGpu => "discrete_gpu",
                wgpu::DeviceType::IntegratedGpu => "integrated_gpu",
                wgpu::DeviceType::VirtualGpu => "virtual_gpu",
                wgpu::DeviceType::Cpu => "cpu",
                wgpu::DeviceType::Other => "other",
            }
            .to_owned(),
            driver: info.driver.clone(),
            driver_info: info.driver_info.clone(),
        }
    }

    /// A rasteriser on the CPU (lavapipe, SwiftShader): its "GPU" work runs on the cores the frame loop,
    /// encoders and page use, so work that only moves effort onto the GPU does not pay there.
    pub fn is_cpu(&self) -> bool {
        self.device_type == "cpu"
    }
}

/// How to pick among adapters: a name substring (`STREAMLIB_ADAPTER`), else the power preference.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdapterPreference {
    pub name_contains: Option<String>,
    pub low_power: bool,
}

impl AdapterPreference {
    pub fn from_env() -> AdapterPreference {
        AdapterPreference {
            name_contains: std::env::var("STREAMLIB_ADAPTER").ok().filter(|s| !s.is_empty()),
            low_power: false,
        }
    }
}

fn instance() -> wgpu::Instance {
    quiet_wayland_probe();
    let mut descriptor = wgpu::InstanceDescriptor::new_without_display_handle_from_env();
    // Vulkan on Linux (lavapipe where there is no GPU), Metal on Apple platforms; OpenGL ES through EGL
    // (headless: Mesa's surfaceless platform, or the driver's default display) ranks after them.
    descriptor.backends = wgpu::Backends::VULKAN | wgpu::Backends::METAL | wgpu::Backends::GL;
    wgpu::Instance::new(descriptor)
}

/// Keeps Mesa's device-select layer from asking a Wayland compositor that cannot exist.
///
/// The layer (an implicit Vulkan layer of Mesa's Vulkan drivers) orders the adapter list by asking the
/// Wayland compositor which GPU drives the display whenever the instance enables `VK_KHR_wayland_surface`,
/// which wgpu always does where the extension exists. Without `XDG_RUNTIME_DIR` (servers, containers, CI)
/// libwayland-client's `wl_display_connect` then prints "error: XDG_RUNTIME_DIR is invalid or not set in the
/// environment." on each `vkEnumeratePhysicalDevices` (twice per enumeration), a red box in every notebook
/// that has nothing wrong with it. Later Mesa skips the probe when no Wayland display is configured; on
/// older Mesa (Debian 12 ships 22.3) streamlib switches the layer off (`NODEVICE_SELECT=1`, the variable its
/// manifest names for that) in exactly that case. Little is lost: the layer only decides which adapter is
/// listed first, and `Gpu::new` ranks adapters itself (`STREAMLIB_ADAPTER` chooses one by name).
fn quiet_wayland_probe() {
    #[cfg(all(unix, not(target_vendor = "apple")))]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            if wayland_probe_would_fail_loudly(|name| std::env::var_os(name)) {
                // Safe enough here although the process may have threads: this runs once, before the
                // process's first Vulkan call (so no loader or driver thread reads the environment yet), and
                // Rust's own readers are serialised with it by std's environment lock. What remains is a C
                // library calling getenv on another thread at this very moment; Python code reads its own
                // copy (os.environ), not the C environment.
                std::env::set_var("NODEVICE_SELECT", "1");
            }
        });
    }
}

/// Whether libwayland-client would fail to find a compositor and say so on stderr, and the device-select
/// layer is not wanted for its own sake (`MESA_VK_DEVICE_SELECT`, `DRI_PRIME`) nor already configured.
fn wayland_probe_would_fail_loudly(var: impl Fn(&str) -> Option<std::ffi::OsString>) -> bool {
    let set = |name: &str| var(name).is_some_and(|v| !v.is_empty());
    let absolute = |name: &str| var(name).is_some_and(|v| v.as_encoded_bytes().first() == Some(&b'/'));
    let layer_configured = set("NODEVICE_SELECT") || set("MESA_VK_DEVICE_SELECT") || set("DRI_PRIME");
    // `wl_display_connect(NULL)`: WAYLAND_SOCKET is an inherited connection; an absolute WAYLAND_DISPLAY is
    // the socket's path; anything else is looked up in XDG_RUNTIME_DIR, which must be an absolute path.
    let compositor_reachable = set("WAYLAND_SOCKET") || absolute("WAYLAND_DISPLAY") || absolute("XDG_RUNTIME_DIR");
    !layer_configured && !compositor_reachable
}

pub fn adapters() -> Vec<AdapterDescription> {
    let instance = instance();
    pollster::block_on(instance.enumerate_adapters(wgpu::Backends::all()))
        .iter()
        .map(|a| AdapterDescription::of(&a.get_info()))
        .collect()
}

/// The device and queue of one runtime, with what was chosen and why.
pub struct Gpu {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub adapter: AdapterDescription,
    pub backend: wgpu::Backend,
    /// SPIR-V / MSL handed to the driver as-is (keeps HLSL cbuffer packing, which naga rejects).
    pub passthrough: bool,
    pub max_texture_dimension: u32,
    /// Held while creating pipelines and while submitted work runs to completion. Mesa 22.3's lavapipe
    /// crashes (SIGBUS/SIGSEGV in its LLVM JIT) when one thread builds a pipeline while another's work
    /// executes — exactly a hot swap during a running graph. Pipelines are rare, so this costs little.
    /// Re-entrant: a frame loop holds it across frames in flight (`hold`) and takes it again inside.
    driver_lock: Arc<ReentrantMutex<()>>,
    /// Threads waiting for `driver_lock`: a frame loop holding it lets its frames finish and hands over.
    driver_waiters: AtomicUsize,
    preference: AdapterPreference,
    /// Why the device was lost (a driver reset, the GPU gone, `simulate_loss`), once it was.
    lost: Arc<Mutex<Option<String>>>,
    /// The first error no error scope caught, until taken. wgpu's default handler would panic instead.
    uncaptured: Arc<Mutex<Option<String>>>,
    /// The device that replaced this one after it was lost.
    successor: OnceLock<Arc<Gpu>>,
}

/// One device per adapter choice per process; a lost device's entry is replaced by its successor.
static SHARED: Mutex<Vec<(AdapterPreference, Arc<Gpu>)>> = Mutex::new(Vec::new());

/// The driver held across frames in flight (`Gpu::hold`).
pub struct DriverHold(ArcReentrantMutexGuard<RawMutex, RawThreadId, ()>);

impl DriverHold {
    /// Lets a waiting thread in before this one takes the driver again.
    pub fn hand_over(self) {
        ArcReentrantMutexGuard::unlock_fair(self.0);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl std::fmt::Debug for Gpu {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gpu").field("adapter", &self.adapter).field("passthrough", &self.passthrough).finish()
    }
}

impl Gpu {
    /// One device per adapter choice per process. Mesa's lavapipe crashes when devices are created from
    /// several threads at once, and one device is what a runtime wants anyway.
    pub fn shared(preference: &AdapterPreference) -> Result<Arc<Gpu>, GpuError> {
        let mut shared = lock(&SHARED);
        if let Some((_, gpu)) = shared.iter().find(|(p, _)| p == preference) {
            return Ok(gpu.clone());
        }
        let gpu = Gpu::new(preference)?;
        shared.push((preference.clone(), gpu.clone()));
        Ok(gpu)
    }

    pub fn new(preference: &AdapterPreference) -> Result<Arc<Gpu>, GpuError> {
        let instance = instance();
        let candidates = pollster::block_on(instance.enumerate_adapters(wgpu::Backends::all()));
        let tried: Vec<String> =
            candidates.iter().map(|a| format!("{} ({:?})", a.get_info().name, a.get_info().backend)).collect();
        let hint =
            "On Linux install a Vulkan driver (Debian: `apt-get install mesa-vulkan-drivers libvulkan1` for the CPU \
                    driver lavapipe); set STREAMLIB_ADAPTER to a name substring to choose one"
                .to_owned();
        let chosen = match &preference.name_contains {
            Some(needle) => {
                let needle = needle.to_lowercase();
                // The backend is part of what is matched: "(gl)" picks OpenGL ES, "(vulkan)" Vulkan.
                let label = |a: &wgpu::Adapter| format!("{} ({:?})", a.get_info().name, a.get_info().backend);
                candidates.into_iter().find(|a| label(a).to_lowercase().contains(&needle)).ok_or_else(|| {
                    GpuError::NoAdapter {
                        tried: format!(
                            "no adapter name contains '{needle}' (STREAMLIB_ADAPTER); found: {}",
                            list_or_none(&tried)
                        ),
                        hint: hint.clone(),
                    }
                })?
            }
            None => {
                let kind = |a: &wgpu::Adapter| match (a.get_info().device_type, preference.low_power) {
                    (wgpu::DeviceType::DiscreteGpu, false) | (wgpu::DeviceType::IntegratedGpu, true) => 0,
                    (wgpu::DeviceType::IntegratedGpu, false) | (wgpu::DeviceType::DiscreteGpu, true) => 1,
                    (wgpu::DeviceType::VirtualGpu, _) => 2,
                    (wgpu::DeviceType::Cpu, _) => 3,
                    (wgpu::DeviceType::Other, _) => 4,
                };
                // OpenGL ES only where Vulkan or Metal offers nothing of that kind: a GPU through GL still
                // ranks above a CPU driver through Vulkan.
                let rank = |a: &wgpu::Adapter| (kind(a), a.get_info().backend == wgpu::Backend::Gl);
                candidates.into_iter().min_by_key(rank).ok_or_else(|| GpuError::NoAdapter {
                    tried: format!("found none ({})", list_or_none(&tried)),
                    hint,
                })?
            }
        };
        let info = chosen.get_info();
        let mut wanted = wgpu::Features::PASSTHROUGH_SHADERS | wgpu::Features::TEXTURE_ADAPTER_SPECIFIC_FORMAT_FEATURES;
        if !passthrough_wanted(info.backend, std::env::var("STREAMLIB_GPU_PASSTHROUGH").ok().as_deref()) {
            wanted.remove(wgpu::Features::PASSTHROUGH_SHADERS);
        }
        let features = chosen.features() & wanted;
        let limits = chosen.limits();
        let descriptor = wgpu::DeviceDescriptor {
            label: Some("streamlib"),
            required_features: features,
            required_limits: limits.clone(),
            experimental_features: wgpu::ExperimentalFeatures::disabled(),
            memory_hints: wgpu::MemoryHints::Performance,
            trace: wgpu::Trace::Off,
        };
        let (device, queue) = pollster::block_on(chosen.request_device(&descriptor))
            .map_err(|e| GpuError::Device { adapter: info.name.clone(), message: e.to_string() })?;
        let lost = Arc::new(Mutex::new(None));
        let uncaptured = Arc::new(Mutex::new(None));
        {
            let lost = lost.clone();
            device.set_device_lost_callback(move |reason, message| {
                let why = if message.is_empty() { format!("{reason:?}") } else { format!("{reason:?}: {message}") };
                *lock(&lost) = Some(why);
            });
            let uncaptured = uncaptured.clone();
            device.on_uncaptured_error(Arc::new(move |error: wgpu::Error| {
                lock(&uncaptured).get_or_insert_with(|| error.to_string());
            }));
        }
        Ok(Arc::new(Gpu {
            device,
            queue,
            adapter: AdapterDescription::of(&info),
            backend: info.backend,
            passthrough: features.contains(wgpu::Features::PASSTHROUGH_SHADERS),
            max_texture_dimension: limits.max_texture_dimension_2d,
            driver_lock: Arc::new(ReentrantMutex::new(())),
            driver_waiters: AtomicUsize::new(0),
            preference: preference.clone(),
            lost,
            uncaptured,
            successor: OnceLock::new(),
        }))
    }

    /// Why the device was lost, if it was.
    pub fn lost(&self) -> Option<String> {
        lock(&self.lost).clone()
    }

    /// The first GPU error no error scope caught since the last call (a frame the device refused).
    pub fn take_uncaptured_error(&self) -> Option<String> {
        lock(&self.uncaptured).take()
    }

    /// The device to use now: this one, or the one that replaced it after it was lost.
    pub fn current(self: &Arc<Self>) -> Arc<Gpu> {
        let mut gpu = self.clone();
        while let Some(next) = gpu.successor.get().cloned() {
            gpu = next;
        }
        gpu
    }

    /// A new device for the same adapter choice, replacing this lost one for everyone: `Gpu::shared` and
    /// `current` hand it out from now on. Runtimes sharing the lost device all get the same successor.
    pub fn recreate(self: &Arc<Self>) -> Result<Arc<Gpu>, GpuError> {
        let mut shared = lock(&SHARED);
        if self.successor.get().is_some() {
            return Ok(self.current());
        }
        let fresh = Gpu::new(&self.preference)?;
        let _ = self.successor.set(fresh.clone());
        for (_, gpu) in shared.iter_mut().filter(|(_, gpu)| Arc::ptr_eq(gpu, self)) {
            *gpu = fresh.clone();
        }
        Ok(fresh)
    }

    /// Destroys the device as a driver reset or a GPU going away would lose it, for trying out recovery:
    /// every object on it stops working, and running graphs move to a new device.
    pub fn simulate_loss(&self) {
        let _exclusive = self.exclusive();
        self.device.destroy();
        // The loss is reported once the queue is empty, from a poll.
        let _ = self.device.poll(wgpu::PollType::wait_indefinitely());
    }

    /// Exclusive use of the driver; see `driver_lock`.
    pub fn exclusive(&self) -> ReentrantMutexGuard<'_, ()> {
        self.driver_waiters.fetch_add(1, Ordering::SeqCst);
        let guard = self.driver_lock.lock();
        self.driver_waiters.fetch_sub(1, Ordering::SeqCst);
        guard
    }

    /// Exclusive use of the driver for as long as the returned hold lives, across frames in flight. Its
    /// holder should `DriverHold::hand_over` once `driver_wanted` says another thread waits.
    pub fn hold(&self) -> DriverHold {
        self.driver_waiters.fetch_add(1, Ordering::SeqCst);
        let guard = self.driver_lock.lock_arc();
        self.driver_waiters.fetch_sub(1, Ordering::SeqCst);
        DriverHold(guard)
    }

    /// Whether another thread waits for the driver.
    pub fn driver_wanted(&self) -> bool {
        self.driver_waiters.load(Ordering::SeqCst) > 0
    }

    /// Waits until `submission` (and all before it) has run; later submissions may still be running.
    pub fn wait_for(&self, submission: wgpu::SubmissionIndex) -> Result<(), GpuError> {
        self.device
            .poll(wgpu::PollType::Wait { submission_index: Some(submission), timeout: None })
            .map(|_| ())
            .map_err(|e| GpuError::Operation(e.to_string()))
    }

    /// Submits and waits for completion, holding the driver exclusively; an error the device raised on the
    /// way (it was lost, or refused the work) is returned rather than panicking.
    pub fn submit_and_wait(&self, commands: wgpu::CommandBuffer) -> Result<(), GpuError> {
        let _exclusive = self.exclusive();
        self.queue.submit([commands]);
        self.wait_idle()?;
        match (self.lost(), self.take_uncaptured_error()) {
            (Some(why), _) => Err(GpuError::Operation(format!("the GPU device was lost ({why})"))),
            (None, Some(error)) => Err(GpuError::Operation(error)),
            (None, None) => Ok(()),
        }
    }

    /// Blocks until the GPU has finished all submitted work.
    pub fn wait_idle(&self) -> Result<(), super::GpuError> {
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map(|_| ())
            .map_err(|e| super::GpuError::Operation(e.to_string()))
    }
}

/// SPIR-V/MSL passthrough is opt-in (`STREAMLIB_GPU_PASSTHROUGH=1`): wgpu 30's passthrough pipelines drew
/// nothing on both Vulkan drivers measured. On an NVIDIA H200 (driver 580.159) every effect wrote no pixel,
/// while the same SPIR-V through naga matched the references (`benches/gpu_machine.sh`, 2026-12-04); on
/// Mesa 22.3's lavapipe they crashed the process (SIGBUS/SIGSEGV) or wrote nothing in about half of runs.
/// Metal's MSL passthrough has not been measured, so it follows the same rule.
fn passthrough_wanted(backend: wgpu::Backend, setting: Option<&str>) -> bool {
    // Passthrough hands over SPIR-V or MSL; an OpenGL ES device takes neither, and naga writes its GLSL.
    matches!(backend, wgpu::Backend::Vulkan | wgpu::Backend::Metal) && setting == Some("1")
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        items.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::{passthrough_wanted, wayland_probe_would_fail_loudly};

    #[test]
    fn passthrough_is_asked_for_only_when_opted_into_on_a_backend_that_takes_it() {
        for backend in [wgpu::Backend::Vulkan, wgpu::Backend::Metal] {
            assert!(!passthrough_wanted(backend, None));
            assert!(!passthrough_wanted(backend, Some("0")));
            assert!(passthrough_wanted(backend, Some("1")));
        }
        assert!(!passthrough_wanted(wgpu::Backend::Gl, Some("1")));
    }

    fn with(vars: &[(&str, &str)]) -> bool {
        wayland_probe_would_fail_loudly(|name| vars.iter().find(|(n, _)| *n == name).map(|(_, v)| v.into()))
    }

    #[test]
    fn the_layer_is_switched_off_only_where_libwayland_would_complain() {
        // A server, container or CI job: nothing set.
        assert!(with(&[]));
        assert!(with(&[("XDG_RUNTIME_DIR", "")]));
        assert!(with(&[("XDG_RUNTIME_DIR", "run/user/0"), ("DISPLAY", ":0")]));
        assert!(with(&[("WAYLAND_DISPLAY", "wayland-0")]));
        // A desktop session (the probe finds the compositor, or quietly finds no socket).
        assert!(!with(&[("XDG_RUNTIME_DIR", "/run/user/1000")]));
        assert!(!with(&[("WAYLAND_DISPLAY", "/run/user/1000/wayland-0")]));
        assert!(!with(&[("WAYLAND_SOCKET", "3")]));
        // Whoever configures the layer keeps it.
        assert!(!with(&[("NODEVICE_SELECT", "1")]));
        assert!(!with(&[("MESA_VK_DEVICE_SELECT", "1002:687f")]));
        assert!(!with(&[("DRI_PRIME", "1")]));
    }
}
