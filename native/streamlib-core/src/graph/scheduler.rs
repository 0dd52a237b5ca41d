//! The frame loop: its own thread; each frame's sources, effects and readbacks go out in one submission.
//! Up to two frames are in flight: the loop records and submits frame N+1 (fetching its sources first)
//! while the GPU runs frame N, then reads N back and delivers it. Nothing on the loop waits for the GPU
//! except that bound — and a loop about to wait for a camera, sleep to its rate, or let another thread
//! build a pipeline first finishes what is in flight, so overlap never adds a frame of latency there.

use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::fusion::{self, Fusion, GroupReport, Replanner};
use super::watchdog::{budget_ms, Overrun, Watchdog};
use super::{Graph, GraphError, NodeId, NodeKind, SourceKind, VIDEO};
use crate::gpu::device::DriverHold;
use crate::gpu::scale::{fit, Scaler};
use crate::gpu::texture::Readback;
use crate::gpu::{AdapterDescription, FrameValues, Gpu, GpuTexture, TextureFormat};
use crate::nodes::frames::Frame;
use crate::nodes::sinks::OpenSink;
use crate::nodes::video::VideoReader;
use crate::nodes::{EffectHandle, PushSlot, TestPattern};
use crate::shader::Compiler;
use crate::webrtc::link::{Link, LinkReport};
use crate::webrtc::player;

#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Stop after this many frames (None: until stopped).
    pub frames: Option<u64>,
    /// Pace frames to this rate (None: as fast as the GPU goes).
    pub fps: Option<f64>,
    /// The frame watchdog's pass-time budget (None: `watchdog::budget_ms`'s default for the rate).
    pub watchdog_ms: Option<f64>,
    /// Draw chains of effects as single passes, compiled with this (None: every effect on its own).
    pub fusion: Option<Fusion>,
    /// Frames the GPU may be working on while the loop records the next: 2 overlaps them, 1 runs each
    /// frame to delivery before starting the next (None: `default_frames_in_flight` for the adapter).
    pub frames_in_flight: Option<u32>,
}

/// A number of frames in flight a caller asked for, as `RunOptions::frames_in_flight` takes it: 1 or 2.
pub fn frames_in_flight(asked: i64) -> Result<u32, GraphError> {
    match asked {
        1 | 2 => Ok(asked as u32),
        _ => Err(GraphError(format!("frames_in_flight: expected 1 or 2, got {asked}"))),
    }
}

