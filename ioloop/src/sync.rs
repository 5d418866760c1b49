//! Small helpers for the few places that cross threads: locks that shrug
//! off poisoning, and bounded spinning.

use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Locks `mutex`, recovering the guard if a thread panicked while holding
/// it. gust's locked state stays consistent across a panic (each critical
/// section is a push, a pop or a swap), so poisoning carries no meaning
/// here, and a panic elsewhere must not take the loop down.
#[inline]
pub fn lock<T: ?Sized>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Waits on `condvar` with `guard`, recovering from poisoning as
/// [`lock`] does.
#[inline]
pub fn wait<'a, T>(condvar: &Condvar, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
    condvar
        .wait(guard)
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Whether spinning can help at all: only with another CPU to run whoever
/// spinning waits for.
fn can_spin() -> bool {
    static CPUS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CPUS.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get())) > 1
}

/// Spins for up to `limit` until `done()` is true; returns whether it
/// became true. Returns `false` at once on a machine with one CPU, where
/// whatever would make `done()` true cannot run meanwhile.
pub fn spin_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    if !can_spin() {
        return false;
    }
    let start = Instant::now();
    loop {
        for _ in 0..32 {
            if done() {
                return true;
            }
            std::hint::spin_loop();
        }
        if start.elapsed() >= limit {
            return done();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn a_poisoned_lock_is_still_usable() {
        let mutex = Arc::new(Mutex::new(1));
        let m = mutex.clone();
        let _ = std::thread::spawn(move || {
            let _guard = m.lock().unwrap();
            panic!("poison it");
        })
        .join();
        assert!(mutex.is_poisoned());
        *lock(&mutex) += 1;
        assert_eq!(*lock(&mutex), 2);
    }

    #[test]
    fn spinning_stops_when_done_or_after_the_limit() {
        let mut calls = 0;
        let done = spin_until(Duration::from_secs(10), || {
            calls += 1;
            calls == 3
        });
        assert!(done || !can_spin());
        if can_spin() {
            assert_eq!(calls, 3);
            let started = Instant::now();
            assert!(!spin_until(Duration::from_millis(1), || false));
            assert!(started.elapsed() >= Duration::from_millis(1));
        }
    }
}
