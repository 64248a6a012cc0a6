"""Our own re-implementation of the reference METHOD (the paper authors' hybrid compressor, as described in
words in shared/paper.md §4.3), used only as a measuring stick for the Fig. 2 error of our Rust compressor.
It is written from that description, not from the authors' code, and is not the team's measured reference:
those numbers are in reference_errors.csv.

The method:
  * k-means rounds while alive > dstop + 2000: MiniBatchKMeans(n_clusters = int(min(0.98 alive / N,
    100 dstop / N)), max_iter=200, batch_size=2048, random_state=0) on the alive points with the weights as
    sample weights; every cluster of more than N points is reduced by Caratheodory peeling to <= N points.
    Stop the rounds when alive < dstop + 2000, n_clusters < 30, or a round removed nothing.
  * greedy: repeat until alive <= dstop: 10 % of the alive points (at most 5000) drawn at random as
    candidate centres, each with its N+1 exact nearest alive neighbours; the candidate set of smallest
    diameter is reduced by Caratheodory (one null vector per removed point, usually exactly one point).
  * Caratheodory peeling on raw monomials of degree <= k (N = C(m+k, k) of them): a null vector z of the
    cluster's moment matrix A (a random Gaussian vector projected on null(A) when the cluster has more than
    1.5 N points, else the last right singular vector), oriented to have a positive entry only if it has
    none; t = min_{z_i > 0} c_i / z_i; c <- c - t z; weights <= 1e-12 leave.

Usage:
    python3 reference_method.py CLOUD_DIR M CLOUD [CLOUD ...] [--k 5] [--target 1000] [--csv OUT.csv]
reads CLOUD_DIR/cloud_M_C.csv and probe_M_C.csv (make_clouds.py), prints one CSV row per cloud
(m,cloud,k,d,target,reimpl_error,reimpl_sets_error,reimpl_seconds,max_rel_moment_error; the geometric
mean over the probe sets of make_probe_sets.py if CLOUD_DIR/probesets_M_C.csv exists, else empty) and appends it to OUT.csv if given.
"""
import argparse
import itertools
import math
import os
import sys
import time

import numpy as np
from scipy.spatial import cKDTree
from sklearn.cluster import MiniBatchKMeans

TOL = 1e-12


def exponents(m, k):
    out = []
    for total in range(k + 1):
        for e in itertools.product(range(total + 1), repeat=m):
            if sum(e) == total:
                out.append(e)
    return np.array(out, dtype=np.int64)


def moment_matrix(x, exps):
    """(N, n) raw monomials of the rows of x."""
    return np.prod(x[None, :, :] ** exps[:, None, :], axis=2)


def null_vector(a, rng):
    rows, cols = a.shape
    if cols > 1.5 * rows:
        for _ in range(5):
            r = rng.standard_normal(cols)
            ar = a @ r
            y = np.linalg.lstsq(a @ a.T, ar, rcond=None)[0]
            z = r - a.T @ y
            if not (z > 0).any():
                z = -z
            if (z > 1e-5).any() and np.linalg.norm(a @ z) <= TOL * (1 + np.linalg.norm(ar)):
                return z
    z = np.linalg.svd(a)[2][-1]
    if not (z > 0).any():
        z = -z
    return z


def caratheodory(x, c, exps, rng):
    """Reduces the weights c (> 0) of the points x to at most N positive ones with the same raw moments."""
    n_mom = len(exps)
    c = c.copy()
    a_full = moment_matrix(x, exps)
    alive = c > TOL
    while alive.sum() > n_mom:
        idx = np.flatnonzero(alive)
        z = null_vector(a_full[:, idx], rng)
        pos = z > 0
        t = np.min(c[idx][pos] / z[pos])
        c[idx] -= t * z
        c[idx[c[idx] <= TOL]] = 0.0
        alive = c > TOL
    c[~alive] = 0.0
    return c


def diameters(sets):
    """Largest pairwise distance within each of the (S, K, m) point sets."""
    diff = sets[:, :, None, :] - sets[:, None, :, :]
    return np.sqrt(np.max(np.einsum("skjm,skjm->skj", diff, diff), axis=(1, 2)))


def radii(sets):
    """Distance from each set's centre (its first point) to its farthest point."""
    return np.sqrt(np.max(np.einsum("skm,skm->sk", sets - sets[:, :1], sets - sets[:, :1]), axis=1))


def smallest_diameter(sets, chunk=32):
    """argmin of diameters(sets) (first on ties), without computing every diameter: a set's diameter is
    at least its radius about its first point, so sets are visited by increasing radius until that
    exceeds the best diameter found."""
    r = radii(sets)
    order = np.argsort(r, kind="stable")
    best_d, best_i = np.inf, -1
    for start in range(0, len(order), chunk):
        idx = order[start : start + chunk]
        if r[idx[0]] > best_d:
            break
        dia = diameters(sets[idx])
        for i, dv in zip(idx, dia):
            if dv < best_d or (dv == best_d and i < best_i):
                best_d, best_i = dv, i
    return best_i