/// Two frames in flight on a GPU; one on a CPU adapter, where the "GPU" is threads on the cores the loop
/// runs on and there is nothing to overlap with: measured on lavapipe (2 cores, graph_bench, three runs),
/// two in flight ran at 0.77–1.28× one per round, with no consistent gain (benches/README.md).
pub fn default_frames_in_flight(adapter: &AdapterDescription) -> u32 {
    if adapter.is_cpu() {
        1
    } else {
        2
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stats {
    pub running: bool,
    pub frames: u64,
    pub elapsed_s: f64,
    pub fps: f64,
    pub frame_ms_p50: f64,
    pub frame_ms_p99: f64,
    /// CPU time the loop's own thread spends per frame, over the run so far (µs):
    /// recording, submitting, delivering, and the kernel's part of waking the driver and waiting for it; not
    /// the driver's drawing on its own threads. 0 where the platform cannot tell.
    pub loop_cpu_us: f64,
    /// The user-space part of `loop_cpu_us`: the loop's and wgpu's own instructions.
    pub loop_user_cpu_us: f64,
    /// Frames each sink did not receive (previews nobody read fast enough).
    pub dropped: BTreeMap<String, u64>,
    pub adapter: String,
    pub error: Option<String>,
    pub ended: Option<String>,
    /// The watchdog's budget for one pass.
    pub watchdog_ms: f64,
    /// Effects the watchdog bypasses, by node name.
    pub bypassed: BTreeMap<String, Overrun>,
    /// Times the GPU device was lost during the run and recreated, with the run carrying on.
    pub device_recoveries: u64,
    /// What the last recovery said: when the device was lost, why, and what was rebuilt.
    pub device_lost: Option<String>,
    /// WHEP sources and WHIP sinks by node name: their endpoint, whether frames flow, reconnects.
    pub remote: BTreeMap<String, LinkReport>,
    /// The groups of effects drawn as one pass each, in graph order, and their state.
    pub fusion: Vec<GroupReport>,
    /// Frames the GPU may work on while the loop records the next (the option, or the adapter's default).
    pub frames_in_flight: u32,
    /// Effects drawn on their own with fusion on, by node name, and why.
    pub unfused: BTreeMap<String, String>,
    /// Frames video and push sources (camera, video file, WHIP, WHEP) copied to the GPU. A source only sinks
    /// read at full size copies none: they get its frames as they came.
    pub uploads: u64,
}

/// Mouse position in pixels and buttons, set by a preview and read by every effect as `mouse`.
pub type Mouse = Arc<Mutex<[f32; 4]>>;

enum Step {
    Pattern {
        pattern: TestPattern,
        texture: GpuTexture,
    },
    Still {
        texture: GpuTexture,
        pixels: Arc<Vec<u8>>,
    },
    Video {
        reader: VideoReader,
        texture: GpuTexture,
        path: PathBuf,
        looping: bool,
        taken: Taken,
    },
    Push {
        slot: Arc<PushSlot>,
        texture: GpuTexture,
        fallback: Option<TestPattern>,
        origin: Origin,
        taken: Taken,
    },
    Effect {
        name: String,
        handle: Arc<EffectHandle>,
        inputs: BTreeMap<String, usize>,
        texture: GpuTexture,
    },
    /// `spare`: staging buffers no frame in flight uses, kept for the next readback of the same size.
    Sink {
        name: String,
        input: usize,
        spare: Vec<Readback>,
        sink: OpenSink,
        scaled: Option<Scaled>,
    },
}

/// The last frame a video or push source took.
#[derive(Default)]
struct Taken {
    /// Its pixels as the source gave them: a sink fed by the source directly gets them instead of a readback
    /// of the texture (the same picture, when the texture has it).
    pixels: Option<Arc<Vec<u8>>>,
    /// The pixels did not go to the texture, which nothing read: it holds an older picture.
    stale: bool,
}

impl Taken {
    /// Keeps `frame`, uploading it where something reads the texture (or where it does not fit the texture,
    /// which the upload reports). True when it was uploaded.
    fn keep(&mut self, gpu: &Gpu, texture: &GpuTexture, frame: Vec<u8>, read: bool) -> Result<bool, String> {
        let upload = read || frame.len() != texture.width as usize * texture.height as usize * 4;
        if upload {
            texture.upload(gpu, &frame).map_err(|e| e.to_string())?;
        }
        self.stale = !upload;
        self.pixels = Some(Arc::new(frame));
        Ok(upload)
    }

    /// Brings the texture up to the kept frame, now that something reads it. True when it uploaded.
    fn freshen(&mut self, gpu: &Gpu, texture: &GpuTexture) -> Result<bool, String> {
        match self.pixels.as_ref().filter(|_| self.stale) {
            Some(pixels) => {
                texture.upload(gpu, pixels).map_err(|e| e.to_string())?;
                self.stale = false;
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

/// Which steps' textures another step reads this frame: an effect's inputs, and a sink's that scales them
/// (one fed at full size takes the source's frames as they came).
fn texture_readers(steps: &[Step]) -> Vec<bool> {
    let mut read = vec![false; steps.len()];
    for step in steps {
        match step {
            Step::Effect { inputs, .. } => inputs.values().for_each(|&at| read[at] = true),
            Step::Sink { input, scaled: Some(_), .. } => read[*input] = true,
            _ => {}
        }
    }
    read
}

/// Whether a sink fed by step `at` has a use for its frames now.
fn sinks_want(steps: &[Step], at: usize) -> bool {
    steps.iter().any(|s| matches!(s, Step::Sink { input, sink, .. } if *input == at && sink.wants_pixels()))
}

/// Who fills a push step's slot.
enum Origin {
    /// The host: Python, the browser camera.
    Local,
    /// A WHEP source's player, with its node's name; it plays into the slot while the run lasts.
    Whep(String, Link),
    /// The server's WHIP ingest sessions.
    Whip,
}

/// A fused group's member steps (in order; the last one's texture takes the pass's output), the step
/// feeding the first, and whether the fused pass draws this frame.
struct Fused {
    group: fusion::Group,
    steps: Vec<usize>,
    input: usize,
    active: bool,
}

/// What re-planning the fused groups while the graph runs needs: the planner, and where each effect's step and
/// the step feeding it are.
struct Replan {
    planner: Replanner,
    step_of: BTreeMap<NodeId, usize>,
    input_of: BTreeMap<NodeId, usize>,
    compiler: Arc<Compiler>,
}

impl Replan {
    /// The groups of `plan`: one whose members were a group already keeps it (and its pass); a new one is built
    /// now when `gpu` is given (the start may wait for it), otherwise on its own thread while its members run
    /// unfused.
    fn groups(&self, plan: &[Vec<NodeId>], mut old: Vec<Fused>, gpu: Option<&Arc<Gpu>>) -> Vec<Fused> {
        let mut groups = Vec::new();
        for members in plan {
            let Some(&input) = members.first().and_then(|id| self.input_of.get(id)) else { continue };
            let steps: Vec<usize> = members.iter().filter_map(|id| self.step_of.get(id).copied()).collect();
            let kept = old.iter().position(|f| f.steps == steps).map(|i| old.swap_remove(i));
            let group = match (kept, gpu) {
                (Some(f), _) => f.group,
                (None, Some(gpu)) => fusion::Group::new(self.planner.members(members), self.compiler.clone(), gpu),
                (None, None) => fusion::Group::deferred(self.planner.members(members), self.compiler.clone()),
            };
            groups.push(Fused { group, steps, input, active: false });
        }
        groups
    }

    /// New groups, and why each other effect is drawn alone, when a swap changed how an effect reads.
    fn after_swaps(&mut self, fused: &mut Vec<Fused>) -> Option<(Vec<Fused>, BTreeMap<String, String>)> {
        let plan = self.planner.replan()?;
        Some((self.groups(&plan.groups, std::mem::take(fused), None), plan.alone))
    }
}

/// A preview's frame scaled down on the GPU to the size the page shows it at, read back at that size.
struct Scaled {
    scaler: Scaler,
    texture: GpuTexture,
}

/// A frame submitted and not yet delivered: the readbacks it copies into, by sink step, in step order.
struct InFlight {
    index: u64,
    started: Instant,
    submitted: Instant,
    submission: wgpu::SubmissionIndex,
    readbacks: Vec<(usize, Readback)>,
    /// Frames for sinks fed straight by a source: its pixels as uploaded, needing nothing from the GPU.
    uploaded: Vec<(usize, Frame)>,
}

impl Step {
    fn texture(&self) -> Option<&GpuTexture> {
        match self {
            Step::Pattern { texture, .. }
            | Step::Still { texture, .. }
            | Step::Video { texture, .. }
            | Step::Push { texture, .. }
            | Step::Effect { texture, .. } => Some(texture),
            Step::Sink { .. } => None,
        }
    }

    /// The pixels of the last frame a video or push source took.
    fn pixels(&self) -> Option<&Arc<Vec<u8>>> {
        match self {
            Step::Video { taken, .. } | Step::Push { taken, .. } => taken.pixels.as_ref(),
            _ => None,
        }
    }
}

pub struct Running {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    stats: Arc<Mutex<Stats>>,
    /// The graph's effects by node name: their bypass is read when stats are asked for, so stats agree
    /// with `effect.bypassed` even while the frame that bypassed one is still being delivered.
    effects: Vec<(String, Arc<EffectHandle>)>,
}

impl Running {
    pub fn stats(&self) -> Stats {
        let mut stats = self.stats.lock().unwrap_or_else(|p| p.into_inner()).clone();
        stats.bypassed =
            self.effects.iter().filter_map(|(name, handle)| Some((name.clone(), handle.overrun()?))).collect();
        stats
    }

    pub fn is_running(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }

    /// Asks the loop to stop after the current frame and waits for it (files are finished).
    pub fn stop(&mut self) -> Stats {
        self.stop.store(true, Ordering::SeqCst);
        self.join()
    }

    /// Waits for the loop to end on its own (frame count reached, video ended, or an error).
    pub fn join(&mut self) -> Stats {
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() {
                self.stats.lock().unwrap_or_else(|p| p.into_inner()).error = Some("the frame loop panicked".to_owned());
            }
        }
        let mut stats = self.stats();
        stats.running = false;
        stats
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = self.join();
    }
}

/// Builds the frame plan from `graph` and starts the loop on its own thread.
pub fn start(gpu: Arc<Gpu>, graph: &Graph, options: RunOptions, mouse: Mouse) -> Result<Running, GraphError> {
    if let Some(n) = options.frames_in_flight {
        frames_in_flight(i64::from(n))?;
    }
    // A device lost since the graph was built has a successor, and the effects move to it now.
    let mut gpu = gpu.current();
    let in_flight = options.frames_in_flight.unwrap_or_else(|| default_frames_in_flight(&gpu.adapter));
    let options = RunOptions { frames_in_flight: Some(in_flight), ..options };
    let order = graph.plan_order()?;
    let planned = options.fusion.as_ref().map(|_| Replanner::new(graph, &order));
    let mut steps: Vec<Step> = Vec::new();
    let mut step_of: BTreeMap<usize, usize> = BTreeMap::new();
    let gpu_err = |e: crate::gpu::GpuError| GraphError(e.to_string());
    for &id in &order {
        let node = &graph.nodes[id];
        let input_step = |port: &str| -> Option<usize> {
            graph.edges.iter().find(|e| e.to == id && e.to_port == port).and_then(|e| step_of.get(&e.from).copied())
        };
        let step = match &node.kind {
            NodeKind::Source { kind, width, height } => {
                let texture =
                    GpuTexture::new(&gpu, *width, *height, TextureFormat::Rgba8Unorm, &node.name).map_err(gpu_err)?;
                match kind {
                    SourceKind::TestPattern => {
                        Step::Pattern { pattern: TestPattern::new(&gpu).map_err(gpu_err)?, texture }
                    }
                    SourceKind::Image { pixels } => {
                        texture.upload(&gpu, pixels).map_err(gpu_err)?;
                        Step::Still { texture, pixels: pixels.clone() }
                    }
                    SourceKind::VideoFile { path, looping } => {
                        let reader = VideoReader::open(path, Some((*width, *height)))
                            .map_err(|e| GraphError(format!("source '{}': {e}", node.name)))?;
                        Step::Video { reader, texture, path: path.clone(), looping: *looping, taken: Taken::default() }
                    }
                    SourceKind::Push { slot, fallback } => {
                        let fallback = if *fallback { Some(TestPattern::new(&gpu).map_err(gpu_err)?) } else { None };
                        Step::Push {
                            slot: slot.clone(),
                            texture,
                            fallback,
                            origin: Origin::Local,
                            taken: Taken::default(),
                        }
                    }
                    SourceKind::Whep { slot, remote, relay } => {
                        let player = player::start(&remote.url, remote.token.as_deref(), slot.clone(), relay.clone());
                        let fallback = Some(TestPattern::new(&gpu).map_err(gpu_err)?);
                        let origin = Origin::Whep(node.name.clone(), player);
                        Step::Push { slot: slot.clone(), texture, fallback, origin, taken: Taken::default() }
                    }
                    SourceKind::Whip { slot, .. } => {
                        let fallback = Some(TestPattern::new(&gpu).map_err(gpu_err)?);
                        Step::Push {
                            slot: slot.clone(),
                            texture,
                            fallback,
                            origin: Origin::Whip,
                            taken: Taken::default(),
                        }
                    }
                }
            }
            NodeKind::Effect(handle) => {
                let main = input_step(VIDEO)
                    .ok_or_else(|| GraphError(format!("missing input: '{}.video' is not connected", node.name)))?;
                let (width, height) = steps[main]
                    .texture()
                    .map(|t| (t.width, t.height))
                    .ok_or_else(|| GraphError(format!("'{}' is fed by a sink", node.name)))?;
                let mut inputs = BTreeMap::new();
                for edge in graph.edges.iter().filter(|e| e.to == id) {
                    if let Some(step) = step_of.get(&edge.from) {
                        inputs.insert(edge.to_port.clone(), *step);
                    }
                }
                handle.rebuild_on(&gpu).map_err(gpu_err)?;
                let format = handle.lock().pipeline.output_format();
                let texture = GpuTexture::new(&gpu, width, height, format, &node.name).map_err(gpu_err)?;
                Step::Effect { name: node.name.clone(), handle: handle.clone(), inputs, texture }
            }
            NodeKind::Sink(kind) => {
                let input = input_step(VIDEO)
                    .ok_or_else(|| GraphError(format!("missing input: '{}.video' is not connected", node.name)))?;
                let texture =
                    steps[input].texture().ok_or_else(|| GraphError(format!("'{}' is fed by a sink", node.name)))?;
                let spare = vec![Readback::new(&gpu, texture)];
                let sink = OpenSink::open(kind, texture.width, texture.height)
                    .map_err(|e| GraphError(format!("sink '{}': {e}", node.name)))?;
                Step::Sink { name: node.name.clone(), input, spare, sink, scaled: None }
            }
        };
        step_of.insert(id, steps.len());
        steps.push(step);
    }

    let mut fused = Vec::new();
    let mut unfused = BTreeMap::new();
    let mut replan = None;
    if let (Some((planner, plan)), Some(Fusion(compiler))) = (planned, &options.fusion) {
        let input_of = graph
            .edges
            .iter()
            .filter(|e| e.to_port == VIDEO && matches!(graph.nodes[e.to].kind, NodeKind::Effect(_)))
            .filter_map(|e| Some((e.to, *step_of.get(&e.from)?)))
            .collect();
        let state = Replan { planner, step_of, input_of, compiler: compiler.clone() };
        fused = state.groups(&plan.groups, Vec::new(), Some(&gpu));
        unfused = plan.alone;
        replan = Some(state);
    }

    let effects = steps
        .iter()
        .filter_map(|s| match s {
            Step::Effect { name, handle, .. } => Some((name.clone(), handle.clone())),
            _ => None,
        })
        .collect();
    let stop = Arc::new(AtomicBool::new(false));
    let stats = Arc::new(Mutex::new(Stats {
        running: true,
        adapter: gpu.adapter.name.clone(),
        watchdog_ms: budget_ms(options.fps, options.watchdog_ms),
        frames_in_flight: in_flight,
        fusion: fused.iter().map(|f| f.group.report()).collect(),
        unfused,
        ..Stats::default()
    }));
    let thread = {
        let (stop, stats) = (stop.clone(), stats.clone());
        std::thread::Builder::new()
            .name("streamlib-frame-loop".into())
            .spawn(move || {
                let run = Run { options: &options, stop: &stop, stats: &stats, mouse: &mouse };
                let outcome = frame_loop(&mut gpu, &mut steps, &mut fused, replan, &run);
                let finished = finish_sinks(&mut steps);
                let mut stats = stats.lock().unwrap_or_else(|p| p.into_inner());
                stats.running = false;
                if let Err(error) = outcome.and(finished) {
                    stats.error = Some(error);
                }
            })
            .map_err(|e| GraphError(format!("cannot start the frame loop: {e}")))?
    };
    Ok(Running { stop, thread: Some(thread), stats, effects })
}

/// What a frame loop runs under: its options, and what it shares with the `Running` handle.
struct Run<'a> {
    options: &'a RunOptions,
    stop: &'a AtomicBool,
    stats: &'a Mutex<Stats>,
    mouse: &'a Mouse,
}

fn frame_loop(
    gpu: &mut Arc<Gpu>,
    steps: &mut [Step],
    fused: &mut Vec<Fused>,
    mut replan: Option<Replan>,
    run: &Run,
) -> Result<(), String> {
    let Run { options, stop, stats, mouse } = *run;
    let mut progress = Progress::new(budget_ms(options.fps, options.watchdog_ms));
    let nominal_fps = options.fps.unwrap_or(30.0);
    // A run of a set number of frames renders them at its own rate: waiting for a camera could never end.
    let follow_camera = options.frames.is_none() && follows_camera(steps);
    // A graph fed only by a remote stream shows each frame as it arrives, waiting a few frame times for it.
    let remote_wait = (options.frames.is_none() && !follow_camera && follows_remote(steps))
        .then(|| Duration::from_secs_f64(REMOTE_WAIT_FRAMES / nominal_fps));
    // A graph following no stream, whose only sinks are previews paced by their readers, makes frames only
    // when a reader asks for one, at most at its rate: frames a page cannot show cost nothing.
    let own_pace = options.frames.is_none() && !follow_camera && remote_wait.is_none();
    // `start` has settled the number.
    let overlap = options.frames_in_flight.is_some_and(|n| n >= 2);
    let mut in_flight: Option<InFlight> = None;
    let mut hold: Option<DriverHold> = None;
    let mut index: u64 = 0;
    loop {
        if stop.load(Ordering::SeqCst) || options.frames.is_some_and(|n| index >= n) {
            if let Some(frame) = in_flight.take() {
                progress.complete(gpu, steps, frame)?;
            }
            progress.update_stats(stats, steps, fused, true);
            return Ok(());
        }
        let asks = crate::nodes::frames::reader_asks();
        let reader_paced = own_pace && reader_paced(steps);
        if reader_paced && !reader_waiting(steps) {
            // Nobody would see a frame made now: show what is in flight and wait for a reader to ask.
            progress.complete_and_report(gpu, steps, fused, in_flight.take(), stats)?;
            if let Some(hold) = hold.take() {
                hold.hand_over();
            }
            crate::nodes::frames::wait_for_reader(asks, Duration::from_millis(50));
            continue;
        }
        // A wait for a camera or a remote frame, or another thread's pipeline, comes with nothing in flight.
        if in_flight.is_some()
            && (follow_camera || remote_wait.is_some() || gpu.driver_wanted() || previews_to_refit(gpu, steps))
        {
            progress.complete_and_report(gpu, steps, fused, in_flight.take(), stats)?;
        }
        if in_flight.is_none() {
            if let Some(hold) = hold.take() {
                hold.hand_over();
            }
        }
        if let Some((groups, alone)) = replan.as_mut().and_then(|r| r.after_swaps(fused)) {
            *fused = groups;
            stats.lock().unwrap_or_else(|p| p.into_inner()).unfused = alone;
        }
        for f in fused.iter_mut() {
            f.active = f.group.refresh(gpu);
        }
        let values = FrameValues {
            time: (index as f64 / nominal_fps) as f32,
            frame: index as u32,
            resolution: [0.0; 2],
            mouse: *mouse.lock().unwrap_or_else(|p| p.into_inner()),
        };
        let started = Instant::now();
        // Previews are fitted first: one that starts scaling reads its source's texture this very frame.
        let outcome = match fit_previews(gpu, steps)
            .and_then(|()| fetch_source_frames(gpu, steps, stop, (follow_camera, remote_wait), &mut progress.uploads))
        {
            Ok(Some(reason)) => Ok(Outcome::SourcesEnded(reason)),
            Ok(None) => {
                hold.get_or_insert_with(|| gpu.hold());
                render(gpu, steps, fused, &mut progress.watchdog, &values, options, index).and_then(|submission| {
                    let frame = InFlight {
                        index,
                        started,
                        submitted: Instant::now(),
                        submission: submission.0,
                        readbacks: submission.1,
                        uploaded: submission.2,
                    };
                    match in_flight.replace(frame) {
                        Some(previous) => progress.complete(gpu, steps, previous),
                        None => Ok(()),
                    }
                    .map(|()| Outcome::Shown)
                })
            }
            Err(error) => Err(error),
        };
        // A lost device fails whatever was under way; the frames are dropped and the run moves to a new one.
        if let Some(why) = gpu.lost() {
            in_flight = None;
            drop(hold.take());
            let note = recover(gpu, steps, &why, index)?;
            let mut stats = stats.lock().unwrap_or_else(|p| p.into_inner());
            stats.device_recoveries += 1;
            stats.device_lost = Some(note);
            continue;
        }
        if let Some(error) = gpu.take_uncaptured_error() {
            return Err(format!("the GPU refused frame {index}: {error}"));
        }
        match outcome? {
            Outcome::Shown => index += 1,
            // Frames the file sources have no more of end the run cleanly.
            Outcome::SourcesEnded(reason) => {
                if let Some(frame) = in_flight.take() {
                    progress.complete(gpu, steps, frame)?;
                }
                progress.update_stats(stats, steps, fused, true);
                stats.lock().unwrap_or_else(|p| p.into_inner()).ended = Some(reason);
                return Ok(());
            }
        }
        if !overlap {
            progress.complete_and_report(gpu, steps, fused, in_flight.take(), stats)?;
        } else {
            progress.update_stats(stats, steps, fused, false);
        }
        // A camera the loop follows paces it: sleeping to the loop's own rate would only hold its next frame.
        let camera_paced = follow_camera
            && steps.iter().any(|s| matches!(s, Step::Push { slot, origin: Origin::Local, .. } if slot.pushed() > 0));
        // So does a remote stream once it flows: the wait for its next frame was the pause.
        let remote_paced = remote_wait.is_some()
            && steps.iter().any(|s| matches!(s, Step::Push { slot, .. } if is_remote(s) && slot.pushed() > 0));
        if let Some(fps) = options.fps.filter(|_| !camera_paced && !remote_paced) {
            // Frames made on demand keep the rate from each other: after a pause there is no backlog to catch up.
            let due = if reader_paced {
                started + Duration::from_secs_f64(1.0 / fps)
            } else {
                progress.started + Duration::from_secs_f64(index as f64 / fps)
            };
            if due > Instant::now() {
                // Ahead of the rate, the frame in flight is shown now rather than after the pause.
                progress.complete_and_report(gpu, steps, fused, in_flight.take(), stats)?;
                if let Some(hold) = hold.take() {
                    hold.hand_over();
                }
                if let Some(wait) = due.checked_duration_since(Instant::now()) {
                    std::thread::sleep(wait);
                }
            }
        }
    }
}

/// What the loop keeps about frames it has delivered: their times, the watchdog, its CPU.
struct Progress {
    started: Instant,
    watchdog: Watchdog,
    delivered: u64,
    /// Frames video and push sources copied to the GPU.
    uploads: u64,
    frame_times: VecDeque<f64>,
    completed: VecDeque<Instant>,
    /// When the last frame's work was seen done: the next frame's GPU time starts no earlier.
    last_done: Option<Instant>,
    cpu: LoopCpu,
    last_full_stats: Option<Instant>,
}

impl Progress {
    fn new(budget_ms: f64) -> Progress {
        Progress {
            started: Instant::now(),
            watchdog: Watchdog::new(budget_ms),
            delivered: 0,
            uploads: 0,
            frame_times: VecDeque::with_capacity(1024),
            completed: VecDeque::with_capacity(64),
            last_done: None,
            cpu: LoopCpu::default(),
            last_full_stats: None,
        }
    }

    /// Waits for `frame`, delivers it to its sinks and counts it. Its GPU time runs from its submission (or
    /// the end of the frame before, if later) to when the loop saw it done, which with a frame recorded in
    /// between can be late by that recording: the watchdog's budget is seconds, far above it.
    fn complete(&mut self, gpu: &Gpu, steps: &mut [Step], frame: InFlight) -> Result<(), String> {
        let InFlight { index, started, submitted, submission, readbacks, uploaded } = frame;
        // Frames complete in order, so each sink's frames stay in order whichever way they come.
        for (at, frame) in uploaded {
            if let Some(Step::Sink { name, sink, .. }) = steps.get_mut(at) {
                sink.deliver(frame).map_err(|e| format!("sink '{name}': {e}"))?;
            }
        }
        gpu.wait_for(submission.clone()).map_err(|e| e.to_string())?;
        let gpu_done = Instant::now();
        let gpu_from = self.last_done.map_or(submitted, |last| last.max(submitted));
        self.watchdog.frame_done(gpu_done.duration_since(gpu_from).as_secs_f64() * 1e3);
        self.last_done = Some(gpu_done);
        deliver(gpu, steps, readbacks, &submission, index)?;
        let done = Instant::now();
        if self.frame_times.len() == 1024 {
            self.frame_times.pop_front();
        }
        self.frame_times.push_back(done.duration_since(started).as_secs_f64() * 1e3);
        if self.completed.len() == 64 {
            self.completed.pop_front();
        }
        self.completed.push_back(done);
        self.delivered += 1;
        Ok(())
    }

    fn complete_and_report(
        &mut self,
        gpu: &Gpu,
        steps: &mut [Step],
        fused: &[Fused],
        frame: Option<InFlight>,
        stats: &Mutex<Stats>,
    ) -> Result<(), String> {
        if let Some(frame) = frame {
            self.complete(gpu, steps, frame)?;
        }
        self.update_stats(stats, steps, fused, false);
        Ok(())
    }

    /// Publishes the counts; the figures that take sorting (`full`, or when due) a few times a second.
    fn update_stats(&mut self, stats: &Mutex<Stats>, steps: &[Step], fused: &[Fused], full: bool) {
        let full = full || self.last_full_stats.is_none_or(|at: Instant| at.elapsed() >= FULL_STATS_EVERY);
        if full {
            self.last_full_stats = Some(Instant::now());
        }
        let figures = (&self.frame_times, &mut self.cpu, full);
        update_stats(stats, steps, fused, figures, &self.completed, (self.delivered, self.uploads), self.started);
    }
}

/// What `render` made of a frame: its submission, readbacks and uploaded frames by sink step.
type Rendered = (wgpu::SubmissionIndex, Vec<(usize, Readback)>, Vec<(usize, Frame)>);

enum Outcome {
    Shown,
    SourcesEnded(String),
}

/// Encodes and submits one frame: every source, effect and sink readback in one submission (one per effect
/// while the watchdog probes). The submission, the readbacks of the sinks that want the frame, and the
/// frames of those fed straight by a source that uploaded one (no readback: its pixels are the frame).
fn render(
    gpu: &Gpu,
    steps: &mut [Step],
    fused: &mut [Fused],
    watchdog: &mut Watchdog,
    values: &FrameValues,
    options: &RunOptions,
    index: u64,
) -> Result<Rendered, String> {
    let probing = watchdog.probing();
    let _exclusive = gpu.exclusive();
    let mut encoder = gpu.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("frame") });
    let mut readbacks = Vec::new();
    let mut uploaded = Vec::new();
    for at in 0..steps.len() {
        let (before, rest) = steps.split_at_mut(at);
        let before = &*before;
        match &mut rest[0] {
            Step::Pattern { pattern, texture } => pattern.encode(gpu, &mut encoder, texture, index),
            Step::Effect { texture, .. } if fused.iter().any(|f| f.active && f.steps.contains(&at)) => {
                let Some(f) = fused.iter_mut().find(|f| f.active && f.steps.last() == Some(&at)) else {
                    continue; // drawn by its group's pass
                };
                let Some(input) = before.get(f.input).and_then(Step::texture) else { continue };
                if probing {
                    flush(gpu, &mut encoder)?;
                }
                f.group.encode(gpu, &mut encoder, input, texture, values).map_err(|e| e.to_string())?;
                if probing && watchdog.judge(flush(gpu, &mut encoder)?, index).is_some() {
                    f.group.overran();
                }
            }
            Step::Effect { handle, inputs, texture, .. } => {
                let main = inputs.get(VIDEO).copied();
                if handle.overrun().is_some() {
                    pass_through(&mut encoder, main.and_then(|s| before.get(s)).and_then(Step::texture), texture);
                    continue;
                }
                if probing {
                    flush(gpu, &mut encoder)?;
                }
                let effect = handle.lock();
                let names = effect.pipeline.input_names();
                let mut textures: Vec<&GpuTexture> = Vec::new();
                for (i, name) in names.iter().enumerate() {
                    let step = if i == 0 { main } else { inputs.get(name).copied().or(main) };
                    if let Some(t) = step.and_then(|s| before.get(s)).and_then(Step::texture) {
                        textures.push(t);
                    }
                }
                effect.encode(gpu, &mut encoder, &textures, texture, values).map_err(|e| e.to_string())?;
                if probing {
                    if let Some(overrun) = watchdog.judge(flush(gpu, &mut encoder)?, index) {
                        handle.bypass(overrun);
                    }
                }
            }
            Step::Sink { input, spare, sink, scaled, .. } => {
                // A counted run's last frame always reaches the preview: it is what stays on screen.
                let last = options.frames.is_some_and(|n| index + 1 == n);
                let Some(source) = before.get(*input) else { continue };
                let Some(texture) = source.texture() else { continue };
                if !sink.wants_frame(last) {
                    sink.skipped();
                    continue;
                }
                let (width, height) = (texture.width, texture.height);
                let fits = |p: &&Arc<Vec<u8>>| p.len() == width as usize * height as usize * 4;
                if let Some(pixels) = source.pixels().filter(fits).filter(|_| scaled.is_none()) {
                    uploaded.push((at, Frame { index, width, height, pixels: pixels.clone() }));
                    continue;
                }
                let copied = match scaled {
                    Some(scaled) => {
                        scaled.scaler.encode(gpu, &mut encoder, texture, &scaled.texture);
                        &scaled.texture
                    }
                    None => texture,
                };
                // The frame before may still be in flight with its own buffer, which is not among the spares.
                spare.retain(|r| r.fits(copied));
                let readback = spare.pop().unwrap_or_else(|| Readback::new(gpu, copied));
                readback.encode_copy(&mut encoder, copied);
                readbacks.push((at, readback));
            }
            // A camera that has sent nothing yet shows the test pattern (headless runs, no device).
            Step::Push { slot, texture, fallback: Some(pattern), .. } if slot.pushed() == 0 => {
                pattern.encode(gpu, &mut encoder, texture, index)
            }
            Step::Still { .. } | Step::Video { .. } | Step::Push { .. } => {}
        }
    }
    Ok((gpu.queue.submit([encoder.finish()]), readbacks, uploaded))
}

/// Moves the run to a new device after `gpu` was lost: the device, the effects' pipelines and buffers (with
/// their values), the test patterns and every texture and readback of the plan are made anew, and a still
/// image uploaded again; sinks, video readers and push slots carry on. What happened, in a sentence.
fn recover(gpu: &mut Arc<Gpu>, steps: &mut [Step], why: &str, frame: u64) -> Result<String, String> {
    let started = Instant::now();
    let failed = |e: crate::gpu::GpuError| format!("the GPU device was lost ({why}) and could not be recreated: {e}");
    let fresh = gpu.recreate().map_err(failed)?;
    let mut effects = 0;
    for step in steps.iter_mut() {
        match step {
            Step::Pattern { pattern, texture } => {
                *pattern = TestPattern::new(&fresh).map_err(failed)?;
                *texture = texture.recreated_on(&fresh).map_err(failed)?;
            }
            Step::Still { texture, pixels } => {
                *texture = texture.recreated_on(&fresh).map_err(failed)?;
                texture.upload(&fresh, pixels).map_err(failed)?;
            }
            // The new texture is empty: the kept frame goes to it when something reads it.
            Step::Video { texture, taken, .. } => {
                *texture = texture.recreated_on(&fresh).map_err(failed)?;
                taken.stale = taken.pixels.is_some();
            }
            Step::Push { texture, fallback, taken, .. } => {
                *texture = texture.recreated_on(&fresh).map_err(failed)?;
                taken.stale = taken.pixels.is_some();
                if fallback.is_some() {
                    *fallback = Some(TestPattern::new(&fresh).map_err(failed)?);
                }
            }
            Step::Effect { handle, texture, .. } => {
                handle.rebuild_on(&fresh).map_err(failed)?;
                *texture = texture.recreated_on(&fresh).map_err(failed)?;
                effects += 1;
            }
            Step::Sink { spare, scaled, .. } => {
                spare.clear();
                *scaled = None;
            }
        }
    }
    *gpu = fresh;
    Ok(format!(
        "the GPU device was lost at frame {frame} ({why}); the runtime recreated it and {effects} effect \
         pipeline(s) in {:.0} ms and carried on",
        started.elapsed().as_secs_f64() * 1e3
    ))
}

/// Submits what `encoder` holds and waits for it; the milliseconds it took. `encoder` starts afresh.
fn flush(gpu: &Gpu, encoder: &mut wgpu::CommandEncoder) -> Result<f64, String> {
    let fresh = gpu.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("frame") });
    submit_and_wait(gpu, std::mem::replace(encoder, fresh))
}

