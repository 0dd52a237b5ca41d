//! Reflection through SPIRV-Cross: resources, cbuffer layouts, workgroup size, and the shader's parameters.
//!
//! Longer than 600 lines because of its tests (about 260 lines below the code): pixel and compute examples,
//! buffers and image formats, parameter kinds and layouts, annotations, combined samplers, bad input — kept
//! beside the code they pin down; the code itself is under 500 lines.

use serde::{Deserialize, Serialize};
use spirv_cross2::handle::{Handle, TypeId, VariableId};
use spirv_cross2::reflect::{
    ArrayDimension, BitWidth, DecorationValue, ExecutionModeArguments, ImageClass, ImageType, Scalar, ScalarKind,
    TypeInner,
};
use spirv_cross2::{spirv, targets, Compiler, Module, SpirvCrossError};

use super::annotations::{self, MemberAnnotations};
use super::prelude::FRAME_CBUFFER;
use super::types::Stage;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reflection {
    pub entry_point: String,
    pub stage: Stage,
    /// `[numthreads(x, y, z)]` for compute shaders.
    pub workgroup_size: Option<[u32; 3]>,
    /// Every texture, sampler, storage image and buffer, sorted by (set, binding).
    pub resources: Vec<Resource>,
    /// Every cbuffer with its member layout (the prelude's frame cbuffer included).
    pub uniform_buffers: Vec<UniformBuffer>,
    pub inputs: Vec<StageVariable>,
    pub outputs: Vec<StageVariable>,
}

