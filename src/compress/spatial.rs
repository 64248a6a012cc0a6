//! A k-d tree over a point cloud with deletions: median splits on the widest axis, leaf buckets, and
//! exact k-nearest-neighbour queries that skip deleted points.
//!
//! Used twice: its cells are the bulk strategy's clusters (small, roughly equal-count, roughly
//! equal-diameter boxes), and its k-NN queries find the small `(N+1)`-point balls of the greedy strategy.
//! Build is `O(n log n)`; a k-NN query in low dimension visits `O(K + log n)` points in practice; deleting
//! a point is `O(depth)`.

use crate::parallel::Workers;

#[derive(Clone, Debug)]
pub struct Node {
    /// Range of `order` covered by this node.
    pub start: usize,
    pub end: usize,
    /// Children (`usize::MAX` for a leaf).
    pub left: usize,
    pub right: usize,
    pub parent: usize,
    /// 0 for a leaf, else 1 + the larger child height.
    pub height: usize,
    /// Bounding box of the node's points at build time: `lo` then `hi`, `dim` each.
    pub bbox: Vec<f64>,
    /// Points of this node not yet deleted.
    pub alive: usize,
}

pub struct KdTree {
    pub dim: usize,
    pub nodes: Vec<Node>,
    /// Point ids, permuted so that every node covers a contiguous range.
    pub order: Vec<usize>,
    /// Leaf node of every point id (`usize::MAX` for ids not in the tree).
    leaf_of: Vec<usize>,
    alive: Vec<bool>,
    /// Coordinates in `order` order, so that a leaf scan reads memory sequentially.
    coords: Vec<f64>,
    /// Every node's bounding box inline (`lo` then `hi`, `2 dim` per node): queries read these rather
    /// than chasing one heap allocation per node.
    boxes: Vec<f64>,
}

pub const NONE: usize = usize::MAX;

impl KdTree {
    /// Builds over the given ids of a row-major cloud (`n_total` rows), splitting until a node holds at
    /// most `leaf_size` points.
    pub fn build(points: &[f64], dim: usize, ids: Vec<usize>, leaf_size: usize) -> KdTree {
        let n_total = points.len() / dim.max(1);
        let mut tree = KdTree {
            dim,
            nodes: Vec::new(),
            order: ids,
            leaf_of: vec![NONE; n_total],
            alive: vec![false; n_total],
            coords: Vec::new(),
            boxes: Vec::new(),
        };
        for &i in &tree.order {
            tree.alive[i] = true;
        }
        let n = tree.order.len();
        if n > 0 {
            tree.build_node(points, 0, n, NONE, leaf_size.max(1));
        }
        tree.boxes = Vec::with_capacity(tree.nodes.len() * 2 * dim);
        for node in &tree.nodes {
            tree.boxes.extend_from_slice(&node.bbox);
        }
        tree.coords = Vec::with_capacity(n * dim);
        for &i in &tree.order {
            tree.coords
                .extend_from_slice(&points[i * dim..(i + 1) * dim]);
        }
        tree
    }