/// Submits `encoder`'s commands and waits for them; the milliseconds it took.
fn submit_and_wait(gpu: &Gpu, encoder: wgpu::CommandEncoder) -> Result<f64, String> {
    let started = Instant::now();
    gpu.queue.submit([encoder.finish()]);
    gpu.wait_idle().map_err(|e| e.to_string())?;
    Ok(started.elapsed().as_secs_f64() * 1e3)
}

/// A bypassed effect's output: its main input, copied. An output of another format (an rgba32f compute
/// effect fed rgba8) cannot be a copy and keeps its last frame.
fn pass_through(encoder: &mut wgpu::CommandEncoder, input: Option<&GpuTexture>, output: &GpuTexture) {
    let Some(input) = input else { return };
    if (input.format, input.width, input.height) == (output.format, output.width, output.height) {
        encoder.copy_texture_to_texture(
            input.texture.as_image_copy(),
            output.texture.as_image_copy(),
            wgpu::Extent3d { width: output.width, height: output.height, depth_or_array_layers: 1 },
        );
    }
}

/// Whether every sink is a preview whose reader paces the loop (and there is one).
fn reader_paced(steps: &[Step]) -> bool {
    let mut sinks = steps.iter().filter_map(|s| match s {
        Step::Sink { sink, .. } => Some(sink.reader_waiting().is_some()),
        _ => None,
    });
    sinks.next().is_some_and(|first| first && sinks.all(|paced| paced))
}