def compress(x, k, dstop, greedy_threshold=2000, seed=0, select="diameter"):
    d, m = x.shape
    exps = exponents(m, k)
    n_mom = len(exps)
    dstop = max(dstop, n_mom)
    c = np.ones(d)
    rng = np.random.default_rng(seed)
    alive = np.flatnonzero(c > 0)
    if len(alive) > dstop + greedy_threshold:
        while True:
            alive = np.flatnonzero(c > 0)
            n_clusters = int(min(0.98 * len(alive) / n_mom, 100 * dstop / n_mom))
            if len(alive) < dstop + greedy_threshold or n_clusters < 30:
                break
            km = MiniBatchKMeans(n_clusters=n_clusters, max_iter=200, batch_size=2048, random_state=0)
            labels = km.fit(x[alive], sample_weight=c[alive]).labels_
            before = len(alive)
            for lab in range(n_clusters):
                members = alive[labels == lab]
                if len(members) > n_mom:
                    c[members] = caratheodory(x[members], c[members], exps, rng)
            if np.count_nonzero(c > 0) == before:
                break
    while True:
        alive = np.flatnonzero(c > 0)
        if len(alive) <= dstop:
            break
        n_cand = min(max(1, int(0.1 * len(alive))), 5000)
        cand = rng.choice(alive, size=n_cand, replace=False)
        tree = cKDTree(x[alive])
        _, nn = tree.query(x[cand], k=min(n_mom + 1, len(alive)))
        sets = x[alive[nn]]
        best = smallest_diameter(sets) if select == "diameter" else np.argmin(radii(sets))
        members = alive[nn[best]]
        c[members] = caratheodory(x[members], c[members], exps, rng)
    keep = np.flatnonzero(c > 0)
    return keep, c[keep]


def fig2_error(x, probes, keep, w):
    g = (1.0 / (1.0 + np.exp(-(x @ probes.T)))).mean(axis=1)
    return abs(g.mean() - (w * g[keep]).sum() / w.sum())


def sets_error(x, probe_sets, keep, w):
    """Geometric mean over probe sets (10 rows each, make_probe_sets.py) of the Fig. 2 error: a
    low-noise estimate of the typical error (the benchmark compares geometric means)."""
    errs = [fig2_error(x, probe_sets[s : s + 10], keep, w) for s in range(0, len(probe_sets), 10)]
    return float(np.exp(np.mean(np.log(np.maximum(errs, 1e-300)))))


def max_moment_error(x, keep, w, k):
    exps = exponents(x.shape[1], k)
    a = moment_matrix(x, exps)
    full = a.sum(axis=1)
    mag = np.abs(a).sum(axis=1)
    comp = a[:, keep] @ w
    return float(np.max(np.abs(full - comp) / mag))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("m", type=int)
    ap.add_argument("clouds", type=int, nargs="+")
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--target", type=int, default=1000)
    ap.add_argument("--csv")
    ap.add_argument("--select", choices=["diameter", "radius"], default="diameter",
                    help="rank the greedy candidate sets by diameter or by the centre's k-NN radius")
    a = ap.parse_args()
    header = "m,cloud,k,d,target,reimpl_error,reimpl_sets_error,reimpl_seconds,max_rel_moment_error"
    print(header, flush=True)
    if a.csv and not os.path.exists(a.csv):
        with open(a.csv, "w") as f:
            f.write(header + "\n")
    for cl in a.clouds:
        x = np.loadtxt(f"{a.dir}/cloud_{a.m}_{cl}.csv", delimiter=",", skiprows=1)
        probes = np.loadtxt(f"{a.dir}/probe_{a.m}_{cl}.csv", delimiter=",", ndmin=2)
        t0 = time.time()
        keep, w = compress(x, a.k, a.target, select=a.select)
        secs = time.time() - t0
        err = fig2_error(x, probes, keep, w)
        mom = max_moment_error(x, keep, w, a.k)
        sets_path = f"{a.dir}/probesets_{a.m}_{cl}.csv"
        sets = ""
        if os.path.exists(sets_path):
            sets = f"{sets_error(x, np.loadtxt(sets_path, delimiter=',', ndmin=2), keep, w):.4e}"
        row = f"{a.m},{cl},{a.k},{len(x)},{a.target},{err:.4e},{sets},{secs:.1f},{mom:.1e}"
        print(row, flush=True)
        if len(keep) > a.target:
            print(f"warning: kept {len(keep)} > target", file=sys.stderr)
        if a.csv:
            with open(a.csv, "a") as f:
                f.write(row + "\n")


if __name__ == "__main__":
    main()
