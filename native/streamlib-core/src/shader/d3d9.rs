//! D3D9-style pixel shaders (shader model 2/3, as video players and retro-filter packs ship them) made into
//! the form the runtime compiles, so they run unchanged: `sampler s0 : register(s0);` read with `tex2D`,
//! `tex2Dlod`, `tex2Dbias`, `tex2Dproj`, `tex2Dgrad`; host constants `float4 p0 : register(c0);` and
//! `p1 : register(c1)`; a `COLOR` output and a `TEXCOORD0` input (glslang maps both to location 0 as it is).
//!
//! shaderc does not expose glslang's DX9-compatibility mode, so the adaptation is on the text, line for line
//! (diagnostics keep the user's line numbers): the sampler in register s0 (else the first sampler) becomes
//! the effect's `input`, a sampler in register sN > 0 becomes a `Texture2D` of that name — an extra input,
//! sampled with the input's sampler —, and `p0`/`p1` become statics filled from the frame values with the
//! convention video players use: `p0 = (width, height, frame counter, clock s)`,
//! `p1 = (1 / width, 1 / height, 0, 0)`. Each is the macro `D3D9_C0` / `D3D9_C1`, defined after the prelude
//! unless the compile defines it, so one effect can be given other values (`defines={"D3D9_C0": "…"}`, an
//! HLSL expression over `resolution`, `frame`, `time` and `mouse`) and keep them through an export.

use super::tokens::{block_comment_open_after, code_of, tokens};

/// What the runtime puts before a D3D9-style source: `tex2D`'s sibling intrinsics over `Texture2D`s.
const D3D9_SAMPLING_HLSL: &str = "#define tex2Dlod(tex, c) ((tex).SampleLevel(input_sampler, (c).xy, (c).w))\n\
#define tex2Dbias(tex, c) ((tex).SampleBias(input_sampler, (c).xy, (c).w))\n\
#define tex2Dproj(tex, c) ((tex).Sample(input_sampler, (c).xy / (c).w))\n\
#define tex2Dgrad(tex, uv, gx, gy) ((tex).SampleGrad(input_sampler, (uv), (gx), (gy)))\n";

/// The host constants a D3D9 video shader reads, by register: the macro each one reads, and its default as an
/// expression over the frame values.
const HOST_CONSTANTS: [(&str, &str, &str); 2] = [
    ("c0", "D3D9_C0", "float4(resolution, float(frame), time)"),
    ("c1", "D3D9_C1", "float4(1.0 / resolution, 0.0, 0.0)"),
];

/// A D3D9-style source rewritten for the runtime, and what goes before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adapted {
    pub source: String,
    /// Defines to put after the runtime's prelude: the sampler names, the sampling intrinsics.
    pub prelude: String,
}

/// One declaration the adaptation rewrites, found on one line.
enum Declaration<'a> {
    Sampler { name: &'a str, register: Option<u32> },
    HostConstant { name: &'a str, register: &'static str, expression: &'static str },
}

/// The declaration on a line of code, if it is one the adaptation rewrites.
fn declaration(code: &str) -> Option<Declaration<'_>> {
    let words = tokens(code);
    match words.as_slice() {
        ["sampler" | "sampler2D", name, ";"] => Some(Declaration::Sampler { name, register: None }),
        ["sampler" | "sampler2D", name, ":", "register", "(", register, ")", ";"] => {
            let index = register.strip_prefix(['s', 'S'])?.parse().ok()?;
            Some(Declaration::Sampler { name, register: Some(index) })
        }
        ["float4", name, ":", "register", "(", register, ")", ";"] => {
            let lower = register.to_ascii_lowercase();
            let (register, expression, _) = HOST_CONSTANTS.iter().find(|(r, _, _)| *r == lower)?;
            Some(Declaration::HostConstant { name, register, expression })
        }
        _ => None,
    }
}

/// True when `source` is written in the D3D9 style: it declares a `sampler`/`sampler2D` (alone or in a
/// register), a host constant in `c0`/`c1`, or carries the `$MinimumShaderProfile: ps_2_0|ps_3_0` comment
/// that shader packs put at the top.
pub fn is_d3d9_style(source: &str) -> bool {
    let profile = source.lines().any(|line| {
        line.trim_start().strip_prefix("//").is_some_and(|comment| {
            comment.trim().strip_prefix("$MinimumShaderProfile:").is_some_and(|p| p.trim().starts_with("ps_"))
        })
    });
    profile || source.lines().any(|line| declaration(code_of(line)).is_some())
}