fn reader_waiting(steps: &[Step]) -> bool {
    steps.iter().any(|s| matches!(s, Step::Sink { sink, .. } if sink.reader_waiting() == Some(true)))
}

/// How many of its frame times the loop waits for a remote stream's next frame before it renders the last one
/// again. Remote frames arrive with jitter (the network, the sender's encoder): at one frame time, a frame a
/// little late made the loop render a repeat, whose encode then held the real frame up behind it downstream.
const REMOTE_WAIT_FRAMES: f64 = 3.0;

/// Whether the loop renders as a remote stream's frames arrive (WHEP and WHIP sources, the only moving ones):
/// at its own rate it would add up to a frame time to every hop. Unlike a camera's, a remote frame is awaited
/// for at most `REMOTE_WAIT_FRAMES`, since the sender may vanish: the graph then carries on with the last frame.
fn follows_remote(steps: &[Step]) -> bool {
    let own_pace =
        |s: &Step| matches!(s, Step::Pattern { .. } | Step::Video { .. } | Step::Push { origin: Origin::Local, .. });
    steps.iter().any(is_remote) && !steps.iter().any(own_pace)
}

fn is_remote(step: &Step) -> bool {
    matches!(step, Step::Push { origin: Origin::Whep(..) | Origin::Whip, .. })
}