    fn build_node(
        &mut self,
        points: &[f64],
        start: usize,
        end: usize,
        parent: usize,
        leaf: usize,
    ) -> usize {
        let dim = self.dim;
        let mut bbox = vec![f64::INFINITY; dim];
        bbox.extend(std::iter::repeat_n(f64::NEG_INFINITY, dim));
        for &i in &self.order[start..end] {
            for a in 0..dim {
                let v = points[i * dim + a];
                bbox[a] = bbox[a].min(v);
                bbox[dim + a] = bbox[dim + a].max(v);
            }
        }
        let id = self.nodes.len();
        self.nodes.push(Node {
            start,
            end,
            left: NONE,
            right: NONE,
            parent,
            height: 0,
            bbox: bbox.clone(),
            alive: end - start,
        });
        let widest = (0..dim)
            .max_by(|&a, &b| (bbox[dim + a] - bbox[a]).total_cmp(&(bbox[dim + b] - bbox[b])))
            .unwrap_or(0);
        if end - start <= leaf || bbox[dim + widest] - bbox[widest] <= 0.0 {
            for &i in &self.order[start..end] {
                self.leaf_of[i] = id;
            }
            return id;
        }
        let mid = start + (end - start) / 2;
        // Median split; ties broken by id so the tree is the same on every platform.
        self.order[start..end].select_nth_unstable_by(mid - start, |&i, &j| {
            points[i * dim + widest]
                .total_cmp(&points[j * dim + widest])
                .then(i.cmp(&j))
        });
        let left = self.build_node(points, start, mid, id, leaf);
        let right = self.build_node(points, mid, end, id, leaf);
        let height = 1 + self.nodes[left].height.max(self.nodes[right].height);
        let node = &mut self.nodes[id];
        node.left = left;
        node.right = right;
        node.height = height;
        id
    }

    pub fn is_alive(&self, id: usize) -> bool {
        self.alive.get(id).copied().unwrap_or(false)
    }

    /// Marks a point deleted. Deleting twice is a no-op.
    pub fn remove(&mut self, id: usize) {
        if !self.is_alive(id) {
            return;
        }
        self.alive[id] = false;
        let mut node = self.leaf_of[id];
        while node != NONE {
            self.nodes[node].alive -= 1;
            node = self.nodes[node].parent;
        }
    }

    /// Alive point ids of a node.
    pub fn alive_members(&self, node: usize) -> Vec<usize> {
        let n = &self.nodes[node];
        self.order[n.start..n.end]
            .iter()
            .copied()
            .filter(|&i| self.alive[i])
            .collect()
    }

    /// The `k` nearest alive points to `q` (including `q` itself if it is a tree point), nearest first, as
    /// `(squared distance, id)`; ties broken by id.
    ///
    /// Candidates no farther than the current bound are appended to `out`; whenever `out` holds `2k` of
    /// them, a quickselect keeps the `k` smallest and the bound drops to the k-th. That costs O(1)
    /// amortised per candidate instead of a heap's O(log k). A subtree or point is skipped only if it is
    /// strictly farther than k candidates already found, so no true neighbour is ever dropped (between
    /// quickselects the bound is looser than a heap's, so a few more points may be visited).
    pub fn knn(&self, points: &[f64], q: &[f64], k: usize, out: &mut Vec<(f64, usize)>) {
        let _ = points;
        out.clear();
        if self.nodes.is_empty() || k == 0 {
            return;
        }
        let mut bound = f64::INFINITY;
        if self.scan_beats_descent() {
            self.knn_leaves(0, self.order.len(), q, k, out, &mut bound);
        } else {
            self.knn_node(0, q, k, out, &mut bound);
        }
        // The k smallest keys are unique (ids are), so the result does not depend on the visiting order.
        if out.len() > k {
            out.select_nth_unstable_by(k - 1, key_order);
            out.truncate(k);
        }
        out.sort_unstable_by(key_order);
    }

    /// Whether a k-NN query should scan every point rather than descend the tree: when the alive points
    /// are fewer than `16 · 2^dim` (leaves of 16 points), the tree has fewer levels than dimensions, its boxes
    /// separate little, and computing box distances only adds to the point distances (BENCHMARKS.md §9:
    /// m = 8 with a few thousand points). The candidates found are the same either way.
    fn scan_beats_descent(&self) -> bool {
        let alive = self.nodes.first().map_or(0, |n| n.alive);
        (alive >> 4) >> self.dim.min(60) == 0
    }

    #[inline]
    fn box_dist2(&self, node: usize, q: &[f64]) -> f64 {
        let dim = self.dim;
        box_dist2(&self.boxes[node * 2 * dim..(node + 1) * 2 * dim], q, dim)
    }

