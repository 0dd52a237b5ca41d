//! Mistakes that glslang accepts silently but DXC rejects (so both backends agree), caught on the text:
//! misspelt system-value semantics and unknown register classes.

use super::types::Diagnostic;

const SYSTEM_VALUES: &[&str] = &[
    "SV_Target",
    "SV_Position",
    "SV_Depth",
    "SV_DepthGreaterEqual",
    "SV_DepthLessEqual",
    "SV_Coverage",
    "SV_IsFrontFace",
    "SV_SampleIndex",
    "SV_PrimitiveID",
    "SV_VertexID",
    "SV_InstanceID",
    "SV_ClipDistance",
    "SV_CullDistance",
    "SV_RenderTargetArrayIndex",
    "SV_ViewportArrayIndex",
    "SV_DispatchThreadID",
    "SV_GroupID",
    "SV_GroupThreadID",
    "SV_GroupIndex",
    "SV_StencilRef",
    "SV_InnerCoverage",
    "SV_ViewID",
    "SV_Barycentrics",
    "SV_ShadingRate",
];

/// Register classes HLSL knows: cbuffers, textures/SRVs, samplers, UAVs, and `c` constant offsets.
const REGISTER_CLASSES: &[char] = &['b', 't', 's', 'u', 'c'];

pub fn check(file: &str, source: &str) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    for (index, text) in source.lines().enumerate() {
        let code = text.split("//").next().unwrap_or(text);
        let line = index as u32 + 1;
        check_semantics(file, source, code, line, &mut diagnostics);
        check_registers(file, source, code, line, &mut diagnostics);
    }
    diagnostics
}

fn check_semantics(file: &str, source: &str, code: &str, line: u32, out: &mut Vec<Diagnostic>) {
    let mut start = 0;
    while let Some(found) = code[start..].find(':') {
        let after_colon = start + found + 1;
        let rest = &code[after_colon..];
        let word_start = after_colon + (rest.len() - rest.trim_start().len());
        let word: String = code[word_start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        start = after_colon;
        if word.len() < 3 || !word[..3].eq_ignore_ascii_case("SV_") {
            continue;
        }
        let base = word.trim_end_matches(|c: char| c.is_ascii_digit());
        if SYSTEM_VALUES.iter().any(|known| known.eq_ignore_ascii_case(base)) {
            continue;
        }
        let suggestion = SYSTEM_VALUES
            .iter()
            .min_by_key(|known| edit_distance(&known.to_ascii_lowercase(), &base.to_ascii_lowercase()));
        let hint = suggestion.map(|s| format!("; did you mean '{s}'?")).unwrap_or_default();
        let column = code[..word_start].chars().count() as u32 + 1;
        out.push(Diagnostic::error(file, format!("unknown system-value semantic '{word}'{hint}")).at(
            source,
            line,
            Some(column),
        ));
    }
}

fn check_registers(file: &str, source: &str, code: &str, line: u32, out: &mut Vec<Diagnostic>) {
    let mut start = 0;
    while let Some(found) = code[start..].find("register") {
        let at = start + found;
        start = at + "register".len();
        let before_ok = code[..at].chars().next_back().is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_'));
        let rest = code[start..].trim_start();
        if !before_ok || !rest.starts_with('(') {
            continue;
        }
        let inner = rest[1..].trim_start();
        let slot: String = inner.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        let column = code.len() - inner.len();
        let column = code[..column].chars().count() as u32 + 1;
        let mut chars = slot.chars();
        let class = chars.next().map(|c| c.to_ascii_lowercase());
        let number_ok = !slot.is_empty() && chars.clone().count() > 0 && chars.all(|c| c.is_ascii_digit());
        match class {
            Some(c) if REGISTER_CLASSES.contains(&c) && number_ok => {}
            _ => out.push(
                Diagnostic::error(file, format!("invalid register '{slot}': expected b# (cbuffer), t# (texture), s# (sampler) or u# (UAV), e.g. register(t1)"))
                    .at(source, line, Some(column)),
            ),
        }
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            current.push((previous[j] + usize::from(ca != *cb)).min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn misspelt_semantic_gets_a_suggestion() {
        let d = check("fx", "float4 main(float2 uv : TEXCOORD) : SV_Tarjet {");
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].column, Some(37));
        assert!(d[0].message.contains("did you mean 'SV_Target'"), "{}", d[0].message);
    }

    #[test]
    fn numbered_and_lowercase_semantics_are_fine() {
        assert!(check(
            "fx",
            "struct O { float4 a : SV_Target0; float4 b : sv_position; uint3 id : SV_DispatchThreadID; };"
        )
        .is_empty());
    }

    #[test]
    fn bad_register_class_is_reported() {
        let d = check("fx", "Texture2D t : register(q3);");
        assert_eq!((d.len(), d[0].column), (1, Some(24)));
        assert!(check("fx", "Texture2D t : register(t3, space1); cbuffer C : register(b0) {};").is_empty());
        assert_eq!(check("fx", "SamplerState s : register( s );").len(), 1);
    }

    #[test]
    fn comments_are_ignored() {
        assert!(check("fx", "float x; // : SV_Bogus register(q1)").is_empty());
    }
}