/// Whether the loop renders once per pushed frame: its only moving sources are live (latest-wins) push
/// sources, a camera. Rendering at its own rate instead would show each camera frame several times, and each
/// repeat costs an encode, a send and a draw downstream for nothing new.
fn follows_camera(steps: &[Step]) -> bool {
    let live_push = |s: &Step| matches!(s, Step::Push { slot, origin: Origin::Local, .. } if !slot.every_frame());
    steps.iter().any(live_push) && !steps.iter().any(|s| matches!(s, Step::Pattern { .. } | Step::Video { .. }))
}

/// Takes the next frame of every video and push source, uploading it where something reads the source's
/// texture (`texture_readers`; the count goes to `uploads`); Some(reason) when a video has ended. With
/// `follow_camera`, waits for the first live push source's next frame once it has sent one (before that, the
/// loop runs at its own rate and shows the fallback).
fn fetch_source_frames(
    gpu: &Gpu,
    steps: &mut [Step],
    stop: &AtomicBool,
    (follow_camera, remote_wait): (bool, Option<Duration>),
    uploads: &mut u64,
) -> Result<Option<String>, String> {
    let read = texture_readers(steps);
    for (at, step) in steps.iter().enumerate() {
        if let Step::Push { slot, .. } = step {
            if is_remote(step) && (read[at] || sinks_want(steps, at)) {
                slot.want();
            }
        }
    }
    let mut waited = false;
    for (at, step) in steps.iter_mut().enumerate() {
        let frame = match step {
            Step::Video { reader, texture, path, looping, .. } => match reader.next_frame() {
                Some(frame) => Some(frame),
                None if *looping => {
                    *reader = VideoReader::open(path, Some((texture.width, texture.height)))?;
                    Some(reader.next_frame().ok_or_else(|| format!("'{}' has no frames", path.display()))?)
                }
                None => return Ok(Some(format!("end of video '{}'", path.display()))),
            },
            Step::Push { slot, origin: Origin::Local, .. }
                if slot.every_frame() || (follow_camera && !waited && slot.pushed() > 0) =>
            {
                waited = true;
                // Back-pressure both ways for every-frame sources: the graph waits for each pushed frame, the
                // pusher for the graph. A camera is only waited for.
                loop {
                    if let Some(frame) = slot.take_waiting(Duration::from_millis(50)) {
                        break Some(frame);
                    }
                    if stop.load(Ordering::SeqCst) {
                        return Ok(Some("stopped while waiting for a pushed frame".to_owned()));
                    }
                }
            }
            Step::Push { slot, origin: Origin::Whep(..) | Origin::Whip, .. }
                if remote_wait.is_some() && !waited && slot.pushed() > 0 =>
            {
                waited = true;
                // A stream that stopped costs at most the wait; then the last frame shows again.
                slot.take_waiting(remote_wait.unwrap_or_default())
            }
            Step::Push { slot, .. } => slot.take(),
            _ => None,
        };
        let (Step::Video { texture, taken, .. } | Step::Push { texture, taken, .. }) = step else { continue };
        let uploaded = match frame {
            Some(frame) => taken.keep(gpu, texture, frame, read[at])?,
            None if read[at] => taken.freshen(gpu, texture)?,
            None => false,
        };
        *uploads += u64::from(uploaded);
    }
    Ok(None)
}

