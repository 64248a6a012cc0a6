//! Optional data parallelism that never changes a result.
//!
//! [`Workers::map`] applies a function to every item of a slice and returns the results in item order.
//! Natively, with more than one thread, the items are spread over a private rayon pool; in the wasm build
//! (no threads without cross-origin isolation) and with one thread, it is a plain loop. Callers only hand
//! it work whose result does not depend on the order in which items are computed, so every thread count
//! gives bit-identical output: the thread count is a speed knob, never a numerical one.
//!
//! Cost: the pool for a given thread count is built once per process (spawning its threads) and shared;
//! each `map` then costs a few µs of scheduling on top of the work.

/// A fixed number of worker threads (1 = run on the caller's thread). Clones share the pool.
#[derive(Clone)]
pub struct Workers {
    #[cfg(not(target_arch = "wasm32"))]
    threads: usize,
    #[cfg(not(target_arch = "wasm32"))]
    pool: Option<std::sync::Arc<rayon::ThreadPool>>,
}

impl Workers {
    /// `threads` workers; 0 means one per available core. Always 1 in the wasm build. If the pool cannot
    /// be built (the OS refuses threads), it quietly runs on one thread: the result is the same.
    pub fn new(threads: usize) -> Workers {
        #[cfg(not(target_arch = "wasm32"))]
        {
            let threads = if threads == 0 {
                std::thread::available_parallelism().map_or(1, |n| n.get())
            } else {
                threads
            };
            let pool = if threads > 1 {
                shared_pool(threads)
            } else {
                None
            };
            Workers {
                threads: if pool.is_some() { threads } else { 1 },
                pool,
            }
        }
        #[cfg(target_arch = "wasm32")]
        {
            let _ = threads;
            Workers {}
        }
    }

    /// How many threads `map` uses.
    #[inline]
    pub fn threads(&self) -> usize {
        // A constant in wasm, so that the multi-thread branches of callers compile away there.
        #[cfg(target_arch = "wasm32")]
        return 1;
        #[cfg(not(target_arch = "wasm32"))]
        self.threads
    }

    /// Runs `f` on one of the workers, so that the `map` calls inside it are scheduled from within the
    /// pool (cheaper than entering it from outside for every `map`). Same result as calling `f` directly.
    pub fn run<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
        #[cfg(not(target_arch = "wasm32"))]
        if let Some(pool) = &self.pool {
            return pool.clone().install(f);
        }
        f()
    }

    /// `f` applied to every item, results in item order. `init` makes one scratch state per worker task
    /// (e.g. buffers), reused across that task's items.
    pub fn map<T, S, R>(
        &self,
        items: &[T],
        init: impl Fn() -> S + Sync + Send,
        f: impl Fn(&mut S, &T) -> R + Sync + Send,
    ) -> Vec<R>
    where
        T: Sync,
        R: Send,
    {
        #[cfg(not(target_arch = "wasm32"))]
        if let Some(pool) = &self.pool
            && items.len() > 1
        {
            use rayon::prelude::*;
            return pool.install(|| items.par_iter().map_init(&init, |s, t| f(s, t)).collect());
        }
        let mut state = init();
        items.iter().map(|t| f(&mut state, t)).collect()
    }
}

/// The process-wide pool of `threads` threads, built on first use and kept: a compression then costs no
/// thread start-up, and repeated compressions (benchmarks, experiments) reuse the same threads.
#[cfg(not(target_arch = "wasm32"))]
fn shared_pool(threads: usize) -> Option<std::sync::Arc<rayon::ThreadPool>> {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, OnceLock};
    static POOLS: OnceLock<Mutex<HashMap<usize, Arc<rayon::ThreadPool>>>> = OnceLock::new();
    let mut pools = POOLS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(p) = pools.get(&threads) {
        return Some(p.clone());
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("moment-lab-{i}"))
        .build()
        .ok()
        .map(Arc::new)?;
    pools.insert(threads, pool.clone());
    Some(pool)
}

/// One scratch state per worker thread for [`Workers::map_with`], kept across calls so that buffers are
/// allocated once per compression rather than once per call.
pub struct PerWorker<S> {
    states: Vec<std::sync::Mutex<S>>,
}

impl<S> PerWorker<S> {
    /// One state per worker of `workers`, made by `init`.
    pub fn new(workers: &Workers, init: impl Fn() -> S) -> PerWorker<S> {
        PerWorker {
            states: (0..workers.threads())
                .map(|_| std::sync::Mutex::new(init()))
                .collect(),
        }
    }

    /// The calling worker's state (each worker runs one item at a time, so the lock is never contended).
    fn lock(&self) -> std::sync::MutexGuard<'_, S> {
        #[cfg(not(target_arch = "wasm32"))]
        let i = rayon::current_thread_index().unwrap_or(0) % self.states.len();
        #[cfg(target_arch = "wasm32")]
        let i = 0;
        // A worker that panicked poisoned its state; the buffers are scratch, so keep using them.
        self.states[i].lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Workers {
    /// `f(i)` for every index `i` in `order` (indices below `len`), with each thread of the pool taking the
    /// next index from one shared queue: items listed first start first, so costly items listed first do
    /// not end up one after the other on one thread. The results come back by index (`None` for an index
    /// not in `order`). Which thread ran an item never changes its result.
    pub fn queue<R: Send>(
        &self,
        order: &[usize],
        len: usize,
        f: impl Fn(usize) -> R + Sync + Send,
    ) -> Vec<Option<R>> {
        use std::sync::Mutex;
        use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
        let results: Vec<Mutex<Option<R>>> = (0..len).map(|_| Mutex::new(None)).collect();
        let next = AtomicUsize::new(0);
        let slots: Vec<usize> = (0..self.threads().min(order.len()).max(1)).collect();
        self.map(
            &slots,
            || (),
            |_, _| {
                while let Some(&i) = order.get(next.fetch_add(1, Relaxed)) {
                    let r = f(i);
                    *results[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(r);
                }
            },
        );
        results
            .into_iter()
            .map(|r| r.into_inner().unwrap_or_else(|e| e.into_inner()))
            .collect()
    }

    /// [`Workers::map`] with per-worker scratch states that outlive the call.
    pub fn map_with<T, S, R>(
        &self,
        states: &PerWorker<S>,
        items: &[T],
        f: impl Fn(&mut S, &T) -> R + Sync + Send,
    ) -> Vec<R>
    where
        T: Sync,
        S: Send,
        R: Send,
    {
        self.map(items, || (), |_, t| f(&mut states.lock(), t))
    }
}

impl Default for Workers {
    fn default() -> Self {
        Workers::new(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_keeps_item_order_for_any_thread_count() {
        let items: Vec<u64> = (0..1000).collect();
        let one = Workers::new(1).map(&items, || 0u64, |_, &x| x * x + 1);
        for threads in [2, 3, 0] {
            let w = Workers::new(threads);
            assert!(w.threads() >= 1);
            assert_eq!(w.map(&items, || 0u64, |_, &x| x * x + 1), one);
        }
        assert!(
            Workers::new(1)
                .map(&[] as &[u64], || (), |_, &x| x)
                .is_empty()
        );
    }
}
