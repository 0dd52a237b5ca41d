// Records the linked shaderc version so `compilers()` can report it without calling into the library.
fn main() {
    let version = std::process::Command::new("pkg-config")
        .args(["--modversion", "shaderc_combined"])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .map(|v| v.trim().to_owned())
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=STREAMLIB_SHADERC_VERSION={version}");
    link_glslang_statically();
    println!("cargo:rerun-if-changed=build.rs");
}

/// Debian's libshaderc_combined.a leaves out glslang and SPIRV-Tools (they are packaged separately), so
/// link their static archives too; the result needs no shaderc/glslang shared library at run time.
fn link_glslang_statically() {
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("linux") {
        return;
    }
    let dir = std::env::var("STREAMLIB_GLSLANG_LIB_DIR").unwrap_or_else(|_| {
        let arch = std::env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_else(|_| "x86_64".to_owned());
        format!("/usr/lib/{arch}-linux-gnu")
    });
    println!("cargo:rustc-link-search=native={dir}");
    for lib in [
        "glslang",
        "MachineIndependent",
        "OSDependent",
        "GenericCodeGen",
        "OGLCompiler",
        "HLSL",
        "SPIRV",
        "glslang-default-resource-limits",
        "SPIRV-Tools-opt",
        "SPIRV-Tools",
    ] {
        if std::path::Path::new(&dir).join(format!("lib{lib}.a")).exists() {
            println!("cargo:rustc-link-lib=static:-bundle={lib}");
        }
    }
    println!("cargo:rerun-if-env-changed=STREAMLIB_GLSLANG_LIB_DIR");
}
