//! Shadertoy-style GLSL effects: a `mainImage(out vec4 fragColor, in vec2 fragCoord)` function made into a
//! pixel shader the runtime runs, with `iTime`, `iFrame`, `iResolution`, `iMouse`, `iChannel0` (the effect's
//! input) and `iChannelResolution` provided, and parameters declared as `uniform float x; // @range(0, 1)`.
//!
//! The user's text keeps its lines (diagnostics keep its line numbers): global uniforms are taken out of it
//! into one `Params` block in the prelude, and reads of `iChannel0` through `texture`, `textureLod`,
//! `texelFetch` and `textureGrad` are renamed to helpers that flip `v`, so that, as on Shadertoy, `fragCoord`
//! and texture coordinates grow upwards while the picture stays upright. The `main` that calls `mainImage`
//! follows the user's text.

use super::preprocess::strip_comments;
use super::tokens::{block_comment_open_after, code_of};
use super::types::Diagnostic;

/// Inputs Shadertoy has that the runtime does not provide yet, with why; a source using one is refused.
const NOT_PROVIDED: &[(&str, &str)] = &[
    ("iTimeDelta", "the frame time step is not passed to effects yet"),
    ("iFrameRate", "the frame rate is not passed to effects yet"),
    ("iDate", "the date is not passed to effects"),
    ("iSampleRate", "effects have no audio"),
    ("iChannel1", "an effect has one input channel, iChannel0"),
    ("iChannel2", "an effect has one input channel, iChannel0"),
    ("iChannel3", "an effect has one input channel, iChannel0"),
    ("iChannelTime", "the input channel is live video, it has no playback time"),
];

const PRELUDE: &str = "#version 450
layout(set = 1, binding = 0) uniform streamlib_frame { float time; uint frame; vec2 resolution; vec4 mouse; };
layout(set = 0, binding = 16) uniform texture2D sl_channel0;
layout(set = 0, binding = 32) uniform sampler sl_channel0_sampler;
layout(location = 0) out vec4 sl_fragment;
#define iChannel0 sampler2D(sl_channel0, sl_channel0_sampler)
#define iTime time
#define iFrame int(frame)
#define iResolution vec3(resolution, 1.0)
#define iMouse vec4(mouse.x, resolution.y - mouse.y, (mouse.z > 0.0 ? 1.0 : -1.0) * mouse.x, (mouse.z > 0.0 ? 1.0 : -1.0) * (resolution.y - mouse.y))
vec3 iChannelResolution[4];
vec2 sl_up(vec2 p) { return vec2(p.x, 1.0 - p.y); }
vec4 sl_texture0(vec2 p) { return texture(iChannel0, sl_up(p)); }
vec4 sl_texture0(vec2 p, float bias) { return texture(iChannel0, sl_up(p), bias); }
vec4 sl_textureLod0(vec2 p, float lod) { return textureLod(iChannel0, sl_up(p), lod); }
vec4 sl_textureGrad0(vec2 p, vec2 dx, vec2 dy) { return textureGrad(iChannel0, sl_up(p), vec2(dx.x, -dx.y), vec2(dy.x, -dy.y)); }
vec4 sl_texelFetch0(ivec2 p, int lod) { return texelFetch(iChannel0, ivec2(p.x, textureSize(iChannel0, lod).y - 1 - p.y), lod); }
";

const EPILOGUE: &str = "
void main() {
    iChannelResolution = vec3[4](vec3(resolution, 1.0), vec3(0.0), vec3(0.0), vec3(0.0));
    vec4 sl_color = vec4(0.0, 0.0, 0.0, 1.0);
    mainImage(sl_color, vec2(gl_FragCoord.x, resolution.y - gl_FragCoord.y));
    sl_fragment = sl_color;
}
";

/// The functions whose `iChannel0` argument is renamed to a flipping helper (`texture(iChannel0, p)` →
/// `sl_texture0(p)`).
const SAMPLING: [&str; 4] = ["texture", "textureLod", "texelFetch", "textureGrad"];

/// A Shadertoy-style source ready for glslang, and the view reflection reads annotations from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    /// Prelude, the user's text (line for line), the `main` that calls `mainImage`.
    pub full_source: String,
    pub prelude_lines: u32,
    /// The parameters as an HLSL `cbuffer Params { … }` with their annotation comments, for `annotations`.
    pub annotation_view: String,
}

