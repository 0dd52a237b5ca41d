//! The supervised compile worker: front ends run in a child process, so their crashes and hangs cost a
//! restart of that process, never the kernel or the runtime that asked for the compile.
//!
//! Protocol: length-prefixed (u32 little-endian) postcard frames over the child's stdin/stdout.

use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::pipeline::compile_prepared;
use super::preprocess::PreparedSource;
use super::types::{BackendKind, CompiledShader, Diagnostic};

const MAX_FRAME_BYTES: usize = 256 * 1024 * 1024;

#[derive(Debug, Serialize, Deserialize)]
pub enum WorkerRequest {
    Compile { prepared: PreparedSource, backend: BackendKind },
}

#[derive(Debug, Serialize, Deserialize)]
pub enum WorkerResponse {
    Compiled(Box<CompiledShader>),
    Failed(Vec<Diagnostic>),
}

/// How to start a worker: a program whose main calls [`serve`] (the runtime binary re-executes itself;
/// Python runs its own interpreter on `streamlib._compile_worker`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerCommand {
    pub program: PathBuf,
    pub args: Vec<String>,
}

pub fn write_frame(out: &mut impl Write, payload: &[u8]) -> io::Result<()> {
    out.write_all(&(payload.len() as u32).to_le_bytes())?;
    out.write_all(payload)?;
    out.flush()
}

/// Reads one frame; `Ok(None)` at a clean end of stream.
pub fn read_frame(input: &mut impl Read) -> io::Result<Option<Vec<u8>>> {
    let mut len = [0u8; 4];
    match input.read_exact(&mut len) {
        Ok(()) => {}
        Err(err) if err.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(err) => return Err(err),
    }
    let len = u32::from_le_bytes(len) as usize;
    if len > MAX_FRAME_BYTES {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("frame of {len} bytes exceeds {MAX_FRAME_BYTES}"),
        ));
    }
    let mut payload = vec![0u8; len];
    input.read_exact(&mut payload)?;
    Ok(Some(payload))
}

/// The worker's main loop: answer compile requests on stdin until it closes.
pub fn serve() -> io::Result<()> {
    let mut output = protocol_stdout()?;
    let mut input = io::stdin().lock();
    while let Some(frame) = read_frame(&mut input)? {
        let response = match postcard::from_bytes::<WorkerRequest>(&frame) {
            Ok(WorkerRequest::Compile { prepared, backend }) => {
                let name = prepared.request.name.clone();
                // A Rust panic is answered, not fatal; a C++ crash still kills us, which the parent handles.
                match std::panic::catch_unwind(|| compile_prepared(&prepared, backend)) {
                    Ok(Ok(shader)) => WorkerResponse::Compiled(Box::new(shader)),
                    Ok(Err(diagnostics)) => WorkerResponse::Failed(diagnostics),
                    Err(_) => WorkerResponse::Failed(vec![Diagnostic::error(
                        &name,
                        "internal error in the compile pipeline (a panic); please report this shader",
                    )]),
                }
            }
            Err(err) => WorkerResponse::Failed(vec![Diagnostic::error("worker", format!("unreadable request: {err}"))]),
        };
        let bytes =
            postcard::to_stdvec(&response).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
        write_frame(&mut output, &bytes)?;
    }
    Ok(())
}

/// Keeps the protocol on a private copy of stdout and points fd 1 at stderr, so anything a C++ library
/// prints cannot corrupt a frame.
#[cfg(unix)]
fn protocol_stdout() -> io::Result<std::fs::File> {
    use std::os::fd::FromRawFd;
    // SAFETY: dup/dup2 on the process's own standard descriptors; the new fd is owned by the File.
    unsafe {
        let fd = libc::dup(1);
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        if libc::dup2(2, 1) < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(std::fs::File::from_raw_fd(fd))
    }
}

#[cfg(not(unix))]
fn protocol_stdout() -> io::Result<io::Stdout> {
    Ok(io::stdout())
}

struct WorkerProcess {
    child: Child,
    stdin: ChildStdin,
    responses: Receiver<io::Result<Option<Vec<u8>>>>,
}

