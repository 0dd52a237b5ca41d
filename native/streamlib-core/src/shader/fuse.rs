//! Effect fusion at the source level: which pixel-form effects can share one pass, and the HLSL of that pass.
//!
//! A fused pass holds each member's source with its top-level names prefixed (`streamlib_m{k}_`), so their
//! cbuffers keep their own layouts and bind the members' own parameter bytes. Member k's `tex2D(input, p)`
//! becomes a call of member k-1 at `p`, through a read function that gives what the unfused graph's
//! intermediate texture would have: clamped to the edge texels, stored as rgba8.

use super::tokens::tokens;
use super::{CompiledShader, Language, Stage};

/// How an effect reads its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Only at its own `uv`, unmodified: it fuses into whatever consumes it, and appends to what feeds it.
    Pointwise,
    /// Anywhere (a blur, a warp): it joins a fused pass only next to pointwise members.
    Neighbourhood,
}

impl Shape {
    pub fn as_str(self) -> &'static str {
        match self {
            Shape::Pointwise => "pointwise",
            Shape::Neighbourhood => "neighbourhood",
        }
    }
}

const MEMBER_PREFIX: &str = "streamlib_m";
const DERIVATIVES: [&str; 7] = ["ddx", "ddy", "fwidth", "ddx_fine", "ddy_fine", "ddx_coarse", "ddy_coarse"];

/// Whether `shader` can be a member of a fused pass, and how it reads; Err says why not, in a phrase.
pub fn shape_of(shader: &CompiledShader) -> Result<Shape, String> {
    if shader.stage != Stage::Pixel {
        return Err(format!("{} form: only pixel-form effects fuse", shader.stage));
    }
    if shader.language != Language::Hlsl {
        return Err(format!("written in {}", shader.language.as_str()));
    }
    if !shader.defines.is_empty() {
        return Err("compiled with defines".to_owned());
    }
    if !shader.uses_prelude || shader.reflection.texture_inputs() != ["input"] {
        return Err("reads other textures than the runtime's `input`".to_owned());
    }
    shape_of_source(&shader.source)
}

fn shape_of_source(source: &str) -> Result<Shape, String> {
    let words = tokens(source);
    if words.contains(&"#") {
        return Err("uses the preprocessor".to_owned());
    }
    if words.contains(&"register") {
        return Err("places a resource with register()".to_owned());
    }
    if let Some(d) = words.iter().find(|w| DERIVATIVES.contains(w)) {
        return Err(format!("takes screen-space derivatives ({d})"));
    }
    let reads: Vec<usize> = (0..words.len()).filter(|&i| words[i] == "input").collect();
    if reads.iter().any(|&i| i < 2 || words[i - 2] != "tex2D" || words[i - 1] != "(" || words.get(i + 1) != Some(&","))
    {
        return Err("reads `input` other than through tex2D(input, …)".to_owned());
    }
    let (uv, body) = main_signature(&words).ok_or("its main takes more than `float2 uv : TEXCOORD`")?;
    let at_own_uv = |&i: &usize| body.contains(&i) && words.get(i + 2) == Some(&uv) && words.get(i + 3) == Some(&")");
    if reads.iter().all(at_own_uv) && !assigned(&words, uv) && !words.iter().any(|w| matches!(*w, "out" | "inout")) {
        Ok(Shape::Pointwise)
    } else {
        Ok(Shape::Neighbourhood)
    }
}

/// The name of main's `float2 … : TEXCOORD` parameter, its only one, and the token range of main's body.
fn main_signature<'a>(words: &[&'a str]) -> Option<(&'a str, std::ops::Range<usize>)> {
    let open =
        (1..words.len()).find(|&i| words[i] == "main" && words.get(i + 1) == Some(&"(") && depth_at(words, i) == 0)?;
    let close = open + 1 + words[open + 1..].iter().position(|w| *w == ")")?;
    let params: Vec<&str> = words[open + 2..close].iter().copied().filter(|w| *w != "in").collect();
    let [ty, uv, ":", semantic] = params.as_slice() else { return None };
    if *ty != "float2" || !semantic.to_ascii_uppercase().starts_with("TEXCOORD") {
        return None;
    }
    let start = close + words[close..].iter().position(|w| *w == "{")?;
    let mut depth = 0;
    for (i, word) in words.iter().enumerate().skip(start) {
        match *word {
            "{" => depth += 1,
            "}" => {
                depth -= 1;
                if depth == 0 {
                    return Some((uv, start..i + 1));
                }
            }
            _ => {}
        }
    }
    None
}

