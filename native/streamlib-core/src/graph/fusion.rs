//! Effect fusion: chains of pixel-form effects planned into single passes when the graph starts, and kept
//! in step with hot swaps while it runs.
//!
//! The members stay ordinary effect nodes (their own parameters, swaps, controls); a fused group only
//! replaces how they are drawn. While a group's pass is missing or stale (a member was swapped, the device
//! was recreated), its members run unfused, so nothing waits for a compile and no frame is dropped.

use std::collections::BTreeMap;
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::sync::Arc;

use super::{Graph, NodeId, NodeKind, VIDEO};
use crate::gpu::{EffectInstance, EffectPipeline, FrameValues, Gpu, GpuError, GpuTexture, TextureFormat};
use crate::nodes::{EffectHandle, NodeType};
use crate::shader::fuse::{fused_source, member_cbuffer, reader_first, shape_of, Handoff, Shape};
use crate::shader::{CompileOptions, CompileRequest, Compiler};

/// The compiler fused passes are built with; a run without one draws every effect on its own.
#[derive(Clone)]
pub struct Fusion(pub Arc<Compiler>);

impl Fusion {
    /// Fusion with `compiler` unless a graph's `fuse` setting turns it off (it is on when unset).
    pub fn unless_off(fuse: Option<bool>, compiler: &Arc<Compiler>) -> Option<Fusion> {
        (fuse != Some(false)).then(|| Fusion(compiler.clone()))
    }
}

impl std::fmt::Debug for Fusion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Fusion")
    }
}

/// How the graph's effects were planned: the fused groups, and why each other effect runs on its own.
#[derive(Debug, Default)]
pub struct Plan {
    pub groups: Vec<Vec<NodeId>>,
    pub alone: BTreeMap<String, String>,
}

/// One group's state for `Stats`: its members in order and whether the fused pass draws them.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct GroupReport {
    pub members: Vec<String>,
    /// "fused", "compiling", or "unfused: why".
    pub state: String,
}

/// An effect as planning sees it: what feeds it never changes while a graph runs; what it reads may.
pub struct Candidate {
    pub node: NodeId,
    pub name: String,
    pub handle: Arc<EffectHandle>,
    /// Fusion is off for this effect.
    off: bool,
    /// The effect feeding its video input, when that effect's output goes nowhere else.
    sole_feed: Option<NodeId>,
}

/// The effects of `graph`, in `order`.
pub fn candidates(graph: &Graph, order: &[NodeId]) -> Vec<Candidate> {
    let is_effect = |id: NodeId| matches!(graph.nodes[id].kind, NodeKind::Effect(_));
    order
        .iter()
        .filter_map(|&id| {
            let NodeKind::Effect(handle) = &graph.nodes[id].kind else { return None };
            let off = matches!(&graph.nodes[id].params, NodeType::Effect(p) if !p.fuse);
            let feed = graph.edges.iter().find(|e| e.to == id && e.to_port == VIDEO).map(|e| e.from);
            let sole_feed = feed.filter(|&f| is_effect(f) && graph.edges.iter().filter(|e| e.from == f).count() == 1);
            Some(Candidate { node: id, name: graph.nodes[id].name.clone(), handle: handle.clone(), off, sole_feed })
        })
        .collect()
}

type Shapes = BTreeMap<NodeId, Result<Shape, String>>;

/// How each candidate reads its input now (or why it cannot fuse).
fn shapes(candidates: &[Candidate]) -> Shapes {
    let shape = |c: &Candidate| {
        if c.off {
            Err("fusion is off for this effect".to_owned())
        } else {
            shape_of(&c.handle.shader())
        }
    };
    candidates.iter().map(|c| (c.node, shape(c))).collect()
}

