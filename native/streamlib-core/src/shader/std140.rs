//! Re-lays out uniform blocks (cbuffers) to std140 offsets in SPIR-V.
//!
//! glslang's HLSL front end always uses HLSL packing (a `float3` may sit at offset 4). Vulkan accepts that,
//! but naga — wgpu's SPIR-V front end — rejects it. Shader code reaches members by index, never by byte
//! offset, so moving members changes only the memory layout; parameters are packed from the offsets
//! reflected afterwards, so every consumer agrees.

use std::collections::HashMap;

const HEADER_WORDS: usize = 5;
const OP_TYPE_INT: u32 = 21;
const OP_TYPE_FLOAT: u32 = 22;
const OP_TYPE_VECTOR: u32 = 23;
const OP_TYPE_MATRIX: u32 = 24;
const OP_TYPE_ARRAY: u32 = 28;
const OP_TYPE_STRUCT: u32 = 30;
const OP_TYPE_BOOL: u32 = 20;
const OP_CONSTANT: u32 = 43;
const OP_DECORATE: u32 = 71;
const OP_MEMBER_DECORATE: u32 = 72;
const DECORATION_BLOCK: u32 = 2;
const DECORATION_ARRAY_STRIDE: u32 = 6;
const DECORATION_MATRIX_STRIDE: u32 = 7;
const DECORATION_OFFSET: u32 = 35;

#[derive(Clone, Copy)]
enum Ty {
    Scalar,
    Vector(u32),
    Matrix { columns: u32 },
    Array { element: u32, length: u32 },
    Struct,
    Other,
}

/// Rewrites `Offset`/`ArrayStride` of every `Block` struct (and structs nested in one) to std140.
pub fn relayout_uniform_blocks(spirv: &mut [u32]) -> Result<(), String> {
    if spirv.len() < HEADER_WORDS || spirv[0] != 0x0723_0203 {
        return Err("not a SPIR-V module (bad magic number)".to_owned());
    }
    let mut types: HashMap<u32, Ty> = HashMap::new();
    let mut struct_members: HashMap<u32, Vec<u32>> = HashMap::new();
    let mut constants: HashMap<u32, u32> = HashMap::new();
    let mut blocks: Vec<u32> = Vec::new();
    let mut at = HEADER_WORDS;
    let mut instructions = Vec::new();
    while at < spirv.len() {
        let count = (spirv[at] >> 16) as usize;
        if count == 0 || at + count > spirv.len() {
            return Err(format!("malformed SPIR-V instruction at word {at}"));
        }
        let op = spirv[at] & 0xffff;
        let words = &spirv[at..at + count];
        match op {
            OP_TYPE_INT | OP_TYPE_FLOAT | OP_TYPE_BOOL if count >= 2 => {
                types.insert(words[1], Ty::Scalar);
            }
            OP_TYPE_VECTOR if count >= 4 => {
                types.insert(words[1], Ty::Vector(words[3]));
            }
            OP_TYPE_MATRIX if count >= 4 => {
                types.insert(words[1], Ty::Matrix { columns: words[3] });
            }
            OP_TYPE_ARRAY if count >= 4 => {
                types.insert(words[1], Ty::Array { element: words[2], length: words[3] });
            }
            OP_TYPE_STRUCT if count >= 2 => {
                types.insert(words[1], Ty::Struct);
                struct_members.insert(words[1], words[2..].to_vec());
            }
            OP_CONSTANT if count >= 4 => {
                constants.insert(words[2], words[3]);
            }
            OP_DECORATE if count >= 3 && words[2] == DECORATION_BLOCK => blocks.push(words[1]),
            _ => {}
        }
        if (20..=39).contains(&op) && !types.contains_key(&words.get(1).copied().unwrap_or(0)) {
            types.insert(words.get(1).copied().unwrap_or(0), Ty::Other);
        }
        instructions.push((op, at, count));
        at += count;
    }

    let layout = Layout { types: &types, members: &struct_members, constants: &constants };
    // (struct, member) → new offset; array type → new stride.
    let mut offsets: HashMap<(u32, u32), u32> = HashMap::new();
    let mut strides: HashMap<u32, u32> = HashMap::new();
    for block in &blocks {
        layout.plan_struct(*block, &mut offsets, &mut strides)?;
    }
    for (op, at, count) in instructions {
        let words = &mut spirv[at..at + count];
        if op == OP_MEMBER_DECORATE && count >= 5 && words[3] == DECORATION_OFFSET {
            if let Some(offset) = offsets.get(&(words[1], words[2])) {
                words[4] = *offset;
            }
        } else if op == OP_DECORATE && count >= 4 && words[2] == DECORATION_ARRAY_STRIDE {
            if let Some(stride) = strides.get(&words[1]) {
                words[3] = *stride;
            }
        } else if op == OP_MEMBER_DECORATE && count >= 5 && words[3] == DECORATION_MATRIX_STRIDE {
            words[4] = 16;
        }
    }
    Ok(())
}

