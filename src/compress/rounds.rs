//! The end phase of [`super::Strategy::Auto`]: rounds that each reduce the smallest disjoint
//! `(N+q)`-point neighbour balls by `q` points, `q` falling to 1 as the target nears.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::compressor::{Compressor, OrdF64, Phase, Step, cache_len};
use super::spatial::{BallCache, KdTree};
use super::{diameter_of, n_moments};

/// The Auto end phase: rounds that each reduce the smallest disjoint `(N+q)`-point neighbour balls by `q`
/// points. Spreading the eliminations evenly keeps the weights balanced, which is what the last, most
/// costly eliminations need.
pub(super) struct RoundsState {
    balls: BallCache,
    heap: BinaryHeap<Reverse<(OrdF64, usize)>>,
    members: Vec<usize>,
    /// Ball size the heap keys were computed for.
    size: usize,
    /// Round stamp of the last round that took each point into a ball.
    taken: Vec<u32>,
    stamp: u32,
    /// Accepted balls of the current round, concatenated.
    chosen: Vec<usize>,
    aside: Vec<(f64, usize)>,
    /// Alive count when the end phase started (for the q schedule).
    start: usize,
}

impl Compressor {
    /// Alive count at which Auto switches from bulk to the end phase.
    pub(super) fn end_from(&self) -> usize {
        let f = if self.params.end_from.is_finite() {
            self.params.end_from.max(1.0)
        } else {
            1.0
        };
        ((self.params.target as f64) * f).min(usize::MAX as f64 / 2.0) as usize
    }

    /// Points removed per ball at the start of the end phase: `end_q`, but at least `N / 16`. A ball of
    /// `N + q` points costs one `N × (N + q)` factorisation, `O(N³)`, whatever `q`; with large `N`
    /// (m = 5, k = 6: N = 462) and `q` = 8 the end phase would spend most of its factorisations on balls
    /// hardly larger than `N`, while `N / 16` more points widen a ball by only `(1 + 1/16)^(1/m)`.
    /// Below `N = 144` (m = 3 and m = 4 at k = 5) this is `end_q`.
    fn q_start(&self) -> usize {
        self.params.end_q.max(self.n_mom / 16).max(1)
    }

    /// Points removed per ball in the end phase at the current alive count: [`Self::q_start`] at the
    /// start, falling linearly to 1 at the target.
    fn end_q(&self, start: usize) -> usize {
        let qmax = self.q_start();
        let span = start.saturating_sub(self.params.target).max(1);
        let left = self.alive.saturating_sub(self.params.target);
        (1 + (qmax - 1) * left / span).clamp(1, qmax)
    }

    /// Points a ball of the end phase has beyond the `q` it loses: `N`, or with
    /// [`CompressParams::lookahead`](super::CompressParams::lookahead) `N(m,k+1)` (so that it can keep the
    /// order-(k+1) moments) when the target leaves room for two such balls.
    fn ball_base(&self) -> usize {
        if !self.params.lookahead {
            return self.n_mom;
        }
        match n_moments(self.cloud.dim, self.params.order + 1) {
            Some(n_up) if n_up <= self.params.target / 2 => n_up,
            _ => self.n_mom,
        }
    }

    pub(super) fn start_rounds(&mut self) -> Phase {
        let ids = self.alive_ids();
        let start = self.alive;
        let size = self.ball_base() + self.end_q(start);
        let tree = KdTree::build(&self.cloud.points, self.cloud.dim, ids.clone(), 16);
        let mut balls = BallCache::new(
            tree,
            cache_len(self.ball_base() + self.q_start(), ids.len()),
        );
        // Ball sizes only fall from here, never to `ball_base` or below: keep the bounds that let a
        // refill for a smaller size skip the neighbour lists (see `refill_rounds_heap`).
        balls.keep_bounds(self.ball_base());
        let mut st = RoundsState {
            balls,
            heap: BinaryHeap::with_capacity(ids.len()),
            members: Vec::new(),
            size,
            taken: vec![0; self.weights.len()],
            stamp: 0,
            chosen: Vec::new(),
            aside: Vec::new(),
            start,
        };
        self.fill_rounds_heap(&mut st, &ids);
        self.begin_round();
        Phase::Rounds(st)
    }

