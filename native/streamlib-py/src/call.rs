//! The one way a long Rust call runs from Python (compiles, GPU waits, graph starts and stops, frame
//! waits): the GIL released, a panic turned into a `StreamlibError` naming the operation instead of
//! unwinding into Python, and a Ctrl-C that arrived meanwhile raised as `KeyboardInterrupt` on return.

use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::prelude::*;

use crate::errors::streamlib_error;

pub fn long_call<T: Send>(py: Python<'_>, what: &str, call: impl FnOnce() -> T + Send) -> PyResult<T> {
    match py.detach(|| catch_unwind(AssertUnwindSafe(call))) {
        Ok(value) => {
            py.check_signals()?;
            Ok(value)
        }
        Err(_) => Err(streamlib_error(py, format!("internal error while {what} (a Rust panic); please report it"))),
    }
}