/// One `uniform TYPE NAME;` parameter taken out of the user's text.
struct Uniform<'a> {
    glsl_type: &'a str,
    name: &'a str,
    comment: &'a str,
}

/// The HLSL spelling of a GLSL parameter type (what reflection and the annotations speak), if it is one a
/// parameter may have.
fn hlsl_type(glsl: &str) -> Option<String> {
    let (base, size) = match glsl {
        "float" | "int" | "uint" | "bool" => return Some(glsl.to_owned()),
        _ if glsl.len() == 4 && glsl.starts_with("vec") => ("float", &glsl[3..]),
        _ if glsl.len() == 5 && glsl.starts_with("ivec") => ("int", &glsl[4..]),
        _ if glsl.len() == 5 && glsl.starts_with("uvec") => ("uint", &glsl[4..]),
        _ if glsl.len() == 5 && glsl.starts_with("bvec") => ("bool", &glsl[4..]),
        _ => return None,
    };
    matches!(size, "2" | "3" | "4").then(|| format!("{base}{size}"))
}

/// The uniform declared on a line of code (`uniform vec3 tint; // @color`), if it is a parameter.
fn uniform(code: &str) -> Option<(&str, &str)> {
    let mut words = code.trim().trim_end_matches(';').split_whitespace();
    let (Some("uniform"), Some(glsl_type), Some(name), None) = (words.next(), words.next(), words.next(), words.next())
    else {
        return None;
    };
    let complete = code.trim_end().ends_with(';') && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    (complete && hlsl_type(glsl_type).is_some()).then_some((glsl_type, name))
}

/// Renames `texture(iChannel0, …)` and its siblings on one line to the flipping helpers.
fn rename_channel_reads(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    'scan: while let Some(at) = rest.find("iChannel0") {
        let before = &rest[..at];
        let after = &rest[at + "iChannel0".len()..];
        let open = before.trim_end();
        if let Some(call) = open.strip_suffix('(') {
            let call = call.trim_end();
            for function in SAMPLING {
                let Some(prefix) = call.strip_suffix(function) else { continue };
                if !prefix.ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_') {
                    if let Some(args) = after.trim_start().strip_prefix(',') {
                        out.push_str(prefix);
                        out.push_str(&format!("sl_{function}0("));
                        rest = args.trim_start();
                        continue 'scan;
                    }
                }
            }
        }
        out.push_str(&rest[..at + "iChannel0".len()]);
        rest = after;
    }
    out.push_str(rest);
    out
}

/// Makes a Shadertoy-style `source` (named `name` in diagnostics) into a fragment shader; refuses inputs
/// the runtime does not provide and a source without `mainImage`, naming the line.
pub fn prepare(name: &str, source: &str) -> Result<Prepared, Vec<Diagnostic>> {
    let mut refusals = Vec::new();
    let mut uniforms: Vec<Uniform<'_>> = Vec::new();
    let mut body = String::with_capacity(source.len());
    let mut in_block_comment = false;
    for (index, line) in source.split_inclusive('\n').enumerate() {
        let (text, newline) = line.strip_suffix('\n').map_or((line, ""), |t| (t, "\n"));
        let was_in_comment = in_block_comment;
        in_block_comment = block_comment_open_after(text, in_block_comment);
        let code = &text[..text.find("/*").map_or(code_of(text).len(), |at| at.min(code_of(text).len()))];
        if !was_in_comment {
            for (input, why) in NOT_PROVIDED {
                if has_word(code, input) {
                    let message = format!("{input} is not provided here: {why} (provided: iTime, iFrame, iResolution, iMouse, iChannel0, iChannelResolution)");
                    refusals.push(Diagnostic::error(name, message).at(source, index as u32 + 1, None));
                }
            }
            if let Some((glsl_type, uniform_name)) = uniform(code) {
                uniforms.push(Uniform { glsl_type, name: uniform_name, comment: &text[code.len()..] });
                body.push_str(newline);
                continue;
            }
        }
        body.push_str(&rename_channel_reads(text));
        body.push_str(newline);
    }
    if !has_word(&strip_comments(source), "mainImage") {
        refusals.push(Diagnostic::error(
            name,
            "no mainImage: a Shadertoy-style effect defines `void mainImage(out vec4 fragColor, in vec2 fragCoord)`",
        ));
    }
    if !refusals.is_empty() {
        return Err(refusals);
    }
    let mut prelude = PRELUDE.to_owned();
    let mut annotation_view = String::from("cbuffer Params {\n");
    if !uniforms.is_empty() {
        prelude.push_str("layout(std140, set = 0, binding = 0) uniform Params {");
        for uniform in &uniforms {
            prelude.push_str(&format!(" {} {};", uniform.glsl_type, uniform.name));
            let hlsl = hlsl_type(uniform.glsl_type).unwrap_or_default();
            annotation_view.push_str(&format!("    {hlsl} {}; {}\n", uniform.name, uniform.comment));
        }
        prelude.push_str(" };\n");
    }
    annotation_view.push_str("};\n");
    let prelude_lines = prelude.lines().count() as u32;
    Ok(Prepared { full_source: format!("{prelude}{body}{EPILOGUE}"), prelude_lines, annotation_view })
}

