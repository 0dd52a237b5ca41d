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
    fn garbage_is_an_error_not_a_panic() {
        assert!(retarget_storage_images(&mut [1, 2, 3], 1, 4).is_err());
        let mut truncated = vec![0x0723_0203, 0, 0, 0, 0, (40 << 16) | 25];
        assert!(retarget_storage_images(&mut truncated, 1, 4).is_err());
    }
}
