//! Small word-level edits to SPIR-V that no front end option covers.

const OP_TYPE_IMAGE: u32 = 25;
const HEADER_WORDS: usize = 5;
/// SPIR-V `ImageFormat` values.
pub const IMAGE_FORMAT_RGBA32F: u32 = 1;
pub const IMAGE_FORMAT_RGBA8: u32 = 4;

/// Gives storage images declared with `from` the format `to`; returns how many were changed.
///
/// glslang turns `RWTexture2D<float4>` into an `Rgba32f` storage image unless told otherwise, but frames
/// are rgba8 (4× cheaper to move), and a storage image must declare the format of the texture bound to it.
pub fn retarget_storage_images(spirv: &mut [u32], from: u32, to: u32) -> Result<usize, String> {
    if spirv.len() < HEADER_WORDS || spirv[0] != 0x0723_0203 {
        return Err("not a SPIR-V module (bad magic number)".to_owned());
    }
    let mut changed = 0;
    let mut at = HEADER_WORDS;
    while at < spirv.len() {
        let word_count = (spirv[at] >> 16) as usize;
        let opcode = spirv[at] & 0xffff;
        if word_count == 0 || at + word_count > spirv.len() {
            return Err(format!("malformed SPIR-V instruction at word {at}"));
        }
        // OpTypeImage: result, sampled type, dim, depth, arrayed, MS, sampled, format, [access]
        if opcode == OP_TYPE_IMAGE && word_count >= 9 {
            let sampled = spirv[at + 7];
            let format = &mut spirv[at + 8];
            if sampled == 2 && *format == from {
                *format = to;
                changed += 1;
            }
        }
        at += word_count;
    }
    Ok(changed)
}

/// Removes source-level debug instructions (OpSource*, OpString, OpLine, OpNoLine, OpModuleProcessed)
/// and keeps OpName. glslang needs `-g` to keep names through its optimiser, but the rest is dead weight
/// in every artifact (the whole source text rides in OpSource), and drivers need none of it.
pub fn strip_source_debug_info(spirv: &[u32]) -> Result<Vec<u32>, String> {
    const STRIPPED: [u32; 7] = [2, 3, 4, 7, 8, 317, 330];
    if spirv.len() < HEADER_WORDS || spirv[0] != 0x0723_0203 {
        return Err("not a SPIR-V module (bad magic number)".to_owned());
    }
    let mut out = spirv[..HEADER_WORDS].to_vec();
    let mut at = HEADER_WORDS;
    while at < spirv.len() {
        let word_count = (spirv[at] >> 16) as usize;
        if word_count == 0 || at + word_count > spirv.len() {
            return Err(format!("malformed SPIR-V instruction at word {at}"));
        }
        if !STRIPPED.contains(&(spirv[at] & 0xffff)) {
            out.extend_from_slice(&spirv[at..at + word_count]);
        }
        at += word_count;
    }
    Ok(out)
}