    fn knn_node(
        &self,
        node: usize,
        q: &[f64],
        k: usize,
        out: &mut Vec<(f64, usize)>,
        bound: &mut f64,
    ) {
        let n = &self.nodes[node];
        if n.alive == 0 {
            return;
        }
        if n.left == NONE {
            self.knn_leaves(n.start, n.end, q, k, out, bound);
            return;
        }
        let (l, r) = (n.left, n.right);
        let dl = self.box_dist2(l, q);
        let dr = self.box_dist2(r, q);
        let (first, df, second, ds) = if dl <= dr {
            (l, dl, r, dr)
        } else {
            (r, dr, l, dl)
        };
        if df <= *bound {
            self.knn_node(first, q, k, out, bound);
        }
        if ds <= *bound {
            self.knn_node(second, q, k, out, bound);
        }
    }
}

impl KdTree {
    /// The candidate scan of [`KdTree::knn`] over the points `order[start..end]`.
    #[inline]
    fn knn_leaves(
        &self,
        start: usize,
        end: usize,
        q: &[f64],
        k: usize,
        out: &mut Vec<(f64, usize)>,
        bound: &mut f64,
    ) {
        let dim = self.dim;
        let coords = &self.coords[start * dim..end * dim];
        for (&i, p) in self.order[start..end].iter().zip(coords.chunks_exact(dim)) {
            if !self.alive[i] {
                continue;
            }
            let mut d2 = 0.0;
            for (a, b) in p.iter().zip(q) {
                d2 += (a - b) * (a - b);
            }
            if d2 > *bound {
                continue;
            }
            out.push((d2, i));
            if out.len() == k {
                *bound = out.iter().fold(0.0, |m, e| e.0.max(m));
            } else if out.len() == 2 * k {
                out.select_nth_unstable_by(k - 1, key_order);
                out.truncate(k);
                *bound = out[k - 1].0;
            }
        }
    }
}

/// Order of `(squared distance, id)` keys: by distance, ties by id.
#[inline]
fn key_order(a: &(f64, usize), b: &(f64, usize)) -> std::cmp::Ordering {
    a.0.total_cmp(&b.0).then(a.1.cmp(&b.1))
}

/// k-nearest-neighbour balls around tree points with a per-centre cache of the `len` nearest points at the
/// time of the last query. Points only ever leave, so the first `k` alive entries of a cached list are
/// exactly the `k` nearest alive points as long as at least `k` entries are still alive; only then is the
/// tree queried again. This turns most re-evaluations of a ball into a scan of one short list.
pub struct BallCache {
    pub tree: KdTree,
    /// Cached list length (≥ the largest ball asked for).
    len: usize,
    /// Slot of every point id (`u32::MAX` for none).
    slot_of: Vec<u32>,
    /// `len` ids per slot; `count[slot]` of them valid (`u32::MAX` = not yet queried).
    lists: Vec<u32>,
    count: Vec<u32>,
    /// With [`BallCache::keep_bounds`]`(from)`: the squared distances of list entries `from..len` at the
    /// time of their query, `len - from` per slot (see [`BallCache::lower_bound`]).
    bounds_from: usize,
    bounds: Vec<f64>,
    scratch: Vec<(f64, usize)>,
}

impl BallCache {
    /// Caches lists of `len` neighbours for every point in `tree`.
    pub fn new(tree: KdTree, len: usize) -> BallCache {
        let n_total = tree.alive.len();
        let mut slot_of = vec![u32::MAX; n_total];
        let mut n_slots = 0u32;
        for &i in &tree.order {
            slot_of[i] = n_slots;
            n_slots += 1;
        }
        BallCache {
            lists: vec![0; n_slots as usize * len],
            count: vec![u32::MAX; n_slots as usize],
            tree,
            len,
            slot_of,
            bounds_from: len,
            bounds: Vec::new(),
            scratch: Vec::new(),
        }
    }

