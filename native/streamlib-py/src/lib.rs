//! `streamlib._native`: converts types and errors between Python and `streamlib-core`, nothing more.

mod agents;
mod call;
mod errors;
mod gpu;
mod graph;
mod handles;
mod nodes;
mod shader;
mod values;

use pyo3::prelude::*;

#[pymodule]
fn _native(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add("__version__", env!("CARGO_PKG_VERSION"))?;
    module.add_function(wrap_pyfunction!(shader::configure, module)?)?;
    module.add_function(wrap_pyfunction!(shader::compile, module)?)?;
    module.add_function(wrap_pyfunction!(shader::compilers, module)?)?;
    module.add_function(wrap_pyfunction!(shader::detect_stage, module)?)?;
    module.add_function(wrap_pyfunction!(shader::language_of_path, module)?)?;
    module.add_function(wrap_pyfunction!(shader::compiler_stats, module)?)?;
    module.add_function(wrap_pyfunction!(shader::serve_compile_worker, module)?)?;
    module.add_function(wrap_pyfunction!(shader::env_settings, module)?)?;
    module.add_function(wrap_pyfunction!(gpu::adapters, module)?)?;
    module.add_function(wrap_pyfunction!(gpu::features, module)?)?;
    module.add_function(wrap_pyfunction!(nodes::node_types, module)?)?;
    module.add_function(wrap_pyfunction!(nodes::test_pattern_glsl_es, module)?)?;
    module.add_function(wrap_pyfunction!(graph::load_graph, module)?)?;
    module.add_function(wrap_pyfunction!(agents::agent_texts, module)?)?;
    module.add_function(wrap_pyfunction!(agents::write_effect_prompt, module)?)?;
    module.add_function(wrap_pyfunction!(agents::chain_end, module)?)?;
    module.add_class::<shader::NativeShader>()?;
    module.add_class::<gpu::NativeGpu>()?;
    module.add_class::<gpu::NativeTexture>()?;
    module.add_class::<gpu::NativePipeline>()?;
    module.add_class::<graph::NativeGraph>()?;
    module.add_class::<nodes::NativeNodeSpec>()?;
    module.add_class::<handles::NativeEffect>()?;
    module.add_class::<handles::NativeLatestFrame>()?;
    module.add_class::<handles::NativePreviewQueue>()?;
    module.add_class::<handles::NativePushSlot>()?;
    Ok(())
}
