//! Cross-compilation of the same SPIR-V to MSL (Apple) and GLSL ES 3.00 (WebGL2) through SPIRV-Cross.

use super::reflect::Reflection;

pub fn to_msl(_spirv: &[u32]) -> Result<String, String> {
    Err("MSL not implemented yet".to_owned())
}

pub fn to_glsl_es(_spirv: &[u32], _reflection: &Reflection) -> Result<String, String> {
    Err("GLSL ES not implemented yet".to_owned())
}