fn has_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        let outside = |c: Option<char>| !c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        outside(before) && outside(after)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const WARM: &str = "uniform float warmth; // @range(0, 1) @default(0.6)
uniform vec3 tint; /* @color @default(1, 0.8, 0.6) */

void mainImage(out vec4 fragColor, in vec2 fragCoord) {
    vec2 uv = fragCoord / iResolution.xy;
    vec4 c = texture(iChannel0, uv);
    fragColor = vec4(mix(c.rgb, c.rgb * tint, warmth), 1.0);
}
";

    #[test]
    fn uniforms_move_to_a_block_and_the_text_keeps_its_lines() {
        let prepared = prepare("warm.glsl", WARM).unwrap();
        let user: Vec<&str> =
            prepared.full_source.lines().skip(prepared.prelude_lines as usize).take(WARM.lines().count()).collect();
        assert_eq!(user[0], "");
        assert_eq!(user[1], "");
        assert_eq!(user[5], "    vec4 c = sl_texture0(uv);");
        assert_eq!(user[6], WARM.lines().nth(6).unwrap());
        assert!(prepared.full_source.contains("uniform Params { float warmth; vec3 tint; };"));
        assert!(prepared.annotation_view.contains("float warmth; // @range(0, 1) @default(0.6)"));
        assert!(prepared.annotation_view.contains("float3 tint; /* @color @default(1, 0.8, 0.6) */"));
        assert!(prepared.full_source.ends_with(EPILOGUE));
    }

    #[test]
    fn channel_reads_are_renamed_and_other_words_left_alone() {
        assert_eq!(rename_channel_reads("a = textureLod( iChannel0 , p, 0.0);"), "a = sl_textureLod0(p, 0.0);");
        assert_eq!(rename_channel_reads("texelFetch(iChannel0, ivec2(1), 0)"), "sl_texelFetch0(ivec2(1), 0)");
        assert_eq!(rename_channel_reads("mytexture(iChannel0, p)"), "mytexture(iChannel0, p)");
        assert_eq!(
            rename_channel_reads("ivec2 s = textureSize(iChannel0, 0);"),
            "ivec2 s = textureSize(iChannel0, 0);"
        );
        assert_eq!(
            rename_channel_reads("texture(iChannel0, p) + texture(iChannel0, q)"),
            "sl_texture0(p) + sl_texture0(q)"
        );
    }

    #[test]
    fn inputs_not_provided_and_a_missing_main_image_are_named() {
        let err =
            prepare("x.glsl", "void mainImage(out vec4 o, in vec2 p) {\n  o = vec4(iTimeDelta);\n}\n").unwrap_err();
        assert_eq!((err[0].line, err[0].message.starts_with("iTimeDelta is not provided")), (Some(2), true));
        let err = prepare("x.glsl", "void main() {}\n// mainImage\n").unwrap_err();
        assert!(err[0].message.starts_with("no mainImage"), "{err:?}");
        assert!(prepare(
            "x.glsl",
            "// iChannel1 in a comment\nvoid mainImage(out vec4 o, in vec2 p) { o = vec4(1); }\n"
        )
        .is_ok());
    }

    #[test]
    fn parameter_types_speak_hlsl_to_reflection() {
        assert_eq!(hlsl_type("vec3").as_deref(), Some("float3"));
        assert_eq!(hlsl_type("ivec2").as_deref(), Some("int2"));
        assert_eq!(hlsl_type("bool").as_deref(), Some("bool"));
        assert_eq!(hlsl_type("sampler2D"), None);
        assert_eq!(hlsl_type("mat3"), None);
    }
}