impl Reflection {
    /// Names of the textures a shader reads, those of set 0 first, each set in binding order; the first is
    /// an effect's main input.
    pub fn texture_inputs(&self) -> Vec<String> {
        let textures = || self.resources.iter().filter(|r| r.kind == ResourceKind::Texture);
        textures().filter(|t| t.set == 0).chain(textures().filter(|t| t.set != 0)).map(|t| t.name.clone()).collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceKind {
    Texture,
    Sampler,
    CombinedImageSampler,
    StorageImage,
    UniformBuffer,
    StorageBuffer,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resource {
    pub name: String,
    pub kind: ResourceKind,
    pub set: u32,
    pub binding: u32,
    /// "2d", "3d", "cube", "buffer", … for images.
    pub dim: Option<String>,
    /// SPIR-V image format for storage images, lower case ("rgba8", "rgba32f"); None when unknown.
    pub format: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UniformBuffer {
    /// The cbuffer's HLSL name (SPIR-V block type name), e.g. "Params".
    pub name: String,
    pub set: u32,
    pub binding: u32,
    pub size: u32,
    pub members: Vec<Member>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Member {
    pub name: String,
    /// HLSL spelling: "float", "float3", "int2", "uint", "bool", "float4x4".
    #[serde(rename = "type")]
    pub ty: String,
    pub offset: u32,
    pub size: u32,
    pub array_len: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageVariable {
    pub name: String,
    pub location: Option<u32>,
    #[serde(rename = "type")]
    pub ty: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParamKind {
    Slider,
    Color,
    Checkbox,
    Number,
    Vector,
    Matrix,
}

/// A user-tweakable value: one member of a user cbuffer, with its annotations applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Parameter {
    pub name: String,
    /// "type" in JSON (a Rust keyword here).
    #[serde(rename = "type")]
    pub ty: String,
    pub buffer: String,
    pub offset: u32,
    pub size: u32,
    pub array_len: Option<u32>,
    /// One value per component; zeros when there is no `@default`.
    pub default: Vec<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub kind: ParamKind,
}

impl Parameter {
    /// The JSON Schema of a value an effect's `set` takes for this parameter: a boolean, a number, or a list
    /// of one number per component; `@range` gives minimum and maximum, `@default` the default.
    pub fn json_schema(&self) -> serde_json::Value {
        use serde_json::json;
        if self.ty == "bool" {
            return json!({ "type": "boolean", "default": self.default.first().is_some_and(|v| *v != 0.0) });
        }
        let whole = self.ty.starts_with("int") || self.ty.starts_with("uint");
        let mut number = json!({ "type": if whole { "integer" } else { "number" } });
        if let Some(min) = self.min {
            number["minimum"] = json!(min);
        }
        if let Some(max) = self.max {
            number["maximum"] = json!(max);
        }
        match self.default.as_slice() {
            [one] => {
                number["default"] = json!(one);
                number
            }
            many => json!({
                "type": "array", "items": number, "minItems": many.len(), "maxItems": many.len(), "default": many
            }),
        }
    }
}

/// Reflects `spirv`; `source` is the user's HLSL, read only for `@range/@default/@color` annotations.
pub fn reflect(spirv: &[u32], stage: Stage, source: &str) -> Result<(Reflection, Vec<Parameter>), String> {
    let annotations = annotations::parse(source)?;
    let mut compiler = Compiler::<targets::None>::new(Module::from_words(spirv)).map_err(cross_error)?;
    let entry_point = select_entry_point(&mut compiler, stage)?;

    let workgroup_size = if stage == Stage::Compute {
        match compiler.execution_mode_arguments(spirv::ExecutionMode::LocalSize).map_err(cross_error)? {
            Some(ExecutionModeArguments::LocalSize { x, y, z }) => Some([x, y, z]),
            _ => None,
        }
    } else {
        None
    };

    let all = compiler.shader_resources().map_err(cross_error)?.all_resources().map_err(cross_error)?;
    let mut resources = Vec::new();
    for r in &all.separate_images {
        let image = image_type(&compiler, r.base_type_id)?;
        resources.push(resource(&compiler, r.id, r.name.to_string(), ResourceKind::Texture, image.as_ref())?);
    }
    for r in &all.separate_samplers {
        resources.push(resource(&compiler, r.id, r.name.to_string(), ResourceKind::Sampler, None)?);
    }
    for r in &all.sampled_images {
        let image = image_type(&compiler, r.base_type_id)?;
        let kind = ResourceKind::CombinedImageSampler;
        resources.push(resource(&compiler, r.id, r.name.to_string(), kind, image.as_ref())?);
    }
    for r in &all.storage_images {
        let image = image_type(&compiler, r.base_type_id)?;
        let mut res = resource(&compiler, r.id, r.name.to_string(), ResourceKind::StorageImage, image.as_ref())?;
        if let Some(dim) = res.dim.as_mut() {
            if storage_image_is_arrayed(spirv, r.base_type_id.id()) {
                dim.push_str("_array");
            }
        }
        resources.push(res);
    }
    for r in &all.storage_buffers {
        let name = block_name(&compiler, r.id, r.base_type_id, r.name.as_ref())?;
        resources.push(resource(&compiler, r.id, name, ResourceKind::StorageBuffer, None)?);
    }
    let mut uniform_buffers = Vec::new();
    for r in &all.uniform_buffers {
        let name = block_name(&compiler, r.id, r.base_type_id, r.name.as_ref())?;
        let res = resource(&compiler, r.id, name.clone(), ResourceKind::UniformBuffer, None)?;
        let ty = compiler.type_description(r.base_type_id).map_err(cross_error)?;
        let TypeInner::Struct(block) = ty.inner else {
            return Err(format!("uniform buffer '{name}' is not a struct in the SPIR-V"));
        };
        let mut members = Vec::with_capacity(block.members.len());
        for m in &block.members {
            let member_name = m.name.as_ref().map_or_else(|| format!("_m{}", m.index), |n| n.to_string());
            let (mut ty, array_len) = hlsl_type(&compiler, m.id)?;
            // SPIR-V has no bool in uniform blocks (glslang and DXC both store uint); the source knows better.
            if let Some(ann) = annotations.member(&name, &member_name) {
                let as_bool = ty.replacen("uint", "bool", 1).replacen("int", "bool", 1);
                if ann.declared_type == as_bool {
                    ty = as_bool;
                }
            }
            members.push(Member {
                name: member_name,
                ty,
                offset: m.offset,
                size: to_u32(m.size, "member size")?,
                array_len,
            });
        }
        uniform_buffers.push(UniformBuffer {
            name,
            set: res.set,
            binding: res.binding,
            size: to_u32(block.size, "uniform buffer size")?,
            members,
        });
        resources.push(res);
    }
    resources.sort_by(|a, b| (a.set, a.binding, &a.name).cmp(&(b.set, b.binding, &b.name)));
    uniform_buffers.sort_by(|a, b| (a.set, a.binding, &a.name).cmp(&(b.set, b.binding, &b.name)));

    let inputs = stage_variables(&compiler, &all.stage_inputs)?;
    let outputs = stage_variables(&compiler, &all.stage_outputs)?;

    let mut parameters = Vec::new();
    for ub in uniform_buffers.iter().filter(|ub| ub.name != FRAME_CBUFFER) {
        for m in &ub.members {
            let none = MemberAnnotations::default();
            let ann = annotations.member(&ub.name, &m.name).unwrap_or(&none);
            if let Some(p) = parameter(&ub.name, m, ann)? {
                parameters.push(p);
            }
        }
    }

    let reflection = Reflection { entry_point, stage, workgroup_size, resources, uniform_buffers, inputs, outputs };
    Ok((reflection, parameters))
}

pub(crate) fn cross_error(e: SpirvCrossError) -> String {
    format!("SPIRV-Cross: {e}")
}

pub(crate) fn execution_model(stage: Stage) -> spirv::ExecutionModel {
    match stage {
        Stage::Pixel => spirv::ExecutionModel::Fragment,
        Stage::Vertex => spirv::ExecutionModel::Vertex,
        Stage::Compute => spirv::ExecutionModel::GLCompute,
    }
}

/// Makes the module's `stage` entry point the current one (reflection follows it) and returns its name.
pub(crate) fn select_entry_point<T>(compiler: &mut Compiler<T>, stage: Stage) -> Result<String, String> {
    let model = execution_model(stage);
    let entries: Vec<(String, spirv::ExecutionModel)> =
        compiler.entry_points().map_err(cross_error)?.map(|e| (e.name.to_string(), e.execution_model)).collect();
    let Some((name, _)) = entries.iter().find(|(_, m)| *m == model) else {
        let found: Vec<String> = entries.iter().map(|(n, m)| format!("{n} ({m:?})")).collect();
        return Err(format!("the SPIR-V has no {stage} entry point (found: {})", found.join(", ")));
    };
    compiler.set_entry_point(name.as_str(), model).map_err(cross_error)?;
    Ok(name.clone())
}

/// The HLSL name of a cbuffer or structured buffer: glslang leaves the variable unnamed and names the block
/// type after the cbuffer; DXC names the variable and calls the type `type.<name>`.
pub(crate) fn block_name<T>(
    compiler: &Compiler<T>,
    var: Handle<VariableId>,
    base_type: Handle<TypeId>,
    fallback: &str,
) -> Result<String, String> {
    if let Some(name) = compiler.name(var).map_err(cross_error)? {
        return Ok(name.to_string());
    }
    let ty = compiler.type_description(base_type).map_err(cross_error)?;
    Ok(match ty.name {
        Some(name) => {
            let name = name.to_string();
            name.strip_prefix("type.").map(str::to_owned).unwrap_or(name)
        }
        None => fallback.to_owned(),
    })
}

pub(crate) fn literal<T>(
    compiler: &Compiler<T>,
    var: Handle<VariableId>,
    decoration: spirv::Decoration,
) -> Result<Option<u32>, String> {
    Ok(compiler.decoration(var, decoration).map_err(cross_error)?.as_ref().and_then(DecorationValue::as_literal))
}

fn resource<T>(
    compiler: &Compiler<T>,
    var: Handle<VariableId>,
    name: String,
    kind: ResourceKind,
    image: Option<&ImageType>,
) -> Result<Resource, String> {
    let set = literal(compiler, var, spirv::Decoration::DescriptorSet)?.unwrap_or(0);
    let binding = literal(compiler, var, spirv::Decoration::Binding)?.unwrap_or(0);
    let format = match image.map(|i| &i.class) {
        Some(ImageClass::Storage { format }) if *format != spirv::ImageFormat::Unknown => {
            Some(format!("{format:?}").to_lowercase())
        }
        _ => None,
    };
    Ok(Resource { name, kind, set, binding, dim: image.map(image_dim), format })
}

fn image_type<T>(compiler: &Compiler<T>, ty: Handle<TypeId>) -> Result<Option<ImageType>, String> {
    match compiler.type_description(ty).map_err(cross_error)?.inner {
        TypeInner::Image(image) => Ok(Some(image)),
        _ => Ok(None),
    }
}

fn image_dim(image: &ImageType) -> String {
    let mut dim = match image.dimension {
        spirv::Dim::Dim1D => "1d".to_owned(),
        spirv::Dim::Dim2D => "2d".to_owned(),
        spirv::Dim::Dim3D => "3d".to_owned(),
        spirv::Dim::DimCube => "cube".to_owned(),
        spirv::Dim::DimRect => "rect".to_owned(),
        spirv::Dim::DimBuffer => "buffer".to_owned(),
        spirv::Dim::DimSubpassData => "subpass".to_owned(),
        other => format!("{other:?}").to_lowercase(),
    };
    let (multisampled, arrayed) = match image.class {
        ImageClass::Sampled { multisampled, arrayed, .. } | ImageClass::Texture { multisampled, arrayed } => {
            (multisampled, arrayed)
        }
        ImageClass::Storage { .. } => (false, false),
    };
    if multisampled {
        dim.push_str("_ms");
    }
    if arrayed {
        dim.push_str("_array");
    }
    dim
}

/// SPIRV-Cross's storage image reflection drops the `Arrayed` operand, so read it from `OpTypeImage` itself.
fn storage_image_is_arrayed(spirv: &[u32], type_id: u32) -> bool {
    const OP_TYPE_IMAGE: u32 = 25;
    // Skip the 5-word module header, then walk instructions by their word counts.
    let mut at = 5;
    while at < spirv.len() {
        let count = (spirv[at] >> 16) as usize;
        if count == 0 {
            return false;
        }
        let op = spirv[at] & 0xffff;
        // OpTypeImage: result, sampled type, dim, depth, arrayed, …
        if op == OP_TYPE_IMAGE && spirv.get(at + 1) == Some(&type_id) {
            return spirv.get(at + 5).is_some_and(|&arrayed| arrayed == 1);
        }
        at += count;
    }
    false
}

fn scalar_name(scalar: &Scalar) -> &'static str {
    match (scalar.kind, scalar.size) {
        (ScalarKind::Float, BitWidth::HalfWord) => "half",
        (ScalarKind::Float, BitWidth::DoubleWord) => "double",
        (ScalarKind::Float, _) => "float",
        (ScalarKind::Int, BitWidth::HalfWord) => "int16_t",
        (ScalarKind::Int, BitWidth::DoubleWord) => "int64_t",
        (ScalarKind::Int, _) => "int",
        (ScalarKind::Uint, BitWidth::HalfWord) => "uint16_t",
        (ScalarKind::Uint, BitWidth::DoubleWord) => "uint64_t",
        (ScalarKind::Uint, _) => "uint",
        (ScalarKind::Bool, _) => "bool",
    }
}

/// HLSL spelling of a type and, for arrays, the total element count.
fn hlsl_type<T>(compiler: &Compiler<T>, ty: Handle<TypeId>) -> Result<(String, Option<u32>), String> {
    let desc = compiler.type_description(ty).map_err(cross_error)?;
    Ok(match desc.inner {
        TypeInner::Scalar(s) => (scalar_name(&s).to_owned(), None),
        TypeInner::Vector { width, scalar } => (format!("{}{width}", scalar_name(&scalar)), None),
        // Both HLSL front ends turn `floatRxC` into R SPIR-V columns of C-vectors, so columns come first.
        TypeInner::Matrix { columns, rows, scalar } => (format!("{}{columns}x{rows}", scalar_name(&scalar)), None),
        TypeInner::Array { base, dimensions, .. } => {
            let (elem, _) = hlsl_type(compiler, base)?;
            let len = dimensions.iter().try_fold(1u32, |acc, d| match d {
                ArrayDimension::Literal(n) => acc.checked_mul(*n),
                // Sized by a specialization constant: no static length to report.
                ArrayDimension::Constant(_) => None,
            });
            (elem, len)
        }
        TypeInner::Struct(_) => (desc.name.map_or_else(|| "struct".to_owned(), |n| n.to_string()), None),
        TypeInner::Image(_) => ("texture".to_owned(), None),
        TypeInner::Sampler => ("sampler".to_owned(), None),
        _ => ("unknown".to_owned(), None),
    })
}

fn stage_variables<T>(
    compiler: &Compiler<T>,
    vars: &[spirv_cross2::reflect::Resource<'_>],
) -> Result<Vec<StageVariable>, String> {
    let mut out = Vec::with_capacity(vars.len());
    for v in vars {
        let (mut ty, array_len) = hlsl_type(compiler, v.base_type_id)?;
        if let Some(n) = array_len {
            ty = format!("{ty}[{n}]");
        }
        let location = literal(compiler, v.id, spirv::Decoration::Location)?;
        out.push(StageVariable { name: v.name.to_string(), location, ty });
    }
    out.sort_by(|a, b| (a.location, &a.name).cmp(&(b.location, &b.name)));
    Ok(out)
}

fn to_u32(value: usize, what: &str) -> Result<u32, String> {
    u32::try_from(value).map_err(|_| format!("{what} {value} does not fit in 32 bits"))
}

/// Splits an HLSL numeric type name into its scalar and shape: "float" → (float, 1, 1), "float3" →
/// (float, 3, 1), "float4x4" → (float, 4, 4). None for structs and other non-numeric types.
fn shape(ty: &str) -> Option<(&str, u32, u32)> {
    const BASES: [&str; 10] =
        ["uint16_t", "uint64_t", "int16_t", "int64_t", "double", "float", "half", "uint", "bool", "int"];
    let base = BASES.iter().find(|b| ty.starts_with(**b))?;
    let rest = &ty[base.len()..];
    if rest.is_empty() {
        return Some((base, 1, 1));
    }
    match rest.split_once('x') {
        Some((r, c)) => Some((base, r.parse().ok()?, c.parse().ok()?)),
        None => Some((base, rest.parse().ok()?, 1)),
    }
}

/// One user cbuffer member as a parameter; None for members that are not numbers (nested structs).
fn parameter(buffer: &str, m: &Member, ann: &MemberAnnotations) -> Result<Option<Parameter>, String> {
    let Some((base, rows, cols)) = shape(&m.ty) else {
        return Ok(None);
    };
    let name = &m.name;
    let ty = &m.ty;
    let per_element = (rows * cols) as usize;
    let elements = m.array_len.unwrap_or(1) as usize;
    let is_float = matches!(base, "float" | "half" | "double");
    let scalar = rows == 1 && cols == 1;

    let kind = if ann.color {
        if !(is_float && cols == 1 && (rows == 3 || rows == 4)) {
            return Err(format!("parameter '{name}': @color needs a float3 or float4, not {ty}"));
        }
        ParamKind::Color
    } else if ann.checkbox || (base == "bool" && scalar) {
        if !scalar || is_float {
            return Err(format!("parameter '{name}': @checkbox needs a bool, int or uint, not {ty}"));
        }
        ParamKind::Checkbox
    } else if cols > 1 {
        ParamKind::Matrix
    } else if rows > 1 {
        ParamKind::Vector
    } else if ann.range.is_some() {
        ParamKind::Slider
    } else {
        ParamKind::Number
    };

    let default = match &ann.default {
        None => vec![0.0; per_element * elements],
        Some(values) if values.len() == per_element * elements && elements > 1 => values.clone(),
        Some(values) => {
            let element: Vec<f64> = if values.len() == per_element {
                values.clone()
            } else if values.len() == 1 {
                vec![values[0]; per_element]
            } else if kind == ParamKind::Color && per_element == 4 && values.len() == 3 {
                // An RGB default for an RGBA colour means opaque.
                values.iter().copied().chain([1.0]).collect()
            } else {
                let mut counts = vec![1, per_element, per_element * elements];
                counts.dedup();
                let expected: Vec<String> = counts.iter().map(usize::to_string).collect();
                return Err(format!(
                    "parameter '{name}': @default expects {} values for {ty}{}, got {}",
                    expected.join(" or "),
                    m.array_len.map(|n| format!("[{n}]")).unwrap_or_default(),
                    values.len()
                ));
            };
            element.repeat(elements)
        }
    };

    Ok(Some(Parameter {
        name: name.clone(),
        ty: ty.clone(),
        buffer: buffer.to_owned(),
        offset: m.offset,
        size: m.size,
        array_len: m.array_len,
        default,
        min: ann.range.map(|r| r.0),
        max: ann.range.map(|r| r.1),
        kind,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shader::test_support::{self, spirv_for, spirv_with, COMPUTE_EXAMPLE, PIXEL_EXAMPLE};

    fn find<'a>(r: &'a Reflection, name: &str) -> &'a Resource {
        r.resources.iter().find(|x| x.name == name).unwrap_or_else(|| panic!("no resource {name}: {:#?}", r.resources))
    }

    fn param<'a>(ps: &'a [Parameter], name: &str) -> &'a Parameter {
        ps.iter().find(|p| p.name == name).unwrap_or_else(|| panic!("no parameter {name}: {ps:#?}"))
    }

    #[test]
    fn pixel_example_resources_buffers_and_parameters() {
        let spirv = spirv_for(PIXEL_EXAMPLE, Stage::Pixel);
        let (r, params) = reflect(&spirv, Stage::Pixel, PIXEL_EXAMPLE).unwrap();
        assert_eq!(r.entry_point, "main");
        assert_eq!(r.stage, Stage::Pixel);
        assert_eq!(r.workgroup_size, None);

        let input = find(&r, "input");
        assert_eq!((input.kind, input.set, input.binding), (ResourceKind::Texture, 0, 16));
        assert_eq!(input.dim.as_deref(), Some("2d"));
        assert_eq!(input.format, None);
        let sampler = find(&r, "input_sampler");
        assert_eq!((sampler.kind, sampler.set, sampler.binding), (ResourceKind::Sampler, 0, 32));
        let params_res = find(&r, "Params");
        assert_eq!((params_res.kind, params_res.set, params_res.binding), (ResourceKind::UniformBuffer, 0, 0));
        // glslang drops cbuffers the shader never reads, so the unused frame cbuffer is gone here.
        let order: Vec<&str> = r.resources.iter().map(|x| x.name.as_str()).collect();
        assert_eq!(order, ["Params", "input", "input_sampler"]);

        let ub = r.uniform_buffers.iter().find(|u| u.name == "Params").expect("Params cbuffer");
        assert_eq!((ub.set, ub.binding, ub.size), (0, 0, 16));
        assert_eq!(
            ub.members,
            vec![
                Member { name: "strength".into(), ty: "float".into(), offset: 0, size: 4, array_len: None },
                // HLSL packing: a float3 fits after a float in the same 16-byte register.
                Member { name: "tint".into(), ty: "float3".into(), offset: 4, size: 12, array_len: None },
            ]
        );

        assert_eq!(params.len(), 2, "{params:#?}");
        let strength = param(&params, "strength");
        assert_eq!(strength.kind, ParamKind::Slider);
        assert_eq!((strength.min, strength.max), (Some(0.0), Some(1.0)));
        assert_eq!(strength.default, vec![0.5]);
        assert_eq!((strength.buffer.as_str(), strength.offset, strength.size), ("Params", 0, 4));
        let tint = param(&params, "tint");
        assert_eq!(tint.kind, ParamKind::Color);
        assert_eq!(tint.default, vec![1.0, 0.0, 0.0]);
        assert_eq!((tint.ty.as_str(), tint.offset, tint.min), ("float3", 4, None));

        assert_eq!(r.inputs, vec![StageVariable { name: "uv".into(), location: Some(0), ty: "float2".into() }]);
        assert_eq!(r.outputs.len(), 1);
        assert_eq!((r.outputs[0].location, r.outputs[0].ty.as_str()), (Some(0), "float4"));
    }

    #[test]
    fn frame_cbuffer_is_reflected_but_is_not_a_parameter() {
        let src = PIXEL_EXAMPLE.replace("strength); }", "strength) * time; }");
        for level in [shaderc::OptimizationLevel::Zero, shaderc::OptimizationLevel::Performance] {
            let spirv = spirv_with(&src, Stage::Pixel, level);
            let (r, params) = reflect(&spirv, Stage::Pixel, &src).unwrap();
            let frame = r.uniform_buffers.iter().find(|u| u.name == FRAME_CBUFFER).expect("frame cbuffer");
            let members: Vec<(&str, &str, u32)> =
                frame.members.iter().map(|m| (m.name.as_str(), m.ty.as_str(), m.offset)).collect();
            assert_eq!(
                members,
                [("time", "float", 0), ("frame", "uint", 4), ("resolution", "float2", 8), ("mouse", "float4", 16)]
            );
            assert_eq!((frame.set, frame.binding, frame.size), (1, 0, 32));
            // Sorted by (set, binding, name).
            let order: Vec<&str> = r.resources.iter().map(|x| x.name.as_str()).collect();
            assert_eq!(order, ["Params", "input", "input_sampler", FRAME_CBUFFER]);
            let names: Vec<&str> = params.iter().map(|p| p.name.as_str()).collect();
            assert_eq!(names, ["strength", "tint"]);
        }
    }

    #[test]
    fn compute_example_workgroup_and_storage_image() {
        let spirv = spirv_for(COMPUTE_EXAMPLE, Stage::Compute);
        let (r, params) = reflect(&spirv, Stage::Compute, COMPUTE_EXAMPLE).unwrap();
        assert_eq!(r.workgroup_size, Some([8, 8, 1]));
        let output = find(&r, "output");
        assert_eq!((output.kind, output.set, output.binding), (ResourceKind::StorageImage, 0, 48));
        assert_eq!(output.dim.as_deref(), Some("2d"));
        assert_eq!(output.format.as_deref(), Some("rgba32f"));
        let input = find(&r, "input");
        assert_eq!((input.kind, input.binding), (ResourceKind::Texture, 16));
        assert!(r.resources.iter().all(|x| x.kind != ResourceKind::Sampler), "{:#?}", r.resources);
        assert!(r.inputs.is_empty() && r.outputs.is_empty());
        assert!(params.is_empty(), "{params:#?}");
    }

    #[test]
    fn compute_buffers_and_image_formats() {
        let src = "StructuredBuffer<float4> weights;\nRWStructuredBuffer<uint> counts;\n[[spv::format_rgba8]] RWTexture2D<float4> dest;\nRWTexture2DArray<float> depth;\n\
            [numthreads(16, 4, 2)] void main(uint3 id : SV_DispatchThreadID) {\n\
                counts[id.x] = 1; dest[id.xy] = weights[id.x]; depth[id] = weights[0].x;\n\
            }\n";
        let spirv = spirv_for(src, Stage::Compute);
        let (r, _) = reflect(&spirv, Stage::Compute, src).unwrap();
        assert_eq!(r.workgroup_size, Some([16, 4, 2]));
        let weights = find(&r, "weights");
        assert_eq!(weights.kind, ResourceKind::StorageBuffer);
        let counts = find(&r, "counts");
        assert_eq!(counts.kind, ResourceKind::StorageBuffer);
        let dest = find(&r, "dest");
        assert_eq!(
            (dest.kind, dest.format.as_deref(), dest.dim.as_deref()),
            (ResourceKind::StorageImage, Some("rgba8"), Some("2d"))
        );
        let depth = find(&r, "depth");
        assert_eq!(
            (depth.kind, depth.format.as_deref(), depth.dim.as_deref()),
            (ResourceKind::StorageImage, Some("r32f"), Some("2d_array"))
        );
        assert_eq!((weights.binding, counts.binding, dest.binding, depth.binding), (16, 48, 49, 50));
    }

    #[test]
    fn reflection_fails_cleanly_for_the_wrong_stage_or_garbage() {
        let spirv = spirv_for(COMPUTE_EXAMPLE, Stage::Compute);
        let err = reflect(&spirv, Stage::Pixel, COMPUTE_EXAMPLE).unwrap_err();
        assert!(err.contains("no pixel entry point") && err.contains("main (GLCompute)"), "{err}");
        assert!(reflect(&[1, 2, 3], Stage::Pixel, "").is_err());
    }

    #[test]
    fn parameter_kinds_defaults_and_layouts() {
        let src = "cbuffer Settings : register(b1) {\n\
            // @checkbox @default(true)\n\
            bool enabled;\n\
            float a, b; // @range(-1, 1) @default(0.25)\n\
            float weights[4]; // @default(0.1, 0.2, 0.3, 0.4)\n\
            float4 fill; // @color @default(0, 0.5, 1)\n\
            int count; // @default(3)\n\
            uint2 size; // @default(7)\n\
            float4x4 xf;\n\
            float3x3 basis; /* @default(1,0,0, 0,1,0, 0,0,1) */\n\
            bool2 mask;\n\
        };\n\
        float4 main(float2 uv : TEXCOORD) : SV_Target {\n\
            float4 c = tex2D(input, uv) * fill * (a + b + weights[2] + count + size.x);\n\
            if (enabled && mask.y) c = mul(xf, c) + float4(mul(basis, c.rgb), 0);\n\
            return c;\n\
        }\n";
        let spirv = spirv_for(src, Stage::Pixel);
        let (r, params) = reflect(&spirv, Stage::Pixel, src).unwrap();
        let ub = r.uniform_buffers.iter().find(|u| u.name == "Settings").expect("Settings");
        assert_eq!((ub.set, ub.binding), (0, 1));
        let types: Vec<(&str, &str, Option<u32>)> =
            ub.members.iter().map(|m| (m.name.as_str(), m.ty.as_str(), m.array_len)).collect();
        assert_eq!(
            types,
            [
                ("enabled", "bool", None),
                ("a", "float", None),
                ("b", "float", None),
                ("weights", "float", Some(4)),
                ("fill", "float4", None),
                ("count", "int", None),
                ("size", "uint2", None),
                ("xf", "float4x4", None),
                ("basis", "float3x3", None),
                ("mask", "bool2", None),
            ]
        );
        let weights = ub.members.iter().find(|m| m.name == "weights").expect("weights");
        // Every array element starts a new 16-byte register.
        assert_eq!(weights.size, 64);

        let names: Vec<&str> = params.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["enabled", "a", "b", "weights", "fill", "count", "size", "xf", "basis", "mask"]);
        let enabled = param(&params, "enabled");
        assert_eq!((enabled.kind, enabled.default.clone()), (ParamKind::Checkbox, vec![1.0]));
        for name in ["a", "b"] {
            let p = param(&params, name);
            assert_eq!(
                (p.kind, p.min, p.max, p.default.clone()),
                (ParamKind::Slider, Some(-1.0), Some(1.0), vec![0.25])
            );
        }
        let w = param(&params, "weights");
        assert_eq!((w.kind, w.array_len, w.default.clone()), (ParamKind::Number, Some(4), vec![0.1, 0.2, 0.3, 0.4]));
        let fill = param(&params, "fill");
        assert_eq!((fill.kind, fill.default.clone()), (ParamKind::Color, vec![0.0, 0.5, 1.0, 1.0]));
        let count = param(&params, "count");
        assert_eq!((count.kind, count.default.clone()), (ParamKind::Number, vec![3.0]));
        let size = param(&params, "size");
        assert_eq!((size.kind, size.default.clone()), (ParamKind::Vector, vec![7.0, 7.0]));
        let xf = param(&params, "xf");
        assert_eq!((xf.kind, xf.default.len(), xf.size), (ParamKind::Matrix, 16, 64));
        let basis = param(&params, "basis");
        assert_eq!(basis.kind, ParamKind::Matrix);
        assert_eq!(basis.default, vec![1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]);
        let mask = param(&params, "mask");
        assert_eq!((mask.kind, mask.default.clone()), (ParamKind::Vector, vec![0.0, 0.0]));
    }

    #[test]
    fn bad_annotations_are_errors_naming_the_parameter() {
        let bad_range = "cbuffer P { float radius; // @range(1)\n};\nfloat4 main(float2 uv : TEXCOORD) : SV_Target { return tex2D(input, uv) * radius; }";
        let spirv = spirv_for(bad_range, Stage::Pixel);
        assert_eq!(
            reflect(&spirv, Stage::Pixel, bad_range).unwrap_err(),
            "parameter 'radius': @range expects two numbers, got '1'"
        );
        let bad_default = "cbuffer P { float3 tint; // @default(1, 2)\n};\nfloat4 main(float2 uv : TEXCOORD) : SV_Target { return tex2D(input, uv) * tint.x; }";
        let spirv = spirv_for(bad_default, Stage::Pixel);
        assert_eq!(
            reflect(&spirv, Stage::Pixel, bad_default).unwrap_err(),
            "parameter 'tint': @default expects 1 or 3 values for float3, got 2"
        );
        let bad_color = "cbuffer P { float amount; // @color\n};\nfloat4 main(float2 uv : TEXCOORD) : SV_Target { return tex2D(input, uv) * amount; }";
        let spirv = spirv_for(bad_color, Stage::Pixel);
        let err = reflect(&spirv, Stage::Pixel, bad_color).unwrap_err();
        assert_eq!(err, "parameter 'amount': @color needs a float3 or float4, not float");
    }

    #[test]
    fn combined_image_samplers_are_reflected() {
        // glslang's HLSL path only makes combined samplers in DX9 mode, which shaderc's options cannot reach,
        // so take them from GLSL, the other common way such SPIR-V arrives.
        let spirv = test_support::spirv_from_glsl(test_support::COMBINED_GLSL);
        let (r, params) = reflect(&spirv, Stage::Pixel, "").unwrap();
        assert_eq!(
            r.resources,
            vec![
                Resource {
                    name: "image".into(),
                    kind: ResourceKind::CombinedImageSampler,
                    set: 0,
                    binding: 16,
                    dim: Some("2d".into()),
                    format: None,
                },
                Resource {
                    name: "layers".into(),
                    kind: ResourceKind::CombinedImageSampler,
                    set: 0,
                    binding: 17,
                    dim: Some("2d_array".into()),
                    format: None,
                },
            ]
        );
        assert!(params.is_empty());
    }

    #[test]
    fn reflection_round_trips_through_json() {
        let spirv = spirv_for(PIXEL_EXAMPLE, Stage::Pixel);
        let (r, params) = reflect(&spirv, Stage::Pixel, PIXEL_EXAMPLE).unwrap();
        let json = serde_json::to_string(&(&r, &params)).unwrap();
        assert!(json.contains("\"kind\":\"combined_image_sampler\"") || json.contains("\"kind\":\"texture\""));
        let back: (Reflection, Vec<Parameter>) = serde_json::from_str(&json).unwrap();
        assert_eq!(back, (r, params));
    }

    #[test]
    fn a_parameters_schema_carries_its_range_default_and_shape() {
        let parameter = |ty: &str, default: Vec<f64>, range: Option<(f64, f64)>| Parameter {
            name: "p".into(),
            ty: ty.into(),
            buffer: "Params".into(),
            offset: 0,
            size: 4,
            array_len: None,
            default,
            min: range.map(|r| r.0),
            max: range.map(|r| r.1),
            kind: ParamKind::Slider,
        };
        let strength = parameter("float", vec![0.5], Some((0.0, 1.0))).json_schema();
        assert_eq!(strength, serde_json::json!({"type": "number", "minimum": 0.0, "maximum": 1.0, "default": 0.5}));
        let levels = parameter("int", vec![4.0], Some((2.0, 32.0))).json_schema();
        assert_eq!((levels["type"].as_str(), levels["maximum"].as_f64()), (Some("integer"), Some(32.0)));
        let tint = parameter("float3", vec![1.0, 0.0, 0.0], None).json_schema();
        assert_eq!(tint["type"], "array");
        assert_eq!((tint["minItems"].as_u64(), tint["maxItems"].as_u64()), (Some(3), Some(3)));
        assert_eq!(tint["items"], serde_json::json!({"type": "number"}));
        assert_eq!(
            parameter("bool", vec![1.0], None).json_schema(),
            serde_json::json!({"type": "boolean", "default": true})
        );
    }
}