/// Decorates storage images the shader never reads as `NonReadable`. glslang omits it, so naga (and
/// WebGPU validation) would see `RWTexture2D` as read-write and refuse write-only bindings for rgba8.
pub fn mark_write_only_storage_images(spirv: &[u32]) -> Result<Vec<u32>, String> {
    const OP_TYPE_POINTER: u32 = 32;
    const OP_VARIABLE: u32 = 59;
    const OP_LOAD: u32 = 61;
    const OP_DECORATE: u32 = 71;
    const OP_IMAGE_READ: u32 = 98;
    const DECORATION_NON_READABLE: u32 = 25;
    let instructions = instructions(spirv)?;
    let operand = |at: usize, i: usize| spirv.get(at + i).copied().unwrap_or(0);
    let storage_types: Vec<u32> = instructions
        .iter()
        .filter(|(op, at, n)| *op == OP_TYPE_IMAGE && *n >= 9 && operand(*at, 7) == 2)
        .map(|(_, at, _)| operand(*at, 1))
        .collect();
    let pointer_types: Vec<u32> = instructions
        .iter()
        .filter(|(op, at, _)| *op == OP_TYPE_POINTER && storage_types.contains(&operand(*at, 3)))
        .map(|(_, at, _)| operand(*at, 1))
        .collect();
    let variables: Vec<u32> = instructions
        .iter()
        .filter(|(op, at, _)| *op == OP_VARIABLE && pointer_types.contains(&operand(*at, 1)))
        .map(|(_, at, _)| operand(*at, 2))
        .collect();
    let loads: Vec<(u32, u32)> = instructions
        .iter()
        .filter(|(op, at, _)| *op == OP_LOAD && variables.contains(&operand(*at, 3)))
        .map(|(_, at, _)| (operand(*at, 2), operand(*at, 3)))
        .collect();
    let read_images: Vec<u32> =
        instructions.iter().filter(|(op, _, _)| *op == OP_IMAGE_READ).map(|(_, at, _)| operand(*at, 3)).collect();
    let already: Vec<u32> = instructions
        .iter()
        .filter(|(op, at, _)| *op == OP_DECORATE && operand(*at, 2) == DECORATION_NON_READABLE)
        .map(|(_, at, _)| operand(*at, 1))
        .collect();
    let write_only: Vec<u32> = variables
        .iter()
        .copied()
        .filter(|var| {
            !already.contains(var) && !loads.iter().any(|(loaded, from)| from == var && read_images.contains(loaded))
        })
        .collect();
    if write_only.is_empty() {
        return Ok(spirv.to_vec());
    }
    // Annotations go before the first type declaration (OpTypeVoid … are opcodes 19–39).
    let insert_at = instructions.iter().find(|(op, _, _)| (19..=39).contains(op)).map_or(spirv.len(), |(_, at, _)| *at);
    let mut out = spirv[..insert_at].to_vec();
    for var in write_only {
        out.extend_from_slice(&[(3 << 16) | OP_DECORATE, var, DECORATION_NON_READABLE]);
    }
    out.extend_from_slice(&spirv[insert_at..]);
    Ok(out)
}

/// (opcode, word index, word count) of every instruction after the header.
fn instructions(spirv: &[u32]) -> Result<Vec<(u32, usize, usize)>, String> {
    if spirv.len() < HEADER_WORDS || spirv[0] != 0x0723_0203 {
        return Err("not a SPIR-V module (bad magic number)".to_owned());
    }
    let mut out = Vec::new();
    let mut at = HEADER_WORDS;
    while at < spirv.len() {
        let word_count = (spirv[at] >> 16) as usize;
        if word_count == 0 || at + word_count > spirv.len() {
            return Err(format!("malformed SPIR-V instruction at word {at}"));
        }
        out.push((spirv[at] & 0xffff, at, word_count));
        at += word_count;
    }
    Ok(out)
}

/// True when the source names a storage format for itself, in either front end's spelling.
pub fn source_chooses_storage_format(source: &str) -> bool {
    source.contains("[[spv::format_") || source.contains("[[vk::image_format(")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn module_with_image(sampled: u32, format: u32) -> Vec<u32> {
        vec![0x0723_0203, 0x0001_0300, 0, 10, 0, (9 << 16) | OP_TYPE_IMAGE, 1, 2, 1, 0, 0, 0, sampled, format]
    }

    #[test]
    fn storage_images_are_retargeted() {
        let mut spirv = module_with_image(2, IMAGE_FORMAT_RGBA32F);
        assert_eq!(retarget_storage_images(&mut spirv, IMAGE_FORMAT_RGBA32F, IMAGE_FORMAT_RGBA8), Ok(1));
        assert_eq!(spirv[13], IMAGE_FORMAT_RGBA8);
    }

    #[test]
    fn sampled_images_are_left_alone() {
        let mut spirv = module_with_image(1, 0);
        assert_eq!(retarget_storage_images(&mut spirv, IMAGE_FORMAT_RGBA32F, IMAGE_FORMAT_RGBA8), Ok(0));
    }

    #[test]
    fn debug_lines_are_stripped_and_names_kept() {
        // header, OpLine(8) 4 words, OpName(5) 3 words, OpNoLine(317) 1 word
        let spirv = vec![
            0x0723_0203,
            0x0001_0300,
            0,
            10,
            0,
            (4 << 16) | 8,
            1,
            2,
            3,
            (3 << 16) | 5,
            7,
            0x6e69_616d,
            (1 << 16) | 317,
        ];
        assert_eq!(
            strip_source_debug_info(&spirv).unwrap(),
            vec![0x0723_0203, 0x0001_0300, 0, 10, 0, (3 << 16) | 5, 7, 0x6e69_616d]
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(retarget_storage_images(&mut [1, 2, 3], 1, 4).is_err());
        let mut truncated = vec![0x0723_0203, 0, 0, 0, 0, (40 << 16) | 25];
        assert!(retarget_storage_images(&mut truncated, 1, 4).is_err());
    }
}