impl WorkerProcess {
    fn spawn(command: &WorkerCommand) -> io::Result<WorkerProcess> {
        let mut child = Command::new(&command.program)
            .args(&command.args)
            .env("STREAMLIB_COMPILE_WORKER", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let stdin = child.stdin.take().ok_or_else(|| io::Error::other("worker has no stdin"))?;
        let mut stdout = child.stdout.take().ok_or_else(|| io::Error::other("worker has no stdout"))?;
        let (send, responses) = mpsc::channel();
        std::thread::Builder::new().name("streamlib-compile-worker-reader".into()).spawn(move || loop {
            let frame = read_frame(&mut stdout);
            let done = !matches!(frame, Ok(Some(_)));
            if send.send(frame).is_err() || done {
                break;
            }
        })?;
        Ok(WorkerProcess { child, stdin, responses })
    }

    fn kill(mut self) -> String {
        let _ = self.child.kill();
        self.child.wait().map(|status| describe_exit(&status)).unwrap_or_else(|e| e.to_string())
    }

    fn reap(mut self) -> String {
        // The pipe closed, so the child is exiting; give it a moment before forcing it.
        for _ in 0..50 {
            if let Ok(Some(status)) = self.child.try_wait() {
                return describe_exit(&status);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        self.kill()
    }
}

fn describe_exit(status: &std::process::ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            let name = match signal {
                libc::SIGSEGV => "SIGSEGV, a segmentation fault",
                libc::SIGABRT => "SIGABRT, an abort",
                libc::SIGBUS => "SIGBUS",
                libc::SIGILL => "SIGILL",
                libc::SIGFPE => "SIGFPE",
                libc::SIGKILL => "SIGKILL",
                _ => "a signal",
            };
            return format!("signal {signal}, {name}");
        }
    }
    match status.code() {
        Some(code) => format!("exit status {code}"),
        None => "an unknown status".to_owned(),
    }
}

/// A small pool of reused worker processes, each restarted after a crash or a timeout.
pub struct Supervisor {
    command: WorkerCommand,
    timeout: Duration,
    slots: Vec<Mutex<Option<WorkerProcess>>>,
    next: AtomicUsize,
    restarts: AtomicU64,
}

impl Supervisor {
    pub fn new(command: WorkerCommand, workers: usize, timeout: Duration) -> Supervisor {
        Supervisor {
            command,
            timeout,
            slots: (0..workers.max(1)).map(|_| Mutex::new(None)).collect(),
            next: AtomicUsize::new(0),
            restarts: AtomicU64::new(0),
        }
    }

    pub fn restarts(&self) -> u64 {
        self.restarts.load(Ordering::Relaxed)
    }

    pub fn compile(&self, prepared: &PreparedSource, backend: BackendKind) -> Result<CompiledShader, Vec<Diagnostic>> {
        let name = prepared.request.name.as_str();
        let request = postcard::to_stdvec(&WorkerRequest::Compile { prepared: prepared.clone(), backend })
            .map_err(|e| vec![Diagnostic::error(name, format!("cannot encode the compile request: {e}"))])?;
        let mut slot = self.free_slot();
        // A worker that died while idle shows up as a broken pipe on write: start a fresh one, once.
        for attempt in 0..2 {
            if slot.is_none() {
                let process = WorkerProcess::spawn(&self.command).map_err(|e| {
                    vec![Diagnostic::error(
                        name,
                        format!("cannot start the compile worker `{}`: {e}", self.command.program.display()),
                    )]
                })?;
                *slot = Some(process);
            }
            let Some(process) = slot.as_mut() else { continue };
            if write_frame(&mut process.stdin, &request).is_err() {
                if let Some(dead) = slot.take() {
                    dead.kill();
                    self.restarts.fetch_add(1, Ordering::Relaxed);
                }
                if attempt == 0 {
                    continue;
                }
                return Err(vec![Diagnostic::error(name, "the compile worker stopped accepting requests")]);
            }
            return match process.responses.recv_timeout(self.timeout) {
                Ok(Ok(Some(bytes))) => match postcard::from_bytes::<WorkerResponse>(&bytes) {
                    Ok(WorkerResponse::Compiled(shader)) => Ok(*shader),
                    Ok(WorkerResponse::Failed(diagnostics)) => Err(diagnostics),
                    Err(e) => {
                        self.discard(&mut slot);
                        Err(vec![Diagnostic::error(name, format!("unreadable answer from the compile worker: {e}"))])
                    }
                },
                Ok(Ok(None)) | Ok(Err(_)) | Err(RecvTimeoutError::Disconnected) => {
                    let how = slot.take().map(WorkerProcess::reap).unwrap_or_default();
                    self.restarts.fetch_add(1, Ordering::Relaxed);
                    Err(vec![Diagnostic::error(
                        name,
                        format!("the {backend} compiler crashed on this source ({how}); the compiler was restarted and nothing else was affected — look for malformed syntax near your last edit"),
                    )])
                }
                Err(RecvTimeoutError::Timeout) => {
                    self.discard(&mut slot);
                    Err(vec![Diagnostic::error(
                        name,
                        format!(
                            "the {backend} compiler did not finish within {:.1} s on this source and was stopped",
                            self.timeout.as_secs_f64()
                        ),
                    )])
                }
            };
        }
        Err(vec![Diagnostic::error(name, "the compile worker could not be started")])
    }

    fn discard(&self, slot: &mut MutexGuard<'_, Option<WorkerProcess>>) {
        if let Some(process) = slot.take() {
            process.kill();
            self.restarts.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// An idle worker if there is one, else wait for the next in turn.
    fn free_slot(&self) -> MutexGuard<'_, Option<WorkerProcess>> {
        for slot in &self.slots {
            if let Ok(guard) = slot.try_lock() {
                return guard;
            }
        }
        let index = self.next.fetch_add(1, Ordering::Relaxed) % self.slots.len();
        self.slots[index].lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        for slot in &self.slots {
            if let Some(process) = slot.lock().unwrap_or_else(|p| p.into_inner()).take() {
                process.kill();
            }
        }
    }
}
