//! The greedy phase ([`super::Strategy::Greedy`]): always the smallest ball of `N+1` alive points, one
//! elimination at a time (a lazy priority queue exploits that balls only grow as points leave).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::compressor::{Compressor, OrdF64, Phase, Step, cache_len};
use super::diameter_of;
use super::spatial::{BallCache, KdTree};

pub(super) struct GreedyState {
    balls: BallCache,
    heap: BinaryHeap<Reverse<(OrdF64, usize)>>,
    members: Vec<usize>,
}

impl Compressor {
    pub(super) fn start_greedy(&mut self) -> Phase {
        let ids = self.alive_ids();
        let k = self.n_mom + 1;
        let tree = KdTree::build(&self.cloud.points, self.cloud.dim, ids.clone(), 16);
        let mut st = GreedyState {
            balls: BallCache::new(tree, cache_len(k, ids.len())),
            heap: BinaryHeap::with_capacity(ids.len()),
            members: Vec::new(),
        };
        st.balls.prefill(&self.cloud.points, &ids, k, &self.workers);
        for &i in &ids {
            let r = st.balls.ball(&self.cloud.points, i, k, &mut st.members);
            st.heap.push(Reverse((OrdF64(r), i)));
        }
        self.begin_round();
        Phase::Greedy(st)
    }

    /// One greedy elimination: the smallest `(N+1)`-point ball, reduced by one point.
    pub(super) fn greedy_step(&mut self, st: &mut GreedyState) -> Step {
        if self.alive <= self.params.target {
            return Step::Next(Box::new(Phase::Done));
        }
        let Some(Reverse((OrdF64(r_old), i))) = st.heap.pop() else {
            return Step::Next(Box::new(Phase::Done));
        };
        if !st.balls.tree.is_alive(i) {
            return Step::Spent(0);
        }
        let k = self.n_mom + 1;
        let r_new = st.balls.ball(&self.cloud.points, i, k, &mut st.members);
        if r_new > r_old {
            st.heap.push(Reverse((OrdF64(r_new), i)));
            return Step::Spent(0);
        }
        let members = std::mem::take(&mut st.members);
        if members.len() <= self.n_mom {
            // Fewer alive points than a reducible cluster: nothing more can be done.
            return Step::Next(Box::new(Phase::Done));
        }
        self.note_diameter(diameter_of(&self.cloud.points, self.cloud.dim, &members));
        let cap = self.alive - self.params.target;
        let gone = self.reduce(&members, cap);
        st.members = members;
        for &g in &gone {
            st.balls.tree.remove(g);
        }
        // The centre's ball changed; its old radius is still a valid lower bound.
        if st.balls.tree.is_alive(i) {
            st.heap.push(Reverse((OrdF64(r_new), i)));
        }
        Step::Spent(1)
    }
}