    /// From now on, remember for every list queried the squared distances of its entries `from..len`, so
    /// that [`BallCache::lower_bound`] can answer for balls of more than `from` points. Lists already
    /// cached get no bounds until they are queried again.
    pub fn keep_bounds(&mut self, from: usize) {
        let from = from.min(self.len);
        self.bounds_from = from;
        self.bounds = vec![f64::NAN; self.count.len() * (self.len - from)];
    }

    /// A lower bound on the squared radius that [`BallCache::ball`] would return now for `k > from` points
    /// around `i`, without looking at which points are alive: the distance of the `k`-th nearest point at the
    /// time of the last query (points only leave, so the `k`-th nearest alive point is no nearer now).
    /// `None` if the list was never queried with bounds kept, held fewer than `k` points, or fewer than `k`
    /// points are alive.
    pub fn lower_bound(&self, i: usize, k: usize) -> Option<f64> {
        let s = self.slot_of[i] as usize;
        let c = self.count[s];
        // With fewer than k points alive the ball is all of them, possibly nearer than the bound.
        let alive = self.tree.nodes.first().map_or(0, |n| n.alive);
        if k <= self.bounds_from || k > self.len || c == u32::MAX || (c as usize) < k || alive < k {
            return None;
        }
        let per = self.len - self.bounds_from;
        let b = self.bounds[s * per + (k - 1 - self.bounds_from)];
        (!b.is_nan()).then_some(b)
    }

    /// Stores the bounds of slot `s` from the squared distances of a query's list, nearest first.
    fn store_bounds(&mut self, s: usize, dists: impl Iterator<Item = f64>) {
        let per = self.len - self.bounds_from;
        if per == 0 || self.bounds.is_empty() {
            return;
        }
        let dst = &mut self.bounds[s * per..(s + 1) * per];
        dst.fill(f64::NAN);
        for (d, v) in dst.iter_mut().zip(dists.skip(self.bounds_from)) {
            *d = v;
        }
    }

    /// Runs, on `workers`, the tree queries that [`BallCache::ball`] would run for balls of `k` points
    /// around each of `ids` (lists never queried, or too depleted to hold `k` alive points), so that the
    /// `ball` calls that follow only read lists. The tree must not change in between; then the lists, and
    /// everything computed from them, are exactly what the `ball` calls alone would have produced.
    pub fn prefill(&mut self, points: &[f64], ids: &[usize], k: usize, workers: &Workers) {
        if workers.threads() < 2 {
            return;
        }
        let len = self.len;
        let stale: Vec<usize> = ids
            .iter()
            .copied()
            .filter(|&i| {
                let s = self.slot_of[i] as usize;
                let c = self.count[s];
                if c == u32::MAX {
                    return true;
                }
                let list = &self.lists[s * len..s * len + c as usize];
                let alive = list
                    .iter()
                    .filter(|&&j| self.tree.alive[j as usize])
                    .take(k)
                    .count();
                alive < k && c as usize == len
            })
            .collect();
        let chunks: Vec<&[usize]> = stale.chunks(64).collect();
        let with_bounds = !self.bounds.is_empty();
        let tree = &self.tree;
        let dim = tree.dim;
        let found = workers.map(&chunks, Vec::new, |scratch, chunk| {
            let mut flat = Vec::with_capacity(chunk.len() * len);
            let mut dists = Vec::new();
            let mut counts = Vec::with_capacity(chunk.len());
            for &i in chunk.iter() {
                tree.knn(points, &points[i * dim..(i + 1) * dim], len, scratch);
                counts.push(scratch.len() as u32);
                flat.extend(scratch.iter().map(|e| e.1 as u32));
                if with_bounds {
                    dists.extend(scratch.iter().map(|e| e.0));
                }
            }
            (flat, dists, counts)
        });
        for (chunk, (flat, dists, counts)) in chunks.iter().zip(found) {
            let mut at = 0;
            for (&i, &c) in chunk.iter().zip(&counts) {
                let s = self.slot_of[i] as usize;
                let c_us = c as usize;
                self.lists[s * len..s * len + c_us].copy_from_slice(&flat[at..at + c_us]);
                self.count[s] = c;
                if with_bounds {
                    self.store_bounds(s, dists[at..at + c_us].iter().copied());
                }
                at += c_us;
            }
        }
    }