/// Reads a frame's copies back once `submission` has run and hands them to their sinks; each staging
/// buffer goes back to its sink for a later frame (two at most: one in flight, one being read).
fn deliver(
    gpu: &Gpu,
    steps: &mut [Step],
    readbacks: Vec<(usize, Readback)>,
    submission: &wgpu::SubmissionIndex,
    index: u64,
) -> Result<(), String> {
    for (at, readback) in readbacks {
        let Some(Step::Sink { name, spare, sink, .. }) = steps.get_mut(at) else { continue };
        let pixels = readback.finish_after(gpu, submission.clone()).map_err(|e| e.to_string())?;
        let (width, height) = readback.size();
        let pixels = Arc::new(pixels);
        sink.deliver(Frame { index, width, height, pixels }).map_err(|e| format!("sink '{name}': {e}"))?;
        if spare.len() < 2 {
            spare.push(readback);
        }
    }
    Ok(())
}

/// The size a preview sink's frames should be read back at, when it differs from what its scaler makes now.
fn refit(gpu: &Gpu, steps: &[Step], at: usize) -> Option<Option<(u32, u32)>> {
    let Step::Sink { input, sink, scaled, .. } = &steps[at] else { return None };
    let source = steps.get(*input).and_then(Step::texture)?;
    let wanted = fit((source.width, source.height), sink.display_size(), gpu.adapter.is_cpu());
    (wanted != scaled.as_ref().map(|s| (s.texture.width, s.texture.height))).then_some(wanted)
}

