//! The bulk phase ([`super::Strategy::Bulk`], and [`super::Strategy::Auto`] down to its end phase): cells
//! of a median-split k-d tree (`≤ 2N` points each) reduced to `N`, smallest diameter first; then sibling
//! cells merged and reduced again, level by level.

use super::compressor::{Compressor, Phase, Step};
use super::spatial::KdTree;
use super::{Strategy, diameter_of};

pub(super) struct BulkState {
    tree: KdTree,
    stop_at: usize,
    height: usize,
    /// Clusters of the current level, smallest diameter first (reversed: popped from the back).
    queue: Vec<(f64, usize)>,
}

/// With several workers: the next cells of the bulk queue (in queue order) whose sizes add up to at most
/// `room = alive - stop_at`, popped with their alive members, if there are at least two of them (else
/// nothing is popped). Cells of one level are disjoint, and with sizes adding up to `room` the cap
/// `alive - stop_at` that each would get one after the other is at least its size, so reducing them
/// together without a cap gives exactly the sequential result.
fn take_bulk_batch(st: &mut BulkState, room: usize) -> Vec<(f64, Vec<usize>)> {
    let mut batch = Vec::new();
    let mut total = 0;
    for &(diam, node) in st.queue.iter().rev() {
        let members = st.tree.alive_members(node);
        if total + members.len() > room {
            break;
        }
        total += members.len();
        batch.push((diam, members));
    }
    if batch.len() < 2 {
        return Vec::new();
    }
    st.queue.truncate(st.queue.len() - batch.len());
    batch
}

impl Compressor {
    pub(super) fn start_bulk(&mut self, stop_at: usize) -> Phase {
        let tree = KdTree::build(
            &self.cloud.points,
            self.cloud.dim,
            self.alive_ids(),
            2 * self.n_mom,
        );
        let mut st = BulkState {
            tree,
            stop_at,
            height: 0,
            queue: Vec::new(),
        };
        self.fill_bulk_queue(&mut st);
        Phase::Bulk(st)
    }

    fn fill_bulk_queue(&mut self, st: &mut BulkState) {
        let dim = self.cloud.dim;
        let pts = &self.cloud.points;
        let mut q: Vec<(f64, usize)> = st
            .tree
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.height == st.height && n.alive > self.n_mom)
            .map(|(id, _)| (diameter_of(pts, dim, &st.tree.alive_members(id)), id))
            .collect();
        q.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.cmp(&a.1)));
        if !q.is_empty() {
            self.begin_round();
        }
        st.queue = q;
    }

    /// One unit of bulk work: the next cell (or, with several workers, a batch of cells that no cap can
    /// bind), or moving on to the next level or phase.
    pub(super) fn bulk_step(&mut self, st: &mut BulkState) -> Step {
        if self.alive <= st.stop_at {
            return Step::Next(Box::new(self.after_bulk()));
        }
        if self.workers.threads() > 1 {
            let batch = take_bulk_batch(st, self.alive - st.stop_at);
            if !batch.is_empty() {
                let clusters: Vec<&[usize]> = batch.iter().map(|(_, m)| m.as_slice()).collect();
                for (diam, _) in &batch {
                    self.note_diameter(*diam);
                }
                let mut spent = 0;
                // Every cap is at least the cluster's size, so no cap binds.
                for gone in self.reduce_disjoint(&clusters, usize::MAX) {
                    for &g in &gone {
                        st.tree.remove(g);
                    }
                    spent += gone.len().max(1);
                }
                return Step::Spent(spent);
            }
        }
        let Some((diam, node)) = st.queue.pop() else {
            if st.height >= st.tree.nodes[0].height {
                // The root is reduced; only rank-deficient leftovers could remain.
                return Step::Next(Box::new(self.after_bulk()));
            }
            st.height += 1;
            self.fill_bulk_queue(st);
            return Step::Spent(0);
        };
        let members = st.tree.alive_members(node);
        let cap = self.alive - st.stop_at;
        self.note_diameter(diam);
        let gone = self.reduce(&members, cap);
        for &g in &gone {
            st.tree.remove(g);
        }
        Step::Spent(gone.len().max(1))
    }

    /// What follows the bulk phase: the Auto end phase, greedy, or nothing if the target is reached.
    pub(super) fn after_bulk(&mut self) -> Phase {
        if self.alive <= self.params.target {
            Phase::Done
        } else if self.params.strategy == Strategy::Auto {
            self.start_rounds()
        } else {
            self.start_greedy()
        }
    }
}