/// An effect joins the one feeding it when that one's output goes nowhere else and either of the two reads
/// pointwise; a group holds at most one neighbourhood reader, so no member is evaluated more than once per
/// tap of the one that samples around.
fn group(candidates: &[Candidate], shapes: &Shapes) -> Plan {
    let mut groups: Vec<Vec<NodeId>> = Vec::new();
    let mut group_of: BTreeMap<NodeId, usize> = BTreeMap::new();
    for candidate in candidates {
        let id = candidate.node;
        let Some(Ok(shape)) = shapes.get(&id) else { continue };
        let Some(feed) = candidate.sole_feed else { continue };
        let Some(Ok(feed_shape)) = shapes.get(&feed) else { continue };
        let group = match group_of.get(&feed) {
            Some(&g) if groups[g].last() == Some(&feed) => g,
            Some(_) => continue,
            None => {
                groups.push(vec![feed]);
                group_of.insert(feed, groups.len() - 1);
                groups.len() - 1
            }
        };
        let reads_around = |n: &NodeId| matches!(shapes.get(n), Some(Ok(Shape::Neighbourhood)));
        let fits =
            *shape == Shape::Pointwise || (*feed_shape == Shape::Pointwise && !groups[group].iter().any(reads_around));
        if fits {
            groups[group].push(id);
            group_of.insert(id, group);
        }
    }
    groups.retain(|g| g.len() > 1);
    let grouped: Vec<NodeId> = groups.iter().flatten().copied().collect();
    let alone = candidates
        .iter()
        .filter(|c| !grouped.contains(&c.node))
        .map(|c| {
            let why = match &shapes[&c.node] {
                Err(why) => why.clone(),
                Ok(_) => "no neighbouring effect it can share a pass with".to_owned(),
            };
            (c.name.clone(), why)
        })
        .collect();
    Plan { groups, alone }
}

/// Keeps a running graph's plan in step with swaps that change how an effect reads its input (a pointwise
/// effect swapped for a blur leaves its group; one swapped the other way may join its neighbours).
pub struct Replanner {
    candidates: Vec<Candidate>,
    swaps: Vec<u64>,
    shapes: Shapes,
}

impl Replanner {
    /// The planner of `graph` (in `order`), and its plan now.
    pub fn new(graph: &Graph, order: &[NodeId]) -> (Replanner, Plan) {
        let candidates = candidates(graph, order);
        let swaps = candidates.iter().map(|c| c.handle.swaps()).collect();
        let shapes = shapes(&candidates);
        let plan = group(&candidates, &shapes);
        (Replanner { candidates, swaps, shapes }, plan)
    }

    /// A new plan when a swap since the last call changed how any effect reads; None otherwise (a swap that
    /// keeps every shape is the groups' own business: they rebuild their pass).
    pub fn replan(&mut self) -> Option<Plan> {
        let swapped = self.candidates.iter().zip(&self.swaps).any(|(c, &seen)| c.handle.swaps() != seen);
        if !swapped {
            return None;
        }
        self.swaps = self.candidates.iter().map(|c| c.handle.swaps()).collect();
        let shapes = shapes(&self.candidates);
        if shapes == self.shapes {
            return None;
        }
        self.shapes = shapes;
        Some(group(&self.candidates, &self.shapes))
    }

    /// The members of a planned group, by name with their handles.
    pub fn members(&self, group: &[NodeId]) -> Vec<(String, Arc<EffectHandle>)> {
        group
            .iter()
            .filter_map(|id| self.candidates.iter().find(|c| c.node == *id))
            .map(|c| (c.name.clone(), c.handle.clone()))
            .collect()
    }
}

/// A pass built for members' shaders at given swap counts, on one device.
struct Pass {
    instance: EffectInstance,
    swaps: Vec<u64>,
    gpu: Arc<Gpu>,
    /// The members' parameter bytes it was last checked at, and why the check refused it at those.
    checked: Vec<Vec<u8>>,
    refused: Option<String>,
    /// The order it evaluates the members in (indices into the group's graph order; see `reader_first`).
    order: Vec<usize>,
}

impl Pass {
    /// `members` (in graph order) in the order the pass evaluates them: its member k is `ordered[k - 1]`.
    fn ordered(&self, members: &[Arc<EffectHandle>]) -> Vec<Arc<EffectHandle>> {
        self.order.iter().filter_map(|&i| members.get(i).cloned()).collect()
    }