fn depth_at(words: &[&str], at: usize) -> i32 {
    words[..at].iter().map(|w| i32::from(*w == "{") - i32::from(*w == "}")).sum()
}

/// Whether `name` is written to anywhere: `=`, a compound assignment, `++`/`--`, or through a swizzle.
fn assigned(words: &[&str], name: &str) -> bool {
    (0..words.len()).filter(|&i| words[i] == name).any(|i| {
        let at = |k: usize| words.get(k).copied().unwrap_or("");
        let mut next = i + 1;
        if at(next) == "." {
            next += 2;
        }
        let assigns = |k: usize| at(k) == "=" && at(k + 1) != "=";
        let compound = matches!(at(next), "+" | "-" | "*" | "/" | "%" | "&" | "|" | "^") && assigns(next + 1);
        let step = |a: &str, b: &str| (a == "+" && b == "+") || (a == "-" && b == "-");
        let before = i >= 2 && step(at(i - 2), at(i - 1));
        assigns(next) || compound || step(at(next), at(next + 1)) || before
    })
}

/// The prefix of member `k` (from 1) of a fused pass; its cbuffer `Params` becomes `streamlib_m{k}_Params`.
pub fn member_prefix(k: usize) -> String {
    format!("{MEMBER_PREFIX}{k}_")
}

/// The member (from 1) and its own cbuffer name behind a fused pass's cbuffer name.
pub fn member_cbuffer(fused_name: &str) -> Option<(usize, &str)> {
    let rest = fused_name.strip_prefix(MEMBER_PREFIX)?;
    let (k, name) = rest.split_once('_')?;
    Some((k.parse().ok()?, name))
}

/// How a fused pass hands one member's result to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handoff {
    /// As computed: the cheapest, and within a step of rgba8 for most chains.
    Direct,
    /// Rounded to rgba8 as the unfused graph's intermediate texture stores it: for consumers that amplify
    /// small differences (sharpening, edge detection).
    Stored,
}

/// The HLSL of one pass that runs `members` (sources of effects `shape_of` accepted, in graph order: each
/// reads the one before it, the first reads `input`).
pub fn fused_source(members: &[&str], handoff: Handoff) -> String {
    let mut out = String::new();
    for (index, source) in members.iter().enumerate() {
        let k = index + 1;
        if k > 1 {
            out.push_str(&format!("#undef tex2D\n#define tex2D(tex, uv) streamlib_read_{}(uv)\n", k - 1));
        }
        out.push_str(&prefixed(source, &member_prefix(k)));
        out.push('\n');
        if let Some(consumer) = members.get(k) {
            // A consumer reading only at its own pixel never reads past the edge; nor does a member whose
            // position matters only through its own read of `input` (which the sampler clamps) need clamping.
            let clamp = shape_of_source(consumer) != Ok(Shape::Pointwise) && uses_position(source);
            out.push_str(&read_function(k, clamp, handoff));
        }
    }
    out.push_str(&format!(
        "float4 main(float2 uv : TEXCOORD) : SV_Target {{ return {}main(uv); }}\n",
        member_prefix(members.len())
    ));
    out
}

/// An order for a group's members (indices into `members`, sources in graph order) that draws its one
/// neighbourhood reader first, sampling the group's input itself, and applies the members before it to its
/// result: each of those is then evaluated once per pixel instead of once per tap. For members that depend
/// on neither position nor neighbours and commute with the reader's filtering (affine colour maps under taps
/// weighted to sum to one: a tint under a blur) it is the same picture; `graph::fusion` checks it like any
/// pass and falls back to graph order. None when no member after the first reads around, or one before it
/// depends on its position.
pub fn reader_first(members: &[&str]) -> Option<Vec<usize>> {
    let reader = members.iter().position(|s| shape_of_source(s) == Ok(Shape::Neighbourhood))?;
    let before = &members[..reader];
    if reader == 0 || before.iter().any(|s| shape_of_source(s) != Ok(Shape::Pointwise) || uses_position(s)) {
        return None;
    }
    Some([reader].into_iter().chain(0..reader).chain(reader + 1..members.len()).collect())
}

/// What the unfused graph's consumer would read at `p` from member k's output texture: with `clamp`, the
/// member at `p` clamped into the texel centres (clamp-to-edge addressing). Between texel centres the member
/// is evaluated at `p` rather than filtered from its four neighbours: the same for members linear in their
/// input, and one evaluation instead of four; `graph::fusion` checks the pass before using it.
fn read_function(k: usize, clamp: bool, handoff: Handoff) -> String {
    let at = if clamp { "clamp(p, 0.5 / resolution, 1.0 - 0.5 / resolution)" } else { "p" };
    let value = format!("{}main({at})", member_prefix(k));
    let value = match handoff {
        Handoff::Direct => value,
        Handoff::Stored => format!("round(saturate({value}) * 255.0) / 255.0"),
    };
    format!("float4 streamlib_read_{k}(float2 p) {{ return {value}; }}\n")
}