/// Whether a preview's view changed size: its new scaler is a pipeline, which lavapipe must not build while
/// a frame executes, so the frame in flight is finished first.
fn previews_to_refit(gpu: &Gpu, steps: &[Step]) -> bool {
    (0..steps.len()).any(|at| refit(gpu, steps, at).is_some())
}

/// Gives each preview a scaled copy of its frame at the size the page shows it (made again when that size
/// changes), or none when it is shown at about full size.
fn fit_previews(gpu: &Gpu, steps: &mut [Step]) -> Result<(), String> {
    for at in 0..steps.len() {
        let Some(wanted) = refit(gpu, steps, at) else { continue };
        let (before, rest) = steps.split_at_mut(at);
        let Step::Sink { input, scaled, .. } = &mut rest[0] else { continue };
        let Some(source) = before.get(*input).and_then(Step::texture) else { continue };
        *scaled = match wanted {
            None => None,
            Some((width, height)) => {
                let texture = GpuTexture::new(gpu, width, height, TextureFormat::Rgba8Unorm, "preview at display size")
                    .map_err(|e| e.to_string())?;
                let scaler = Scaler::new(gpu, source, (width, height)).map_err(|e| e.to_string())?;
                Some(Scaled { scaler, texture })
            }
        };
    }
    Ok(())
}

