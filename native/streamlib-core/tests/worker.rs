//! The supervised worker, against the real worker binary and against programs that crash or hang.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use streamlib_core::shader::{
    CompileError, CompileOptions, CompileRequest, Compiler, CompilerConfig, Isolation, Stage, WorkerCommand,
};

const GOOD: &str = "float4 main(float2 uv : TEXCOORD) : SV_Target { return tex2D(input, uv).bgra; }";
const CRASHER: &str = "[numthreads(8, struct8, 1)] void main(uint3 id : SV_DispatchThreadID) { }";

fn worker() -> WorkerCommand {
    WorkerCommand { program: PathBuf::from(env!("CARGO_BIN_EXE_streamlib-shader-worker")), args: Vec::new() }
}

fn request(name: &str, source: &str, stage: Stage) -> CompileRequest {
    CompileRequest {
        name: name.into(),
        source: source.into(),
        options: CompileOptions { stage, ..CompileOptions::default() },
    }
}

fn first_message(err: CompileError) -> String {
    match err {
        CompileError::Diagnostics { diagnostics, .. } => diagnostics[0].message.clone(),
        other => panic!("expected diagnostics, got {other}"),
    }
}

#[test]
fn worker_compiles_and_is_reused() {
    let compiler = Compiler::new(CompilerConfig::with_worker(worker()));
    for i in 0..5 {
        let shader = compiler.compile(&request("good", &format!("{GOOD}// {i}"), Stage::Pixel)).expect("compiles");
        assert_eq!(shader.spirv[0], 0x0723_0203);
    }
    let stats = compiler.stats();
    assert_eq!((stats.compiles, stats.worker_restarts), (5, 0));
}

#[test]
fn a_front_end_segfault_is_a_diagnostic_and_the_worker_restarts() {
    let compiler = Compiler::new(CompilerConfig::with_worker(worker()));
    for round in 0..3 {
        let message = first_message(
            compiler.compile(&request("crash", &format!("{CRASHER}// {round}"), Stage::Compute)).unwrap_err(),
        );
        assert!(message.contains("crashed") && message.contains("signal 11"), "{message}");
        compiler.compile(&request("good", &format!("{GOOD}// {round}"), Stage::Pixel)).expect("good after crash");
    }
    assert_eq!(compiler.stats().worker_restarts, 3);
}

#[test]
fn a_hung_worker_is_killed_at_the_time_limit() {
    let config = CompilerConfig {
        isolation: Isolation::Worker {
            command: WorkerCommand { program: "/bin/sleep".into(), args: vec!["60".into()] },
            workers: 1,
        },
        timeout: Duration::from_millis(300),
        cache_dir: None,
        library_dirs: Vec::new(),
    };
    let compiler = Compiler::new(config);
    let started = Instant::now();
    let message = first_message(compiler.compile(&request("hang", GOOD, Stage::Pixel)).unwrap_err());
    assert!(message.contains("did not finish within 0.3 s"), "{message}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn a_worker_that_cannot_start_is_reported() {
    let command = WorkerCommand { program: "/nonexistent/streamlib-worker".into(), args: Vec::new() };
    let compiler = Compiler::new(CompilerConfig::with_worker(command));
    let message = first_message(compiler.compile(&request("x", GOOD, Stage::Pixel)).unwrap_err());
    assert!(message.contains("cannot start the compile worker `/nonexistent/streamlib-worker`"), "{message}");
}

#[test]
fn a_worker_that_exits_at_once_gives_a_diagnostic_every_time() {
    // `true` exits at once: the first write fails (or the answer never comes) and a crash is reported;
    // the supervisor must not wedge, and each call gets a clear diagnostic.
    let command = WorkerCommand { program: "/bin/true".into(), args: Vec::new() };
    let compiler = Compiler::new(CompilerConfig::with_worker(command));
    for _ in 0..3 {
        let message = first_message(compiler.compile(&request("x", GOOD, Stage::Pixel)).unwrap_err());
        assert!(message.contains("crashed") || message.contains("stopped accepting"), "{message}");
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_worker_that_dies_while_idle_is_replaced() {
    // The shell appends its pid to a file and execs the real worker, so the file lists every worker started.
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("pids");
    let script = format!("echo $$ >> '{}' && exec \"$0\"", pid_file.display());
    let program = worker().program.display().to_string();
    let command = WorkerCommand { program: "/bin/sh".into(), args: vec!["-c".into(), script, program] };
    let compiler = Compiler::new(CompilerConfig::with_worker(command));
    let pids = || -> Vec<libc::pid_t> {
        std::fs::read_to_string(&pid_file).unwrap().lines().map(|line| line.parse().unwrap()).collect()
    };
    compiler.compile(&request("first", &format!("{GOOD}// idle 1"), Stage::Pixel)).expect("first compile");
    let [first] = pids()[..] else { panic!("one worker expected, started: {:?}", pids()) };

    // Kill it between requests and wait until it is dead (a zombie until the supervisor reaps it).
    // SAFETY: signals a child this test started; no memory is involved.
    assert_eq!(unsafe { libc::kill(first, libc::SIGKILL) }, 0);
    let state = |pid: libc::pid_t| {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        stat.rsplit(") ").next().and_then(|rest| rest.chars().next())
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while state(first) != Some('Z') {
        assert!(Instant::now() < deadline, "worker {first} did not die: state {:?}", state(first));
        std::thread::sleep(Duration::from_millis(10));
    }

    let shader = compiler.compile(&request("second", &format!("{GOOD}// idle 2"), Stage::Pixel)).expect("replaced");
    assert_eq!(shader.spirv[0], 0x0723_0203);
    let [_, replacement] = pids()[..] else { panic!("one replacement expected, started: {:?}", pids()) };
    assert!(replacement != first && matches!(state(replacement), Some('S' | 'R')), "{:?}", state(replacement));
    let stats = compiler.stats();
    assert_eq!((stats.compiles, stats.worker_restarts), (2, 1));
}

#[test]
fn several_workers_compile_concurrently() {
    let mut config = CompilerConfig::with_worker(worker());
    config.isolation = Isolation::Worker { command: worker(), workers: 2 };
    let compiler = std::sync::Arc::new(Compiler::new(config));
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let compiler = compiler.clone();
            std::thread::spawn(move || {
                for i in 0..3 {
                    compiler.compile(&request("par", &format!("{GOOD}// {t} {i}"), Stage::Pixel)).expect("compiles");
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().expect("thread");
    }
    assert_eq!(compiler.stats().compiles, 12);
}
