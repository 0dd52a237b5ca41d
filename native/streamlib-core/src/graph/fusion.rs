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
use crate::gpu::{EffectInstance, EffectPipeline, FrameValues, Gpu, GpuError, GpuTexture};
use crate::nodes::{EffectHandle, NodeType};
use crate::shader::fuse::{fused_source, member_cbuffer, shape_of, Shape};
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

/// Groups the effects of `graph` (in `order`): an effect joins the one feeding it when that one's output goes
/// nowhere else and either of the two reads pointwise; a group holds at most one neighbourhood reader, so no
/// member is evaluated more than once per tap of the one that samples around.
pub fn plan(graph: &Graph, order: &[NodeId]) -> Plan {
    let shapes: BTreeMap<NodeId, Result<Shape, String>> = order
        .iter()
        .filter_map(|&id| match (&graph.nodes[id].kind, &graph.nodes[id].params) {
            (NodeKind::Effect(_), NodeType::Effect(p)) if !p.fuse => {
                Some((id, Err("fusion is off for this effect".to_owned())))
            }
            (NodeKind::Effect(handle), _) => Some((id, shape_of(&handle.shader()))),
            _ => None,
        })
        .collect();
    let mut groups: Vec<Vec<NodeId>> = Vec::new();
    let mut group_of: BTreeMap<NodeId, usize> = BTreeMap::new();
    for &id in order {
        let Some(Ok(shape)) = shapes.get(&id) else { continue };
        let Some(feed) = graph.edges.iter().find(|e| e.to == id && e.to_port == VIDEO).map(|e| e.from) else {
            continue;
        };
        let Some(Ok(feed_shape)) = shapes.get(&feed) else { continue };
        if graph.edges.iter().filter(|e| e.from == feed).count() != 1 {
            continue;
        }
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
        let fits = *shape == Shape::Pointwise
            || (*feed_shape == Shape::Pointwise && !groups[group].iter().any(reads_around));
        if fits {
            groups[group].push(id);
            group_of.insert(id, group);
        }
    }
    groups.retain(|g| g.len() > 1);
    let grouped: Vec<NodeId> = groups.iter().flatten().copied().collect();
    let alone = shapes
        .into_iter()
        .filter(|(id, _)| !grouped.contains(id))
        .map(|(id, shape)| {
            let why = shape.err().unwrap_or_else(|| "no neighbouring effect it can share a pass with".to_owned());
            (graph.nodes[id].name.clone(), why)
        })
        .collect();
    Plan { groups, alone }
}

/// A pass built for members' shaders at given swap counts, on one device.
struct Pass {
    instance: EffectInstance,
    swaps: Vec<u64>,
    gpu: Arc<Gpu>,
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
        let mut group =
            Group { members, compiler, pass: None, pending: None, tried: None, failed: None, overran: false };
        group.tried = Some((group.swaps(), gpu_key(gpu)));
        match build(&group.compiler, gpu, &group.member_shaders(), group.swaps()) {
            Ok(pass) => group.pass = Some(pass),
            Err(why) => group.failed = Some(why),
        }
        group
    }

    fn swaps(&self) -> Vec<u64> {
        self.members.iter().map(|(_, handle)| handle.swaps()).collect()
    }

    fn member_shaders(&self) -> Vec<Arc<crate::shader::CompiledShader>> {
        self.members.iter().map(|(_, handle)| handle.shader()).collect()
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
        let current = self.pass.as_ref().is_some_and(|p| p.swaps == swaps && Arc::ptr_eq(&p.gpu, gpu));
        let key = (swaps.clone(), gpu_key(gpu));
        if !current && self.pending.is_none() && self.tried.as_ref() != Some(&key) {
            self.tried = Some(key);
            self.overran = false;
            let (sender, receiver) = mpsc::channel();
            let (compiler, gpu, shaders) = (self.compiler.clone(), gpu.clone(), self.member_shaders());
            let spawned = std::thread::Builder::new()
                .name("streamlib-fuse".into())
                .spawn(move || sender.send(build(&compiler, &gpu, &shaders, swaps)));
            match spawned {
                Ok(_) => self.pending = Some(receiver),
                Err(e) => self.failed = Some(format!("cannot start the fusion build: {e}")),
            }
        }
        current && !self.overran && self.members.iter().all(|(_, handle)| handle.overrun().is_none())
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
        let mut params: Vec<Vec<u8>> = Vec::new();
        for name in pass.instance.cbuffer_names() {
            let bytes = member_cbuffer(name)
                .and_then(|(k, own)| self.members.get(k.checked_sub(1)?)?.1.lock().cbuffer_bytes(own).map(<[u8]>::to_vec));
            params.push(bytes.unwrap_or_default());
        }
        let params: Vec<&[u8]> = params.iter().map(Vec::as_slice).collect();
        pass.instance.encode_with_params(gpu, encoder, &[input], output, frame, &params)
    }

    pub fn report(&self) -> GroupReport {
        let members = self.members.iter().map(|(name, _)| name.clone()).collect();
        let state = if self.pass.as_ref().is_some_and(|p| p.swaps == self.swaps()) && self.failed.is_none() {
            if self.overran {
                "unfused: the fused pass overran the watchdog's budget".to_owned()
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

/// Compiles and builds the pass of `shaders` (members in order), checking again that each still fuses.
fn build(
    compiler: &Compiler,
    gpu: &Arc<Gpu>,
    shaders: &[Arc<crate::shader::CompiledShader>],
    swaps: Vec<u64>,
) -> Result<Pass, String> {
    let mut neighbourhood = 0;
    for shader in shaders {
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
    let request = CompileRequest {
        name: format!("fused {}", names.join("+")),
        source: fused_source(&sources),
        options: CompileOptions::default(),
    };
    let shader = compiler.compile(&request).map_err(|e| format!("the fused pass did not compile: {e}"))?;
    let pipeline = EffectPipeline::new(gpu, Arc::new(shader)).map_err(|e| e.to_string())?;
    let instance = EffectInstance::new(gpu, Arc::new(pipeline)).map_err(|e| e.to_string())?;
    Ok(Pass { instance, swaps, gpu: gpu.clone() })
}