    /// The `k ≤ len` nearest alive points to point `i` (which must be a tree point), nearest first with
    /// ties by id, written to `out`; returns the squared distance to the farthest of them.
    pub fn ball(&mut self, points: &[f64], i: usize, k: usize, out: &mut Vec<usize>) -> f64 {
        debug_assert!(k <= self.len);
        let dim = self.tree.dim;
        let s = self.slot_of[i] as usize;
        let list = s * self.len..(s + 1) * self.len;
        for attempt in 0..2 {
            out.clear();
            let c = self.count[s];
            if c != u32::MAX {
                for &j in &self.lists[list.start..list.start + c as usize] {
                    if self.tree.alive[j as usize] {
                        out.push(j as usize);
                        if out.len() == k {
                            break;
                        }
                    }
                }
                // Complete if k were found, or if the list held every point alive at query time.
                if out.len() == k || (c as usize) < self.len || attempt == 1 {
                    break;
                }
            }
            self.tree.knn(
                points,
                &points[i * dim..(i + 1) * dim],
                self.len,
                &mut self.scratch,
            );
            for (dst, e) in self.lists[list.clone()].iter_mut().zip(&self.scratch) {
                *dst = e.1 as u32;
            }
            self.count[s] = self.scratch.len() as u32;
            let found = std::mem::take(&mut self.scratch);
            self.store_bounds(s, found.iter().map(|e| e.0));
            self.scratch = found;
        }
        match out.last() {
            Some(&j) => {
                let (p, q) = (
                    &points[i * dim..(i + 1) * dim],
                    &points[j * dim..(j + 1) * dim],
                );
                p.iter().zip(q).map(|(a, b)| (a - b) * (a - b)).sum()
            }
            None => 0.0,
        }
    }
}

