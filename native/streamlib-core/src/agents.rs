//! What an agent is told, by every MCP server streamlib runs (the runtime binary's and the notebook
//! kernel's): the rules of an effect, the reference it can read, and the `write_effect` prompt.

/// The server's instructions: the shape of an effect and the loop the tools support.
pub const INSTRUCTIONS: &str = "streamlib runs HLSL video effects on the GPU. Write a pixel effect as \
`float4 main(float2 uv : TEXCOORD) : SV_Target`, read the incoming frame with `tex2D(input, uv)`, use the frame \
values `time`, `frame`, `resolution`, `mouse`, and declare parameters in a `cbuffer Params { float strength; \
/* @range(0, 1) @default(0.5) */ };` (`@color` for colours). compile_shader reports diagnostics with line and \
column; replace_shader swaps a running effect and keeps the last good shader on a compile error; get_frame \
shows the result.";

/// How to write an effect: the effect library's README (the prelude, the two forms, the annotations), built in
/// so a server without a library directory still tells an agent the rules.
pub const EFFECT_REFERENCE: &str = include_str!("../../../shaders/README.md");

pub const REFERENCE_URI: &str = "streamlib://reference/effects.md";
pub const GRAPH_URI: &str = "streamlib://graph/config.json";
/// Followed by `NAME.hlsl`: a library shader's source.
pub const LIBRARY_URI: &str = "streamlib://library/";

pub const WRITE_EFFECT: &str = "write_effect";

/// The `write_effect` prompt: the task, the rules, the compile → fix → run → look loop, and the reference.
/// With `effect`, the result replaces that running effect; without, `add_effect` adds one where the server
/// has that tool, else the person's notebook wires it in.
pub fn write_effect_prompt(description: &str, effect: Option<&str>) -> String {
    let run = match effect {
        Some(id) => format!("call replace_shader with effect \"{id}\" and your source"),
        None => "call add_effect with a new id and your source".to_owned(),
    };
    format!(
        "Write a streamlib video effect in HLSL that does this: {description}\n\n\
         Rules:\n{INSTRUCTIONS}\n\n\
         Steps: 1. call compile_shader with your source; if it returns diagnostics, fix the line and column they \
         name and compile again. 2. When it compiles, {run}. 3. Call get_frame and look at the picture; adjust \
         parameters with set_params or the source with replace_shader until it does what was asked.\n\n\
         The full reference (resource {REFERENCE_URI}):\n\n{EFFECT_REFERENCE}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shader::prelude::{FRAME_CBUFFER_HLSL, INPUT_HLSL};

    #[test]
    fn the_reference_quotes_the_prelude_the_compiler_prepends() {
        for line in INPUT_HLSL.lines().chain(FRAME_CBUFFER_HLSL.lines()) {
            assert!(EFFECT_REFERENCE.contains(line), "the effect reference lacks the prelude line `{line}`");
        }
        for annotation in ["@range(", "@default(", "@color", "@checkbox"] {
            assert!(EFFECT_REFERENCE.contains(annotation), "the effect reference lacks {annotation}");
        }
    }

    #[test]
    fn the_write_effect_prompt_carries_the_task_the_rules_and_the_loop() {
        let text = write_effect_prompt("a warm sepia", Some("fx"));
        assert!(text.starts_with("Write a streamlib video effect in HLSL that does this: a warm sepia"));
        assert!(text.contains("replace_shader with effect \"fx\"") && text.contains("compile_shader"));
        assert!(text.contains(INPUT_HLSL.lines().next().unwrap()));
        assert!(write_effect_prompt("x", None).contains("add_effect"));
    }
}