/// Whether main's `uv` is used for more than reading `input` at it: its result depends on where it is drawn.
fn uses_position(source: &str) -> bool {
    let words = tokens(source);
    let Some((uv, body)) = main_signature(&words) else { return true };
    body.filter(|&i| words[i] == uv).any(|i| !(i >= 4 && words[i - 4] == "tex2D" && words[i - 2] == "input"))
}

/// `source` with every name it declares at the top level (functions, globals, structs, cbuffers and their
/// members) prefixed, wherever it is used; member accesses (`c.tint`) are left alone.
fn prefixed(source: &str, prefix: &str) -> String {
    let words = tokens(source);
    let declared = declared_names(&words);
    let mut out = String::with_capacity(source.len() + 64);
    let mut copied = 0;
    for (i, word) in words.iter().enumerate() {
        if !declared.contains(word) || (i > 0 && words[i - 1] == ".") {
            continue;
        }
        let at = word.as_ptr() as usize - source.as_ptr() as usize;
        out.push_str(&source[copied..at]);
        out.push_str(prefix);
        out.push_str(word);
        copied = at + word.len();
    }
    out.push_str(&source[copied..]);
    out
}

fn declared_names<'a>(words: &[&'a str]) -> Vec<&'a str> {
    let is_name = |w: &str| w.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_');
    let mut names = Vec::new();
    let (mut braces, mut parens) = (0, 0);
    let mut in_cbuffer = false;
    for i in 0..words.len() {
        let (word, prev, next) =
            (words[i], if i > 0 { words[i - 1] } else { "" }, words.get(i + 1).copied().unwrap_or(""));
        match word {
            "{" => {
                braces += 1;
                in_cbuffer = braces == 1 && (2..=3).any(|back| i >= back && words[i - back] == "cbuffer");
            }
            "}" => {
                braces -= 1;
                in_cbuffer = false;
            }
            "(" => parens += 1,
            ")" => parens -= 1,
            _ if parens == 0 && is_name(word) => {
                let declares = match braces {
                    0 if matches!(prev, "struct" | "cbuffer" | "tbuffer" | "typedef") => true,
                    0 => is_name(prev) && matches!(next, "(" | ";" | "=" | "[" | ":" | ","),
                    1 if in_cbuffer => (is_name(prev) || prev == ",") && matches!(next, ";" | "[" | ":" | ","),
                    _ => false,
                };
                if declares && !names.contains(&word) {
                    names.push(word);
                }
            }
            _ => {}
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    const TINT: &str = "cbuffer Params { float3 tint; float strength; };\n\
        float4 main(float2 uv : TEXCOORD) : SV_Target { float4 c = tex2D(input, uv); return lerp(c, c * float4(tint, 1), strength); }";
    const BLUR: &str = "cbuffer Params { float radius; };\n\
        float4 main(float2 uv : TEXCOORD) : SV_Target { float2 d = radius / resolution; return tex2D(input, uv + d) + tex2D(input, uv); }";

    #[test]
    fn reading_only_at_its_own_uv_is_pointwise() {
        assert_eq!(shape_of_source(TINT), Ok(Shape::Pointwise));
        assert_eq!(shape_of_source(BLUR), Ok(Shape::Neighbourhood));
    }

    #[test]
    fn a_moved_uv_is_a_neighbourhood_read() {
        for body in ["uv.x += 0.1;", "uv = uv * 2;", "uv++;", "uv.y = 0;"] {
            let src = format!("float4 main(float2 uv : TEXCOORD) : SV_Target {{ {body} return tex2D(input, uv); }}");
            assert_eq!(shape_of_source(&src), Ok(Shape::Neighbourhood), "{body}");
        }
        let compared = "float4 main(float2 uv : TEXCOORD) : SV_Target { float4 c = tex2D(input, uv); return uv.x <= 0.5 ? c : 1 - c; }";
        assert_eq!(shape_of_source(compared), Ok(Shape::Pointwise));
    }

    #[test]
    fn a_read_in_a_helper_is_not_taken_for_pointwise() {
        let src = "float4 at(float2 uv) { return tex2D(input, uv); }\n\
            float4 main(float2 uv : TEXCOORD) : SV_Target { return at(uv * 0.5); }";
        assert_eq!(shape_of_source(src), Ok(Shape::Neighbourhood));
    }

    #[test]
    fn what_cannot_fuse_says_why() {
        let cases = [
            (
                "#define K 2\nfloat4 main(float2 uv : TEXCOORD) : SV_Target { return tex2D(input, uv) * K; }",
                "preprocessor",
            ),
            ("float4 main(float2 uv : TEXCOORD) : SV_Target { return ddx(tex2D(input, uv)); }", "derivatives"),
            ("float4 main(float2 uv : TEXCOORD) : SV_Target { return input.Sample(input_sampler, uv); }", "tex2D"),
            (
                "float4 main(float4 p : SV_Position, float2 uv : TEXCOORD) : SV_Target { return tex2D(input, uv); }",
                "main takes",
            ),
            (
                "cbuffer P : register(b1) { float k; };\nfloat4 main(float2 uv : TEXCOORD) : SV_Target { return k; }",
                "register",
            ),
        ];
        for (src, why) in cases {
            let error = shape_of_source(src).unwrap_err();
            assert!(error.contains(why), "{src}: {error}");
        }
    }

    #[test]
    fn top_level_names_are_prefixed_but_member_accesses_are_not() {
        let src = "struct S { float tint; };\ncbuffer Params { float3 tint; float a, b; };\n\
            static const float K = 2.0;\nfloat f(S s) { return s.tint * K; }\n\
            float4 main(float2 uv : TEXCOORD) : SV_Target { float4 c = tex2D(input, uv); c.rgb *= tint * a * b; return c; }";
        let out = prefixed(src, "p_");
        for expected in
            ["struct p_S", "cbuffer p_Params", "float3 p_tint;", "float p_a, p_b;", "float p_K", "float p_f(p_S s)"]
        {
            assert!(out.contains(expected), "{expected} in {out}");
        }
        assert!(out.contains("s.tint * p_K"), "{out}");
        assert!(out.contains("c.rgb *= p_tint * p_a * p_b"), "{out}");
        assert!(out.contains("float4 p_main(float2 uv : TEXCOORD)") && out.contains("tex2D(input, uv)"), "{out}");
    }

    #[test]
    fn only_a_member_whose_position_matters_is_clamped_where_its_consumer_reads_past_the_edge() {
        let vignette = "cbuffer Params { float k; };\n\
            float4 main(float2 uv : TEXCOORD) : SV_Target { return tex2D(input, uv) * length(uv - 0.5) * k; }";
        assert!(!uses_position(TINT));
        assert!(uses_position(vignette));
        assert!(fused_source(&[vignette, BLUR], Handoff::Direct).contains("streamlib_m1_main(clamp(p"));
        assert!(!fused_source(&[TINT, BLUR], Handoff::Direct).contains("clamp("));
        assert!(!fused_source(&[BLUR, vignette], Handoff::Direct).contains("clamp("));
    }

    #[test]
    fn the_reader_of_neighbours_goes_first_only_past_members_that_ignore_position() {
        let vignette = "float4 main(float2 uv : TEXCOORD) : SV_Target { return tex2D(input, uv) * length(uv - 0.5); }";
        assert_eq!(reader_first(&[TINT, BLUR]), Some(vec![1, 0]));
        assert_eq!(reader_first(&[TINT, TINT, BLUR, vignette]), Some(vec![2, 0, 1, 3]));
        assert_eq!(reader_first(&[BLUR, TINT]), None, "already first");
        assert_eq!(reader_first(&[TINT, vignette]), None, "no reader of neighbours");
        assert_eq!(reader_first(&[vignette, BLUR]), None, "the vignette depends on where it is drawn");
    }

    #[test]
    fn a_fused_source_chains_members_through_read_functions() {
        let out = fused_source(&[TINT, BLUR], Handoff::Stored);
        assert!(out.contains("cbuffer streamlib_m1_Params"), "{out}");
        assert!(out.contains("cbuffer streamlib_m2_Params"), "{out}");
        assert!(out.contains("#define tex2D(tex, uv) streamlib_read_1(uv)"), "{out}");
        assert!(out.contains("return streamlib_m2_main(uv);"), "{out}");
        assert!(out.contains("round(saturate(streamlib_m1_main(p)) * 255.0) / 255.0"), "{out}");
        assert!(!fused_source(&[TINT, BLUR], Handoff::Direct).contains("round("));
        assert_eq!(member_cbuffer("streamlib_m2_Params"), Some((2, "Params")));
        assert_eq!(member_cbuffer("streamlib_m12_My_Params"), Some((12, "My_Params")));
        assert_eq!(member_cbuffer("streamlib_frame"), None);
    }
}