fn box_dist2(bbox: &[f64], q: &[f64], dim: usize) -> f64 {
    let mut s = 0.0;
    for a in 0..dim {
        // Branch-free: `lo - q` outside below, `q - hi` outside above, else 0 (both differences ≤ 0).
        let d = (bbox[a] - q[a]).max(q[a] - bbox[dim + a]).max(0.0);
        s += d * d;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{seeded, uniform};

    /// The k nearest of the points kept by `alive`, by brute force, ties by id.
    fn brute_knn(
        pts: &[f64],
        dim: usize,
        alive: impl Fn(usize) -> bool,
        q: &[f64],
        k: usize,
    ) -> Vec<(f64, usize)> {
        let mut all: Vec<(f64, usize)> = (0..pts.len() / dim)
            .filter(|&i| alive(i))
            .map(|i| {
                let d2 = (0..dim).map(|a| (pts[i * dim + a] - q[a]).powi(2)).sum();
                (d2, i)
            })
            .collect();
        all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        all.truncate(k);
        all
    }

    #[test]
    fn knn_matches_brute_force_with_deletions() {
        let dim = 3;
        let mut rng = seeded(9);
        let n = 500;
        let pts: Vec<f64> = (0..n * dim).map(|_| uniform(&mut rng, -1.0, 1.0)).collect();
        let mut tree = KdTree::build(&pts, dim, (0..n).collect(), 8);
        for i in (0..n).step_by(3) {
            tree.remove(i);
        }
        let mut out = Vec::new();
        for q in [0usize, 1, 77, 499] {
            let qp = &pts[q * dim..(q + 1) * dim];
            tree.knn(&pts, qp, 12, &mut out);
            assert_eq!(out, brute_knn(&pts, dim, |i| i % 3 != 0, qp, 12));
        }
        assert_eq!(tree.nodes[0].alive, n - n.div_ceil(3));
    }

    #[test]
    fn knn_in_eight_dimensions_matches_brute_force_scanning_or_descending() {
        let dim = 8;
        let mut rng = seeded(10);
        // 750 alive points are below 16 · 2^8: scanned; 6000 are above: descended.
        for n in [1000usize, 8000] {
            let pts: Vec<f64> = (0..n * dim).map(|_| uniform(&mut rng, -1.0, 1.0)).collect();
            let mut tree = KdTree::build(&pts, dim, (0..n).collect(), 16);
            for i in (0..n).step_by(4) {
                tree.remove(i);
            }
            assert_eq!(tree.scan_beats_descent(), n == 1000);
            let mut out = Vec::new();
            for (q, k) in [(1usize, 1usize), (2, 40), (n - 1, 239)] {
                let qp = &pts[q * dim..(q + 1) * dim];
                tree.knn(&pts, qp, k, &mut out);
                assert_eq!(
                    out,
                    brute_knn(&pts, dim, |i| i % 4 != 0, qp, k),
                    "n {n}, k {k}"
                );
            }
        }
    }

    #[test]
    fn lower_bounds_stay_below_the_balls_as_points_leave() {
        let dim = 3;
        let mut rng = seeded(12);
        let n = 400;
        let pts: Vec<f64> = (0..n * dim).map(|_| uniform(&mut rng, -1.0, 1.0)).collect();
        let tree = KdTree::build(&pts, dim, (0..n).collect(), 8);
        let mut cache = BallCache::new(tree, 40);
        cache.keep_bounds(20);
        let mut out = Vec::new();
        for i in 0..n {
            cache.ball(&pts, i, 30, &mut out);
        }
        // Just after the query the bound is the radius itself; below `from` there is none.
        for i in (0..n).step_by(13) {
            let r = cache.ball(&pts, i, 25, &mut out);
            assert_eq!(cache.lower_bound(i, 25), Some(r));
            assert_eq!(cache.lower_bound(i, 20), None);
        }
        let mut below = 0;
        for i in (0..n).step_by(5) {
            cache.tree.remove(i);
        }
        for i in (1..n).step_by(5) {
            for k in [21, 28, 40] {
                let lb = cache.lower_bound(i, k);
                let r = cache.ball(&pts, i, k, &mut out);
                let lb = lb.expect("every list was queried with bounds");
                assert!(
                    lb > 0.0 && lb <= r,
                    "point {i}, k {k}: bound {lb}, radius {r}"
                );
                below += (lb < r) as usize;
            }
        }
        // Balls that lost points have grown past their bound.
        assert!(below > 0);
    }

    #[test]
    fn knn_breaks_ties_by_id_across_many_leaves() {
        // A 2-D grid with every point repeated three times: many equal distances, k spanning several
        // leaves and several quickselect rounds.
        let dim = 2;
        let mut pts = Vec::new();
        for _ in 0..3 {
            for i in 0..20 {
                for j in 0..20 {
                    pts.push(i as f64 * 0.1);
                    pts.push(j as f64 * 0.1);
                }
            }
        }
        let n = pts.len() / dim;
        let mut tree = KdTree::build(&pts, dim, (0..n).collect(), 8);
        for i in (0..n).step_by(7) {
            tree.remove(i);
        }
        let mut out = Vec::new();
        for (q, k) in [(0usize, 1usize), (210, 37), (399, 100), (805, 250)] {
            let qp = &pts[q * dim..(q + 1) * dim];
            tree.knn(&pts, qp, k, &mut out);
            let brute = brute_knn(&pts, dim, |i| i % 7 != 0, qp, k);
            assert_eq!(out, brute, "query {q}, k {k}");
        }
    }
}