    /// The swap counts it was built at, in the order it evaluates the members.
    fn ordered_swaps(&self) -> Vec<u64> {
        self.order.iter().filter_map(|&i| self.swaps.get(i).copied()).collect()
    }

    fn reordered(&self) -> bool {
        self.order.iter().enumerate().any(|(k, &i)| k != i)
    }
}

/// One fused group while the graph runs.
pub struct Group {
    pub members: Vec<(String, Arc<EffectHandle>)>,
    compiler: Arc<Compiler>,
    pass: Option<Pass>,
    pending: Option<Receiver<Result<Pass, String>>>,
    /// What the last build was for (swap counts, device) and why it failed, so a failure is not retried
    /// every frame.
    tried: Option<(Vec<u64>, usize)>,
    failed: Option<String>,
    overran: bool,
}

impl Group {
    /// The group, with its pass built now (a start is allowed to wait for the compile; a swap is not).
    pub fn new(members: Vec<(String, Arc<EffectHandle>)>, compiler: Arc<Compiler>, gpu: &Arc<Gpu>) -> Group {
        let mut group = Group::deferred(members, compiler);
        group.tried = Some((group.swaps(), gpu_key(gpu)));
        match build(&group.compiler, gpu, &group.handles(), group.swaps()) {
            Ok(pass) => group.pass = Some(pass),
            Err(why) => group.failed = Some(why),
        }
        group
    }

    /// The group, its pass built on its own thread at the first `refresh`: its members are drawn on their own
    /// until then (a group formed while the graph runs).
    pub fn deferred(members: Vec<(String, Arc<EffectHandle>)>, compiler: Arc<Compiler>) -> Group {
        Group { members, compiler, pass: None, pending: None, tried: None, failed: None, overran: false }
    }

    fn swaps(&self) -> Vec<u64> {
        self.members.iter().map(|(_, handle)| handle.swaps()).collect()
    }

    fn handles(&self) -> Vec<Arc<EffectHandle>> {
        self.members.iter().map(|(_, handle)| handle.clone()).collect()
    }

    /// Takes a finished build, starts one (on its own thread) when the pass no longer matches the members or
    /// the device; whether the fused pass draws this frame.
    pub fn refresh(&mut self, gpu: &Arc<Gpu>) -> bool {
        if let Some(pending) = &self.pending {
            match pending.try_recv() {
                Ok(Ok(pass)) => (self.pass, self.pending, self.failed) = (Some(pass), None, None),
                Ok(Err(why)) => (self.pending, self.failed) = (None, Some(why)),
                Err(TryRecvError::Disconnected) => self.pending = None,
                Err(TryRecvError::Empty) => {}
            }
        }
        let swaps = self.swaps();
        let mut current = self.pass.as_ref().is_some_and(|p| p.swaps == swaps && Arc::ptr_eq(&p.gpu, gpu));
        let handles = self.handles();
        if let Some(pass) = self.pass.as_mut().filter(|_| current) {
            // Whether a member's result can be taken where its consumer reads depends on the values too (a
            // blur radius moving its taps between texel centres): new values are checked before they are drawn.
            // The values drawn are these, read now: a swap landing later in the frame cannot change their layout.
            match current_params(&pass.instance, &pass.ordered(&handles), &pass.ordered_swaps()) {
                // A member swapped since `swaps` was read: drawn on its own this frame, rebuilt from the next.
                None => current = false,
                Some(params) if params != pass.checked => {
                    pass.refused = check(gpu, &pass.instance, &handles, &pass.order, &pass.swaps).err();
                    pass.checked = params;
                    // Values a reordered pass does not hold for (a contrast that clamps, under a blur) may still
                    // fuse in graph order: that is built again, on its own thread, at these values.
                    if pass.refused.is_some() && pass.reordered() {
                        self.tried = None;
                    } else if pass.refused.is_none() {
                        // Drawn fused again: what a rebuild at other values could not do no longer applies.
                        self.failed = None;
                    }
                }
                Some(_) => {}
            }
        }
        let checked = self.pass.as_ref().is_some_and(|p| p.refused.is_none());
        let key = (swaps.clone(), gpu_key(gpu));
        let refused_reordered = self.pass.as_ref().is_some_and(|p| p.refused.is_some() && p.reordered());
        if (!current || refused_reordered) && self.pending.is_none() && self.tried.as_ref() != Some(&key) {
            self.tried = Some(key);
            self.overran = false;
            let (sender, receiver) = mpsc::channel();
            let (compiler, gpu, handles) = (self.compiler.clone(), gpu.clone(), self.handles());
            let spawned = std::thread::Builder::new().name("streamlib-fuse".into()).spawn(move || {
                // Nobody waiting any more (the run ended) is fine: the pass is simply dropped.
                let _ = sender.send(build(&compiler, &gpu, &handles, swaps));
            });
            match spawned {
                Ok(_) => self.pending = Some(receiver),
                Err(e) => self.failed = Some(format!("cannot start the fusion build: {e}")),
            }
        }
        current && checked && !self.overran && self.members.iter().all(|(_, handle)| handle.overrun().is_none())
    }