struct Layout<'a> {
    types: &'a HashMap<u32, Ty>,
    members: &'a HashMap<u32, Vec<u32>>,
    constants: &'a HashMap<u32, u32>,
}

impl Layout<'_> {
    /// (alignment, size) of a type under std140.
    fn size_align(
        &self,
        ty: u32,
        strides: &mut HashMap<u32, u32>,
        offsets: &mut HashMap<(u32, u32), u32>,
    ) -> Result<(u32, u32), String> {
        match self.types.get(&ty).copied().unwrap_or(Ty::Other) {
            Ty::Scalar => Ok((4, 4)),
            Ty::Vector(n) => Ok((if n == 2 { 8 } else { 16 }, 4 * n)),
            Ty::Matrix { columns } => Ok((16, 16 * columns)),
            Ty::Array { element, length } => {
                let count = *self.constants.get(&length).ok_or("array length is not a plain constant")?;
                let (align, size) = self.size_align(element, strides, offsets)?;
                let stride = size.div_ceil(16.max(align)) * 16.max(align);
                strides.insert(ty, stride);
                Ok((16, stride * count))
            }
            Ty::Struct => {
                let size = self.plan_struct(ty, offsets, strides)?;
                Ok((16, size.div_ceil(16) * 16))
            }
            Ty::Other => Err(format!("cannot lay out type %{ty} in a cbuffer")),
        }
    }

    fn plan_struct(
        &self,
        ty: u32,
        offsets: &mut HashMap<(u32, u32), u32>,
        strides: &mut HashMap<u32, u32>,
    ) -> Result<u32, String> {
        let members = self.members.get(&ty).cloned().unwrap_or_default();
        let mut end: u32 = 0;
        for (index, member) in members.iter().enumerate() {
            let (align, size) = self.size_align(*member, strides, offsets)?;
            let offset = end.div_ceil(align) * align;
            offsets.insert((ty, index as u32), offset);
            end = offset + size;
        }
        Ok(end)
    }
}

#[cfg(test)]
mod tests {
    use crate::shader::reflect::reflect;
    use crate::shader::test_support::spirv_for;
    use crate::shader::Stage;

    #[test]
    fn hlsl_packing_becomes_std140() {
        let source = "cbuffer Params { float a; float3 b; float2 c; float d[3]; float e; };\n\
                      float4 main(float2 uv : TEXCOORD) : SV_Target { return float4(b, a) + c.xyxy + d[1] + e; }";
        let mut spirv = spirv_for(source, Stage::Pixel);
        let (before, _) = reflect(&spirv, Stage::Pixel, source).unwrap();
        let offsets = |r: &crate::shader::Reflection| {
            r.uniform_buffers
                .iter()
                .find(|b| b.name == "Params")
                .unwrap()
                .members
                .iter()
                .map(|m| (m.name.clone(), m.offset))
                .collect::<Vec<_>>()
        };
        assert_eq!(offsets(&before)[1], ("b".to_owned(), 4), "glslang keeps HLSL packing");
        super::relayout_uniform_blocks(&mut spirv).unwrap();
        let (after, _) = reflect(&spirv, Stage::Pixel, source).unwrap();
        let names = ["a", "b", "c", "d", "e"].map(str::to_owned);
        assert_eq!(offsets(&after), names.into_iter().zip([0, 16, 32, 48, 96]).collect::<Vec<_>>());
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(super::relayout_uniform_blocks(&mut [1, 2, 3]).is_err());
    }
}
