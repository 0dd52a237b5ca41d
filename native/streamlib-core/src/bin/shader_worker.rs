//! The compile worker process: see `streamlib_core::shader::worker`.
fn main() {
    if let Err(err) = streamlib_core::shader::worker::serve() {
        eprintln!("streamlib-shader-worker: {err}");
        std::process::exit(1);
    }
}