    /// The watchdog found the fused pass too slow: its members run (and are judged) on their own until one
    /// of them changes.
    pub fn overran(&mut self) {
        self.overran = true;
    }

    /// Records the fused pass from `input` into `output` (the last member's texture), with every member's
    /// current parameter values.
    pub fn encode(
        &self,
        gpu: &Gpu,
        encoder: &mut wgpu::CommandEncoder,
        input: &GpuTexture,
        output: &GpuTexture,
        frame: &FrameValues,
    ) -> Result<(), GpuError> {
        let Some(pass) = &self.pass else { return Ok(()) };
        encode_fused(&pass.instance, &pass.checked, gpu, encoder, input, output, frame)
    }

    pub fn report(&self) -> GroupReport {
        let members = self.members.iter().map(|(name, _)| name.clone()).collect();
        let current = self.pass.as_ref().filter(|p| p.swaps == self.swaps() && self.failed.is_none());
        let state = if let Some(pass) = current {
            if let Some(why) = &pass.refused {
                format!("unfused: {why} at the current parameter values")
            } else if self.overran {
                "unfused: the fused pass overran the watchdog's budget".to_owned()
            } else if pass.reordered() {
                let names: Vec<&str> =
                    pass.order.iter().filter_map(|&i| self.members.get(i)).map(|(n, _)| n.as_str()).collect();
                format!("fused, reordered: {}", names.join(", "))
            } else {
                "fused".to_owned()
            }
        } else if self.pending.is_some() {
            "compiling".to_owned()
        } else {
            format!("unfused: {}", self.failed.as_deref().unwrap_or("waiting for a rebuild"))
        };
        GroupReport { members, state }
    }
}

fn gpu_key(gpu: &Arc<Gpu>) -> usize {
    Arc::as_ptr(gpu) as usize
}

/// Records `fused` from `input` into `output` with `params`, the bytes of each of its cbuffers.
fn encode_fused(
    fused: &EffectInstance,
    params: &[Vec<u8>],
    gpu: &Gpu,
    encoder: &mut wgpu::CommandEncoder,
    input: &GpuTexture,
    output: &GpuTexture,
    frame: &FrameValues,
) -> Result<(), GpuError> {
    let params: Vec<&[u8]> = params.iter().map(Vec::as_slice).collect();
    fused.encode_with_params(gpu, encoder, &[input], output, frame, &params)
}

/// Each of `fused`'s cbuffers, as the bytes of the cbuffer of the member (`members`, in pass order) it
/// stands for.
fn member_params(fused: &EffectInstance, members: &[&EffectInstance]) -> Vec<Vec<u8>> {
    fused
        .cbuffer_names()
        .map(|name| {
            member_cbuffer(name)
                .and_then(|(k, own)| members.get(k.checked_sub(1)?)?.cbuffer_bytes(own).map(<[u8]>::to_vec))
                .unwrap_or_default()
        })
        .collect()
}