    /// The heap for a smaller ball size: every alive point keyed by a lower bound on its ball's radius
    /// (the one of its last neighbour query, [`BallCache::lower_bound`]) where there is one, else by the
    /// radius itself. A round pops balls in the order of their current radii either way (a popped key
    /// below the radius is pushed back with it, as between rounds), so the balls chosen are those an exact
    /// refill would choose; most of the balls are never looked at again before the next refill.
    fn refill_rounds_heap(&mut self, st: &mut RoundsState, ids: &[usize]) {
        st.heap.clear();
        for &i in ids {
            let r = match st.balls.lower_bound(i, st.size) {
                Some(r) => r,
                None => st
                    .balls
                    .ball(&self.cloud.points, i, st.size, &mut st.members),
            };
            st.heap.push(Reverse((OrdF64(r), i)));
        }
    }

    fn fill_rounds_heap(&mut self, st: &mut RoundsState, ids: &[usize]) {
        st.heap.clear();
        st.balls
            .prefill(&self.cloud.points, ids, st.size, &self.workers);
        for &i in ids {
            let r = st
                .balls
                .ball(&self.cloud.points, i, st.size, &mut st.members);
            st.heap.push(Reverse((OrdF64(r), i)));
        }
    }

    /// One end-phase round; returns the number of points removed (0 when nothing more can be done).
    fn run_round(&mut self, st: &mut RoundsState) -> usize {
        let q = self.end_q(st.start);
        let size = self.ball_base() + q;
        if size < st.size {
            // Smaller balls: the old keys are no longer lower bounds, recompute them all.
            st.size = size;
            let ids = self.alive_ids();
            self.refill_rounds_heap(st, &ids);
        }
        let size = st.size;
        let wanted =
            ((self.params.round_fraction * self.alive as f64 / size as f64) as usize).max(1);
        st.stamp = st.stamp.wrapping_add(1);
        st.chosen.clear();
        st.aside.clear();
        let mut n_chosen = 0;
        while n_chosen < wanted {
            let Some(Reverse((OrdF64(r_old), i))) = st.heap.pop() else {
                break;
            };
            if !st.balls.tree.is_alive(i) {
                continue;
            }
            let r_new = st.balls.ball(&self.cloud.points, i, size, &mut st.members);
            if r_new > r_old {
                st.heap.push(Reverse((OrdF64(r_new), i)));
                continue;
            }
            if st.members.len() <= self.n_mom {
                break;
            }
            st.aside.push((r_new, i));
            if st.members.iter().any(|&j| st.taken[j] == st.stamp) {
                continue;
            }
            for &j in &st.members {
                st.taken[j] = st.stamp;
            }
            st.chosen.extend_from_slice(&st.members);
            n_chosen += 1;
        }
        for &(r, i) in &st.aside {
            st.heap.push(Reverse((OrdF64(r), i)));
        }
        let mut removed = 0;
        let chosen = std::mem::take(&mut st.chosen);
        let n_balls = chosen.len().div_ceil(size);
        if self.workers.threads() > 1
            && n_balls > 1
            && self.alive - self.params.target >= q * n_balls
        {
            // No ball can meet the cap `alive - target` before its turn: reduce them all at once.
            let balls: Vec<&[usize]> = chosen
                .chunks(size)
                .filter(|b| b.len() > self.n_mom)
                .collect();
            let (points, dim) = (&self.cloud.points, self.cloud.dim);
            for d in self
                .workers
                .map(&balls, || (), |_, b| diameter_of(points, dim, b))
            {
                self.note_diameter(d);
            }
            for gone in self.reduce_disjoint(&balls, q) {
                for &g in &gone {
                    st.balls.tree.remove(g);
                }
                removed += gone.len();
            }
            st.chosen = chosen;
            return removed;
        }
        for ball in chosen.chunks(size) {
            if self.alive <= self.params.target {
                break;
            }
            if ball.len() <= self.n_mom {
                continue;
            }
            self.note_diameter(diameter_of(&self.cloud.points, self.cloud.dim, ball));
            let cap = q.min(self.alive - self.params.target);
            let gone = self.reduce(ball, cap);
            for &g in &gone {
                st.balls.tree.remove(g);
            }
            removed += gone.len();
        }
        st.chosen = chosen;
        removed
    }

    /// One end-phase round, or the end of the compression.
    pub(super) fn rounds_step(&mut self, st: &mut RoundsState) -> Step {
        if self.alive <= self.params.target {
            return Step::Next(Box::new(Phase::Done));
        }
        match self.run_round(st) {
            0 => Step::Next(Box::new(Phase::Done)),
            removed => Step::Spent(removed),
        }
    }
}