/// The runtime's form of a D3D9-style `source`, or None when it is not one (see `is_d3d9_style`).
pub fn adapt(source: &str) -> Option<Adapted> {
    if !is_d3d9_style(source) {
        return None;
    }
    let mut samplers: Vec<(&str, Option<u32>)> = Vec::new();
    let mut lines: Vec<String> = Vec::new();
    let mut in_block_comment = false;
    for line in source.split_inclusive('\n') {
        let (body, newline) = line.strip_suffix('\n').map_or((line, ""), |body| (body, "\n"));
        let was_in_comment = in_block_comment;
        in_block_comment = block_comment_open_after(body, in_block_comment);
        let code = code_of(body);
        let comment = &body[code.len()..];
        match if was_in_comment { None } else { declaration(code) } {
            Some(Declaration::Sampler { name, register }) => {
                samplers.push((name, register));
                lines.push(format!("{comment}{newline}"));
            }
            Some(Declaration::HostConstant { name, register, expression }) => {
                let indent = &code[..code.len() - code.trim_start().len()];
                lines.push(format!("{indent}static float4 {name} = {expression}; /* {register} */{comment}{newline}"));
            }
            None => lines.push(line.to_owned()),
        }
    }
    let input = samplers.iter().position(|(_, r)| *r == Some(0)).or(if samplers.is_empty() { None } else { Some(0) });
    let mut prelude = String::new();
    for (index, (name, register)) in samplers.iter().enumerate() {
        if Some(index) == input {
            prelude.push_str(&format!("#define {name} input\n"));
        } else {
            let slot = register.unwrap_or(index as u32);
            prelude.push_str(&format!("Texture2D {name} : register(t{slot});\n"));
        }
    }
    prelude.push_str(D3D9_SAMPLING_HLSL);
    for (_, macro_name, default) in HOST_CONSTANTS {
        prelude.push_str(&format!("#ifndef {macro_name}\n#define {macro_name} {default}\n#endif\n"));
    }
    Some(Adapted { source: lines.concat(), prelude })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PACK_STYLE: &str = "// $MinimumShaderProfile: ps_2_0\n\
sampler s0 : register(s0);\n\
float4 p0 : register(c0);\n\
float4 p1 : register(c1);\n\
#define width (p0[0])\n\
\n\
float4 main(float2 tex : TEXCOORD0) : COLOR {\n\
    return tex2D(s0, tex + float2(p1[0], 0)) * width;\n\
}\n";

    #[test]
    fn the_d3d9_style_is_recognised_and_others_are_not() {
        assert!(is_d3d9_style(PACK_STYLE));
        assert!(is_d3d9_style(
            "sampler2D image;\nfloat4 main(float2 t : TEXCOORD0) : COLOR { return tex2D(image, t); }"
        ));
        assert!(is_d3d9_style("// $MinimumShaderProfile: ps_3_0\nfloat4 main() : COLOR { return 0; }"));
        assert!(!is_d3d9_style("float4 main(float2 uv : TEXCOORD) : SV_Target { return tex2D(input, uv); }"));
        assert!(!is_d3d9_style(
            "Texture2D t; SamplerState s;\nfloat4 main(float2 uv : TEXCOORD) : SV_Target { return t.Sample(s, uv); }"
        ));
        assert!(!is_d3d9_style("// sampler s0 : register(s0);\nfloat4 main() : SV_Target { return 0; }"));
    }

    #[test]
    fn samplers_and_host_constants_are_rewritten_line_for_line() {
        let adapted = adapt(PACK_STYLE).unwrap();
        assert_eq!(adapted.source.lines().count(), PACK_STYLE.lines().count());
        let lines: Vec<&str> = adapted.source.lines().collect();
        assert_eq!(lines[1], "");
        assert_eq!(lines[2], "static float4 p0 = D3D9_C0; /* c0 */");
        assert_eq!(lines[3], "static float4 p1 = D3D9_C1; /* c1 */");
        assert!(adapted.prelude.contains("#ifndef D3D9_C0\n#define D3D9_C0 float4(resolution, float(frame), time)\n"));
        assert_eq!(&lines[4..], &PACK_STYLE.lines().collect::<Vec<_>>()[4..]);
        assert!(adapted.prelude.starts_with("#define s0 input\n"));
        assert!(adapted.prelude.contains("#define tex2Dlod(tex, c)"));
    }

    #[test]
    fn the_sampler_in_s0_is_the_input_and_the_others_extra_textures() {
        let source = "sampler overlay : register(s1);\nsampler video : register(s0);\nfloat4 main(float2 t : TEXCOORD0) : COLOR { return tex2D(video, t) * tex2D(overlay, t); }\n";
        let adapted = adapt(source).unwrap();
        assert!(adapted.prelude.contains("#define video input\n"), "{}", adapted.prelude);
        assert!(adapted.prelude.contains("Texture2D overlay : register(t1);\n"), "{}", adapted.prelude);
    }

    #[test]
    fn declarations_inside_comments_stay_as_they_are() {
        let source = "/* sampler s1 : register(s1);\n sampler s2 : register(s2); */\nsampler s0 : register(s0); // the video\nfloat4 main(float2 t : TEXCOORD0) : COLOR { return tex2D(s0, t); }\n";
        let adapted = adapt(source).unwrap();
        assert!(adapted.source.contains("sampler s1 : register(s1);") && adapted.source.contains("sampler s2"));
        assert_eq!(adapted.source.lines().nth(2), Some("// the video"));
        assert_eq!(adapted.prelude.lines().next(), Some("#define s0 input"));
    }
}