/// `member_params` from the members as they are now (in pass order), each read with its swap count; None
/// when one is no longer at the count in `swaps` (its bytes would be laid out for another shader).
fn current_params(fused: &EffectInstance, members: &[Arc<EffectHandle>], swaps: &[u64]) -> Option<Vec<Vec<u8>>> {
    let mut params = vec![Vec::new(); fused.cbuffer_names().count()];
    for (k, (member, &at)) in members.iter().zip(swaps).enumerate() {
        let (instance, count) = member.locked();
        if count != at {
            return None;
        }
        for (slot, name) in fused.cbuffer_names().enumerate() {
            if let Some((_, own)) = member_cbuffer(name).filter(|&(m, _)| m == k + 1) {
                params[slot] = instance.cbuffer_bytes(own).map(<[u8]>::to_vec).unwrap_or_default();
            }
        }
    }
    Some(params)
}

/// Compiles and builds the pass of `members` (in order), checking again that each still fuses, then checks
/// it against the members drawn one by one.
fn build(compiler: &Compiler, gpu: &Arc<Gpu>, members: &[Arc<EffectHandle>], swaps: Vec<u64>) -> Result<Pass, String> {
    let shaders: Vec<Arc<crate::shader::CompiledShader>> = members.iter().map(|h| h.shader()).collect();
    let mut neighbourhood = 0;
    for shader in &shaders {
        match shape_of(shader) {
            Ok(Shape::Neighbourhood) => neighbourhood += 1,
            Ok(Shape::Pointwise) => {}
            Err(why) => return Err(format!("'{}' {why}", shader.name)),
        }
    }
    if neighbourhood > 1 {
        return Err("more than one member reads around its pixel".to_owned());
    }
    let sources: Vec<&str> = shaders.iter().map(|s| s.source.as_str()).collect();
    let names: Vec<&str> = shaders.iter().map(|s| s.name.as_str()).collect();
    // The cheapest pass first: the reader of neighbours first where that may be the same picture, then graph
    // order with the direct hand-off, then rounding to rgba8 between members where the check asks for it.
    let graph_order: Vec<usize> = (0..members.len()).collect();
    let mut tries: Vec<(Vec<usize>, Handoff)> =
        reader_first(&sources).map(|o| (o, Handoff::Direct)).into_iter().collect();
    tries.extend([(graph_order.clone(), Handoff::Direct), (graph_order, Handoff::Stored)]);
    let mut refused = String::new();
    for (order, handoff) in tries {
        let ordered_sources: Vec<&str> = order.iter().map(|&i| sources[i]).collect();
        let request = CompileRequest {
            name: format!("fused {}", order.iter().map(|&i| names[i]).collect::<Vec<_>>().join("+")),
            source: fused_source(&ordered_sources, handoff),
            options: CompileOptions::default(),
        };
        let shader = compiler.compile(&request).map_err(|e| format!("the fused pass did not compile: {e}"))?;
        let pipeline = EffectPipeline::new(gpu, Arc::new(shader)).map_err(|e| e.to_string())?;
        let instance = EffectInstance::new(gpu, Arc::new(pipeline)).map_err(|e| e.to_string())?;
        match check(gpu, &instance, members, &order, &swaps) {
            Ok(checked) => return Ok(Pass { instance, swaps, gpu: gpu.clone(), checked, refused: None, order }),
            Err(why) => refused = why,
        }
    }
    Err(refused)
}

/// Size of the picture a fused pass is checked on: odd, so no read lands on a texel centre by accident.
const CHECK_SIZE: (u32, u32) = (67, 45);

