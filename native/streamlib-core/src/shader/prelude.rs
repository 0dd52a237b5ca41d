//! The runtime's prelude for effects: `input`, its sampler, `tex2D`, and the standard frame values.
//!
//! Binding layout (the same rule for every backend): everything the user declares lives in set 0, with each
//! HLSL register class shifted into its own range — `b#` → binding #, `t#` → 16+#, `s#` → 32+#, `u#` → 48+#.
//! Unregistered resources take the next free register of their class in declaration order. The frame
//! cbuffer is `register(b0, space1)` → set 1, binding 0, so it never collides with a user's cbuffer.

use super::tokens::tokens;
use super::types::{PreludeMode, Stage};

pub const BINDING_SHIFT_CBUFFER: u32 = 0;
pub const BINDING_SHIFT_TEXTURE: u32 = 16;
pub const BINDING_SHIFT_SAMPLER: u32 = 32;
pub const BINDING_SHIFT_UAV: u32 = 48;
pub const FRAME_CBUFFER: &str = "streamlib_frame";
pub const FRAME_SET: u32 = 1;

/// Names the prelude's frame cbuffer declares; a shader declaring any of them itself does without it.
pub const FRAME_NAMES: [&str; 4] = ["time", "frame", "resolution", "mouse"];

pub const FRAME_CBUFFER_HLSL: &str =
    "cbuffer streamlib_frame : register(b0, space1) { float time; uint frame; float2 resolution; float4 mouse; };\n";

pub const INPUT_HLSL: &str = "Texture2D input : register(t0);\nSamplerState input_sampler : register(s0);\n#define tex2D(tex, uv) ((tex).Sample(input_sampler, (uv)))\n";

/// The text put before the user's source, and whether any was needed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prelude {
    pub text: String,
}

impl Prelude {
    pub fn line_count(&self) -> u32 {
        self.text.lines().count() as u32
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }
}

/// Chooses the prelude for a source: pixel shaders get `input`/`tex2D` unless they bring their own samplers
/// (written for another host); every stage gets the frame cbuffer unless it declares one of its names.
pub fn prelude_for(source: &str, stage: Stage, mode: PreludeMode) -> Prelude {
    let mut text = String::new();
    if mode == PreludeMode::Never || stage == Stage::Vertex {
        return Prelude { text };
    }
    let tokens = tokens(source);
    let declares_sampler = tokens
        .iter()
        .any(|t| matches!(*t, "SamplerState" | "SamplerComparisonState" | "sampler" | "sampler2D" | "sampler_state"));
    let wants_input = stage == Stage::Pixel && (mode == PreludeMode::Always || !declares_sampler);
    if wants_input {
        text.push_str(INPUT_HLSL);
    }
    let declares_frame_name = FRAME_NAMES.iter().any(|name| declares(&tokens, name));
    if mode == PreludeMode::Always || !declares_frame_name {
        text.push_str(FRAME_CBUFFER_HLSL);
    }
    Prelude { text }
}

/// True when `name` follows a scalar/vector/matrix type keyword, i.e. the source declares it.
fn declares(tokens: &[&str], name: &str) -> bool {
    tokens.windows(2).any(|pair| pair[1] == name && is_value_type(pair[0]))
}

fn is_value_type(token: &str) -> bool {
    let base = token.trim_end_matches(|c: char| c.is_ascii_digit() || c == 'x');
    matches!(base, "float" | "half" | "double" | "int" | "uint" | "bool" | "min16float" | "dword")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pixel_form_gets_input_and_frame() {
        let p = prelude_for(
            "float4 main(float2 uv : TEXCOORD) : SV_Target { return tex2D(input, uv); }",
            Stage::Pixel,
            PreludeMode::Auto,
        );
        assert!(p.text.contains("Texture2D input"));
        assert!(p.text.contains(FRAME_CBUFFER));
    }

    #[test]
    fn host_style_shader_brings_its_own_sampler() {
        let src = "Texture2D tex; SamplerState samp; cbuffer C { float time; };\nfloat4 main(float4 p : SV_POSITION, float2 uv : TEXCOORD) : SV_Target { return tex.Sample(samp, uv) * time; }";
        let p = prelude_for(src, Stage::Pixel, PreludeMode::Auto);
        assert!(p.is_empty(), "{}", p.text);
    }

    #[test]
    fn frame_names_in_comments_or_uses_do_not_count_as_declarations() {
        let src = "// float time\n[numthreads(8,8,1)] void main(uint3 id : SV_DispatchThreadID) { float t = time; }";
        let p = prelude_for(src, Stage::Compute, PreludeMode::Auto);
        assert!(p.text.contains(FRAME_CBUFFER));
        assert!(!p.text.contains("Texture2D input"));
    }

    #[test]
    fn non_ascii_text_outside_comments_is_skipped_not_sliced() {
        let p = prelude_for(
            "é float4 main() : SV_Target { float x = time; 日本; return 0; }",
            Stage::Pixel,
            PreludeMode::Auto,
        );
        assert!(p.text.contains(FRAME_CBUFFER));
    }

    #[test]
    fn never_means_never() {
        assert!(prelude_for("float4 main() : SV_Target { return 0; }", Stage::Pixel, PreludeMode::Never).is_empty());
    }
}
