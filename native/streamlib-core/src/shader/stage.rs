//! Which stage a source is written for when none is asked: the one rule Python, the server extension, the
//! editor and the runtime binary all call.

use super::tokens::tokens;
use super::types::{unknown_name, Stage};

const STAGE_NAMES: [&str; 4] = ["auto", "pixel", "vertex", "compute"];

impl Stage {
    /// The stage `requested` names for `source`: "auto" asks `detect`, other names as `Stage::parse`. None
    /// when the name is unknown. The one reading of a requested stage for Python and the HTTP API.
    pub fn requested(requested: &str, source: &str) -> Option<Stage> {
        match requested {
            "auto" => Some(Stage::detect(source)),
            name => Stage::parse(name),
        }
    }

    /// `requested`, with an unknown name refused in words that list the names there are.
    pub fn from_request(requested: &str, source: &str) -> Result<Stage, String> {
        Stage::requested(requested, source).ok_or_else(|| unknown_name("stage", requested, &STAGE_NAMES))
    }

    /// Compute when an attribute `[numthreads(…)]` marks the entry point (HLSL attributes ignore case),
    /// else pixel, the effect form. Text in comments and strings does not count.
    pub fn detect(source: &str) -> Stage {
        let words = tokens(source);
        let compute = words.windows(3).any(|w| w[0] == "[" && w[1].eq_ignore_ascii_case("numthreads") && w[2] == "(");
        if compute {
            Stage::Compute
        } else {
            Stage::Pixel
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numthreads_makes_a_compute_shader() {
        let source =
            "RWTexture2D<float4> output;\n[ NumThreads (8, 8, 1)]\nvoid main(uint3 id : SV_DispatchThreadID) {}";
        assert_eq!(Stage::detect(source), Stage::Compute);
    }

    #[test]
    fn pixel_form_is_the_default() {
        assert_eq!(Stage::detect("float4 main(float2 uv : TEXCOORD) : SV_Target { return 1; }"), Stage::Pixel);
    }

    #[test]
    fn numthreads_in_a_comment_or_a_string_does_not_count() {
        let source = "// unlike the [numthreads(8,8,1)] form\n/* [numthreads(1,1,1)] */\n#include \"[numthreads(\"\n\
                      float4 main(float2 uv : TEXCOORD) : SV_Target { return 1; }";
        assert_eq!(Stage::detect(source), Stage::Pixel);
    }

    #[test]
    fn auto_detects_and_names_parse() {
        let compute = "[numthreads(1, 1, 1)] void main() {}";
        assert_eq!(Stage::requested("auto", compute), Some(Stage::Compute));
        assert_eq!(Stage::requested("pixel", compute), Some(Stage::Pixel));
        assert_eq!(Stage::requested("geometry", compute), None);
        assert_eq!(
            Stage::from_request("geometry", compute).unwrap_err(),
            "unknown stage 'geometry': expected one of 'auto', 'pixel', 'vertex', 'compute'"
        );
    }

    #[test]
    fn a_name_that_merely_contains_the_word_does_not_count() {
        assert_eq!(Stage::detect("float numthreads_hint; float4 main() : SV_Target { return 0; }"), Stage::Pixel);
    }
}