/// Draws the check picture through the members one by one (fresh instances with their current values) and
/// through the fused pass; Err when any channel differs by more than one step of rgba8. A fused member is
/// evaluated where its consumer reads, which matches filtering its stored output exactly at texel centres and
/// for members linear in their input; this refuses the rest (a clamping colour matrix read by a warp).
/// `members` are in graph order at swap counts `swaps`, `order` the pass's; Ok with the parameter bytes it
/// was checked at.
fn check(
    gpu: &Arc<Gpu>,
    fused: &EffectInstance,
    members: &[Arc<EffectHandle>],
    order: &[usize],
    swaps: &[u64],
) -> Result<Vec<Vec<u8>>, String> {
    let failed = |e: GpuError| format!("the fused pass could not be checked: {e}");
    let (width, height) = CHECK_SIZE;
    let texture = || GpuTexture::new(gpu, width, height, TextureFormat::Rgba8Unorm, "fusion check").map_err(failed);
    let input = texture()?;
    input.upload(gpu, &check_picture(width, height)).map_err(failed)?;
    let mut instances = Vec::new();
    for (handle, &at) in members.iter().zip(swaps) {
        let (live, count) = handle.locked();
        if count != at {
            return Err(format!("'{}' was swapped while its fused pass was checked", handle.name));
        }
        instances.push(live.swapped(gpu, live.pipeline.clone()).map_err(failed)?);
    }
    let ordered: Vec<&EffectInstance> = order.iter().filter_map(|&i| instances.get(i)).collect();
    let params = member_params(fused, &ordered);
    // Effects that move with time (a wave) read elsewhere at every moment: a few of them are checked.
    for time in CHECK_TIMES {
        let resolution = [width as f32, height as f32];
        let frame =
            FrameValues { time, resolution, mouse: [resolution[0] / 2.0, resolution[1] / 2.0, 0.0, 0.0], frame: 0 };
        let mut encoder = gpu.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("check") });
        let mut outputs: Vec<GpuTexture> = Vec::new();
        for instance in &instances {
            let output = texture()?;
            let previous = outputs.last().unwrap_or(&input);
            instance.encode(gpu, &mut encoder, &[previous], &output, &frame).map_err(failed)?;
            outputs.push(output);
        }
        let together = texture()?;
        encode_fused(fused, &params, gpu, &mut encoder, &input, &together, &frame).map_err(failed)?;
        gpu.submit_and_wait(encoder.finish()).map_err(failed)?;
        let one_by_one = outputs.last().map(|t| t.read(gpu)).transpose().map_err(failed)?.unwrap_or_default();
        let fused_pixels = together.read(gpu).map_err(failed)?;
        let worst = one_by_one.iter().zip(&fused_pixels).map(|(a, b)| a.abs_diff(*b)).max().unwrap_or(0);
        if worst > 1 {
            return Err(format!("drawn as one pass it differs from its effects drawn one by one by up to {worst}/255"));
        }
    }
    Ok(params)
}

/// The `time` values a fused pass is checked at.
const CHECK_TIMES: [f32; 3] = [0.0, 0.37, 1.91];

/// Ramps, noise and a hard-edged checkerboard: what tells a fused pass from the members one by one.
fn check_picture(width: u32, height: u32) -> Vec<u8> {
    let mut pixels = Vec::with_capacity((width * height * 4) as usize);
    let mut noise: u32 = 0x9e37_79b9;
    for y in 0..height {
        for x in 0..width {
            noise ^= noise << 13;
            noise ^= noise >> 17;
            noise ^= noise << 5;
            let checker = (x / 5 + y / 5) % 2 == 0;
            let board = x >= width / 2 && y < height / 2;
            let ramp_x = (x * 255 / (width - 1)) as u8;
            let ramp_y = (y * 255 / (height - 1)) as u8;
            let rgb = if board { [if checker { 255 } else { 0 }; 3] } else { [ramp_x, ramp_y, (noise >> 24) as u8] };
            let alpha = if x < width / 4 && y > height / 2 { 128 } else { 255 };
            pixels.extend_from_slice(&[rgb[0], rgb[1], rgb[2], alpha]);
        }
    }
    pixels
}
