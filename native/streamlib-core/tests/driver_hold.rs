//! The driver hold a frame loop keeps across frames in flight: its own thread takes the driver again
//! inside it, another thread waiting is seen, and a hand-over lets that thread in.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use streamlib_core::gpu::{AdapterPreference, Gpu};

#[test]
fn a_held_driver_is_handed_to_the_thread_waiting_for_it() {
    let gpu = Gpu::new(&AdapterPreference::from_env()).expect("a Vulkan adapter (lavapipe in CI)");
    let hold = gpu.hold();
    // Re-entrant: the holder's own pipeline builds and submissions do not wait for themselves.
    drop(gpu.exclusive());
    assert!(!gpu.driver_wanted());

    let entered = Arc::new(AtomicBool::new(false));
    let waiter = {
        let (gpu, entered) = (gpu.clone(), entered.clone());
        std::thread::spawn(move || {
            let _driver = gpu.exclusive();
            entered.store(true, Ordering::SeqCst);
        })
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while !gpu.driver_wanted() {
        assert!(Instant::now() < deadline, "the waiting thread was never seen");
        std::thread::sleep(Duration::from_millis(1));
    }
    std::thread::sleep(Duration::from_millis(20));
    assert!(!entered.load(Ordering::SeqCst), "the driver was taken while held");

    hold.hand_over();
    waiter.join().unwrap();
    assert!(entered.load(Ordering::SeqCst));
    assert!(!gpu.driver_wanted());
}