const FULL_STATS_EVERY: Duration = Duration::from_millis(50);

fn recent_fps(completed: &VecDeque<Instant>) -> f64 {
    match (completed.front(), completed.back()) {
        (Some(first), Some(last)) if completed.len() > 1 => {
            (completed.len() - 1) as f64 / last.duration_since(*first).as_secs_f64().max(1e-9)
        }
        _ => 0.0,
    }
}

fn update_stats(
    stats: &Mutex<Stats>,
    steps: &[Step],
    fused: &[Fused],
    (frame_times, cpu, full): (&VecDeque<f64>, &mut LoopCpu, bool),
    completed: &VecDeque<Instant>,
    (frames, uploads): (u64, u64),
    started: Instant,
) {
    let fps = recent_fps(completed);
    let mut stats = stats.lock().unwrap_or_else(|p| p.into_inner());
    stats.frames = frames;
    stats.uploads = uploads;
    stats.elapsed_s = started.elapsed().as_secs_f64();
    stats.fps = fps;
    // The figures that take sorting and formatting, a few times a second: every frame they would cost the
    // loop more than small frames themselves.
    if full {
        let mut sorted: Vec<f64> = frame_times.iter().copied().collect();
        sorted.sort_by(f64::total_cmp);
        let pick = |q: f64| sorted.get(((sorted.len() as f64 - 1.0) * q).round() as usize).copied().unwrap_or(0.0);
        stats.frame_ms_p50 = pick(0.5);
        stats.frame_ms_p99 = pick(0.99);
        if let Some((total, user)) = cpu.per_frame(frames) {
            (stats.loop_cpu_us, stats.loop_user_cpu_us) = (total, user);
        }
        stats.fusion = fused.iter().map(|f| f.group.report()).collect();
    }
    for step in steps {
        match step {
            Step::Sink { name, sink, .. } => {
                let dropped = sink.dropped();
                match stats.dropped.get_mut(name) {
                    Some(count) => *count = dropped,
                    None => {
                        stats.dropped.insert(name.clone(), dropped);
                    }
                }
                if let Some(report) = sink.link_report() {
                    stats.remote.insert(name.clone(), report);
                }
            }
            Step::Push { origin: Origin::Whep(name, player), .. } => {
                stats.remote.insert(name.clone(), player.report());
            }
            _ => {}
        }
    }
}

fn finish_sinks(steps: &mut [Step]) -> Result<(), String> {
    let mut result = Ok(());
    for step in steps.iter_mut() {
        if let Step::Sink { name, sink, .. } = step {
            if let Err(e) = sink.finish() {
                result = Err(format!("sink '{name}': {e}"));
            }
        }
    }
    result
}

/// The loop thread's CPU time per frame since its first frame (the kernel splits user from system time by
/// sampling, so only a long span tells them apart).
#[derive(Default)]
struct LoopCpu {
    /// (frames, user µs, system µs) at the first update.
    start: Option<(u64, f64, f64)>,
}

impl LoopCpu {
    /// (user + system, user) µs per frame since the first call, once there are frames between.
    fn per_frame(&mut self, frames: u64) -> Option<(f64, f64)> {
        let (user, system) = thread_cpu_us()?;
        let (then, user_then, system_then) = *self.start.get_or_insert((frames, user, system));
        let count = frames.checked_sub(then).filter(|&n| n > 0)? as f64;
        Some(((user - user_then + system - system_then) / count, (user - user_then) / count))
    }
}

/// User and system CPU time of the calling thread in µs (None where the platform cannot tell).
fn thread_cpu_us() -> Option<(f64, f64)> {
    #[cfg(target_os = "linux")]
    {
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: `usage` is a valid rusage to write; RUSAGE_THREAD asks about the calling thread only.
        if unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut usage) } == 0 {
            let us = |t: libc::timeval| t.tv_sec as f64 * 1e6 + t.tv_usec as f64;
            return Some((us(usage.ru_utime), us(usage.ru_stime)));
        }
    }
    None
}
