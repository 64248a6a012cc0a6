//! Properties of the compressor on random and degenerate clouds: every moment up to order k preserved,
//! weights non-negative with the original total, indices a subset of the input, bad input a typed error.
#![cfg(not(target_arch = "wasm32"))]

use moment_lab::compress::{
    Cloud, CompressError, CompressParams, Strategy, compress, exponents, n_moments,
};
use moment_lab::rng::{seeded, standard_normal, uniform};
use proptest::prelude::*;

/// Independent check: raw monomials of `u = (x - centre) / scale` (bounding box of the input), not the
/// library's Chebyshev basis. Returns `‖M' − M‖ / ‖M‖` over all `|α| ≤ k`.
fn moment_error(cloud: &Cloud, indices: &[usize], weights: &[f64], order: usize) -> f64 {
    let (d, m) = (cloud.len(), cloud.dim);
    let mut lo = vec![f64::INFINITY; m];
    let mut hi = vec![f64::NEG_INFINITY; m];
    for i in 0..d {
        for a in 0..m {
            lo[a] = lo[a].min(cloud.point(i)[a]);
            hi[a] = hi[a].max(cloud.point(i)[a]);
        }
    }
    let scale = (0..m)
        .map(|a| 0.5 * (hi[a] - lo[a]))
        .fold(0.0, f64::max)
        .max(f64::MIN_POSITIVE);
    let u = |i: usize| -> Vec<f64> {
        (0..m)
            .map(|a| (cloud.point(i)[a] - 0.5 * (lo[a] + hi[a])) / scale)
            .collect()
    };
    let mono = |x: &[f64], al: &[u32]| -> f64 {
        x.iter().zip(al).map(|(v, &e)| v.powi(e as i32)).product()
    };
    let (mut num, mut den) = (0.0, 0.0);
    for al in exponents(m, order) {
        let orig: f64 = (0..d).map(|i| cloud.weights[i] * mono(&u(i), &al)).sum();
        let comp: f64 = indices
            .iter()
            .zip(weights)
            .map(|(&i, &w)| w * mono(&u(i), &al))
            .sum();
        num += (orig - comp).powi(2);
        den += orig.powi(2);
    }
    (num / den).sqrt()
}

fn check_valid(cloud: &Cloud, params: &CompressParams, tol: f64) -> Result<(), TestCaseError> {
    let r = compress(cloud, params).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert!(r.indices.len() <= params.target.max(cloud.len().min(params.target)));
    prop_assert!(
        r.indices.windows(2).all(|w| w[0] < w[1]),
        "indices strictly increasing"
    );
    prop_assert!(
        r.indices.iter().all(|&i| i < cloud.len()),
        "indices are rows of the input"
    );
    prop_assert!(
        r.weights.iter().all(|&w| w > 0.0 && w.is_finite()),
        "weights positive and finite"
    );
    let total: f64 = cloud.weights.iter().sum();
    let kept: f64 = r.weights.iter().sum();
    prop_assert!(
        (total - kept).abs() <= tol * total,
        "total weight {kept} vs {total}"
    );
    let err = moment_error(cloud, &r.indices, &r.weights, params.order);
    prop_assert!(
        err <= tol,
        "moment error {err:e} > {tol:e} ({:?})",
        params.strategy
    );
    prop_assert!(
        r.diagnostics.residual <= tol,
        "reported residual {:e}",
        r.diagnostics.residual
    );
    Ok(())
}

fn random_cloud(seed: u64, dim: usize, d: usize, weighted: bool) -> Cloud {
    let mut rng = seeded(seed);
    let points = (0..d * dim).map(|_| uniform(&mut rng, -1.0, 1.0)).collect();
    let weights = (0..d)
        .map(|_| {
            if weighted {
                uniform(&mut rng, 0.0, 3.0)
            } else {
                1.0
            }
        })
        .collect();
    Cloud {
        dim,
        points,
        weights,
    }
}

const STRATEGIES: [Strategy; 4] = [
    Strategy::Auto,
    Strategy::Bulk,
    Strategy::Greedy,
    Strategy::Random,
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Issue 2's contract: m = 1..4, k = 0..4, moments preserved to a relative 1e-10 in [-1,1]^m.
    #[test]
    fn moments_preserved_on_random_clouds(
        seed in 0u64..1_000_000, dim in 1usize..=4, order in 0usize..=4,
        extra in 1usize..200, weighted in any::<bool>(), strategy in 0usize..4,
        lookahead in any::<bool>(),
    ) {
        let n = n_moments(dim, order).unwrap();
        let target = n + extra % (3 * n + 5);
        let d = target + 1 + extra * 3;
        let cloud = random_cloud(seed, dim, d, weighted);
        let params = CompressParams { seed, lookahead, ..CompressParams::new(order, target) }.with_strategy(STRATEGIES[strategy]);
        check_valid(&cloud, &params, 1e-10)?;
    }

    /// Shifted (centre 1e4) and scaled (1e-4, 1e4) clouds stay within 1e-8.
    #[test]
    fn moments_preserved_when_shifted_or_scaled(seed in 0u64..1_000_000, dim in 1usize..=3, which in 0usize..3) {
        let (shift, scale) = [(1e4, 1.0), (0.0, 1e-4), (0.0, 1e4)][which];
        let mut cloud = random_cloud(seed, dim, 600, false);
        cloud.points.iter_mut().for_each(|v| *v = shift + scale * *v);
        let params = CompressParams::new(4, 2 * n_moments(dim, 4).unwrap());
        check_valid(&cloud, &params, 1e-8)?;
    }
}

#[test]
fn paper_scale_m3_k5() {
    let cloud = random_cloud(1, 3, 10_000, false);
    for s in STRATEGIES {
        let r = compress(&cloud, &CompressParams::new(5, 1000).with_strategy(s)).unwrap();
        assert_eq!(r.indices.len(), 1000);
        let err = moment_error(&cloud, &r.indices, &r.weights, 5);
        assert!(err < 1e-12, "{s:?}: {err:e}");
    }
}

#[test]
fn degenerate_clouds_are_handled() {
    // All points on a line in m = 3: the moment matrix has rank k+1 < N(3,k).
    let mut rng = seeded(5);
    let mut line = Vec::new();
    for _ in 0..400 {
        let t = standard_normal(&mut rng);
        line.extend([t, 2.0 * t - 1.0, -t]);
    }
    // On a plane z = x + y.
    let mut plane = Vec::new();
    for _ in 0..400 {
        let (x, y) = (uniform(&mut rng, -1.0, 1.0), uniform(&mut rng, -1.0, 1.0));
        plane.extend([x, y, x + y]);
    }
    // Heavy duplicates: 20 distinct points repeated 20 times each.
    let base: Vec<f64> = (0..60).map(|_| uniform(&mut rng, -1.0, 1.0)).collect();
    let dups: Vec<f64> = (0..20).flat_map(|_| base.clone()).collect();
    // All identical.
    let same = vec![0.5; 300 * 3];
    for (name, pts) in [
        ("line", line),
        ("plane", plane),
        ("duplicates", dups),
        ("identical", same),
    ] {
        let cloud = Cloud::new(3, pts);
        for s in STRATEGIES {
            let params = CompressParams::new(3, 40).with_strategy(s);
            let r = compress(&cloud, &params).unwrap_or_else(|e| panic!("{name} {s:?}: {e}"));
            assert!(r.indices.len() <= 40, "{name} {s:?}");
            assert!(r.weights.iter().all(|&w| w > 0.0));
            let err = moment_error(&cloud, &r.indices, &r.weights, 3);
            assert!(err < 1e-9, "{name} {s:?}: moment error {err:e}");
        }
    }
    // Identical points: any subset carries the moments once it carries the mass.
    let r = compress(&Cloud::new(2, vec![1.0; 200]), &CompressParams::new(2, 10)).unwrap();
    assert!(r.indices.len() <= 10);
    assert!((r.weights.iter().sum::<f64>() - 100.0).abs() < 1e-9);
}

#[test]
fn high_order_k12() {
    let cloud = random_cloud(3, 1, 2000, false);
    let r = compress(&cloud, &CompressParams::new(12, 50)).unwrap();
    assert!(moment_error(&cloud, &r.indices, &r.weights, 12) < 1e-9);
    let cloud = random_cloud(4, 2, 3000, false);
    let r = compress(&cloud, &CompressParams::new(12, 200)).unwrap();
    assert!(moment_error(&cloud, &r.indices, &r.weights, 12) < 1e-8);
}

#[test]
fn target_at_or_above_support_returns_input() {
    let cloud = random_cloud(1, 2, 50, true);
    let r = compress(&cloud, &CompressParams::new(2, 50)).unwrap();
    let support: Vec<usize> = (0..50).filter(|&i| cloud.weights[i] > 0.0).collect();
    assert_eq!(r.indices, support);
    assert_eq!(
        r.weights,
        support
            .iter()
            .map(|&i| cloud.weights[i])
            .collect::<Vec<_>>()
    );
}

#[test]
fn same_input_same_output() {
    let cloud = random_cloud(9, 3, 3000, false);
    for s in STRATEGIES {
        let p = CompressParams {
            seed: 4,
            ..CompressParams::new(3, 300)
        }
        .with_strategy(s);
        let a = compress(&cloud, &p).unwrap();
        let b = compress(&cloud, &p).unwrap();
        assert_eq!(a.indices, b.indices);
        assert_eq!(
            a.weights.iter().map(|w| w.to_bits()).collect::<Vec<_>>(),
            b.weights.iter().map(|w| w.to_bits()).collect::<Vec<_>>()
        );
    }
}

#[test]
fn bad_input_is_a_typed_error() {
    let ok = random_cloud(1, 2, 100, false);
    let p = CompressParams::new(2, 10);
    let err = |c: Cloud, p: &CompressParams| compress(&c, p).expect_err("must be an error");
    let mut nan = ok.clone();
    nan.points[7] = f64::NAN;
    assert_eq!(err(nan, &p), CompressError::NonFinite { row: 3, col: 1 });
    let mut inf = ok.clone();
    inf.points[0] = f64::INFINITY;
    assert!(matches!(err(inf, &p), CompressError::NonFinite { .. }));
    let mut neg = ok.clone();
    neg.weights[5] = -1.0;
    assert!(matches!(
        err(neg, &p),
        CompressError::BadWeight { row: 5, .. }
    ));
    let mut nanw = ok.clone();
    nanw.weights[2] = f64::NAN;
    assert!(matches!(
        err(nanw, &p),
        CompressError::BadWeight { row: 2, .. }
    ));
    let mut zero = ok.clone();
    zero.weights.iter_mut().for_each(|w| *w = 0.0);
    assert_eq!(err(zero, &p), CompressError::ZeroMass);
    assert_eq!(err(Cloud::new(2, vec![]), &p), CompressError::Empty);
    assert_eq!(
        err(
            Cloud {
                dim: 0,
                points: vec![1.0],
                weights: vec![1.0]
            },
            &p
        ),
        CompressError::ZeroDimension
    );
    assert!(matches!(
        err(ok.clone(), &CompressParams::new(2, 5)),
        CompressError::TargetBelowMoments { n_moments: 6, .. }
    ));
    // A moment matrix that cannot fit is refused up front, with the size in the message.
    let e = err(Cloud::new(30, vec![0.0; 300]), &CompressParams::new(12, 20));
    assert!(matches!(e, CompressError::TooLarge { .. }));
    assert!(e.to_string().contains("lower the order k"), "{e}");
}

/// Very large and very small clouds compress exactly like the same cloud at unit scale: the compressor
/// divides by a power of two (exact) where squared distances would overflow or underflow, so the same
/// points are kept with the same weights bit for bit, and diameters are reported in the input's units.
/// (Before, distances between points of size 1e200 were infinite and every cluster tied.)
#[test]
fn any_scale_compresses_like_unit_scale() {
    for strategy in STRATEGIES {
        let base = random_cloud(7, 2, 400, true);
        let params = CompressParams::new(3, 40).with_strategy(strategy);
        let r0 = compress(&base, &params).unwrap();
        for e in [620, -620, 996] {
            let p = 2f64.powi(e);
            let cloud = Cloud {
                points: base.points.iter().map(|v| v * p).collect(),
                ..base.clone()
            };
            let mut c =
                moment_lab::compress::Compressor::new(cloud.clone(), params.clone()).unwrap();
            while !c.step(usize::MAX).done {}
            assert_eq!(c.cloud(), &cloud, "the input is reported as given");
            let r = c.result();
            assert_eq!(r.indices, r0.indices, "{strategy:?} at 2^{e}");
            assert_eq!(r.weights, r0.weights, "{strategy:?} at 2^{e}");
            assert_eq!(r.diagnostics.residual, r0.diagnostics.residual);
            let scaled: Vec<f64> = r0
                .diagnostics
                .max_diameter_per_round
                .iter()
                .map(|d| d * p)
                .collect();
            assert_eq!(r.diagnostics.max_diameter_per_round, scaled);
        }
    }
    // Beyond ±1e300 a coordinate is a typed error (diameters in the input's units would overflow).
    let mut big = random_cloud(1, 2, 100, false);
    big.points[5] = -1e301;
    assert_eq!(
        compress(&big, &CompressParams::new(2, 10)).unwrap_err(),
        CompressError::CoordinateTooLarge { row: 2, col: 1 }
    );
}

/// Recording the reduced clusters (for the page's animation) is observation only: the same kept points
/// and weights to the bit, and every recorded cluster is a set of valid, distinct ids, at most
/// RECORDED_CLUSTERS per step.
#[test]
fn recording_clusters_changes_nothing() {
    use moment_lab::compress::{Compressor, RECORDED_CLUSTERS};
    for strategy in [Strategy::Auto, Strategy::Greedy, Strategy::Bulk] {
        let cloud = random_cloud(9, 2, 3000, false);
        let params = CompressParams::new(3, 200).with_strategy(strategy);
        let plain = compress(&cloud, &params).unwrap();
        let mut c = Compressor::new(cloud.clone(), params).unwrap();
        c.record_clusters();
        let mut seen = 0;
        while !c.is_done() {
            c.step(50);
            assert!(c.recent_clusters().len() <= RECORDED_CLUSTERS);
            for members in c.recent_clusters() {
                let mut m = members.clone();
                m.sort_unstable();
                m.dedup();
                assert_eq!(m.len(), members.len(), "{strategy:?}: repeated ids");
                assert!(m.iter().all(|&i| i < cloud.len()));
                seen += 1;
            }
        }
        assert!(seen > 0, "{strategy:?}: nothing recorded");
        let r = c.result();
        assert_eq!(r.indices, plain.indices, "{strategy:?}");
        assert_eq!(
            r.weights.iter().map(|w| w.to_bits()).collect::<Vec<_>>(),
            plain
                .weights
                .iter()
                .map(|w| w.to_bits())
                .collect::<Vec<_>>()
        );
        assert_eq!(
            c.weights().iter().filter(|&&w| w > 0.0).count(),
            r.indices.len()
        );
    }
}

/// Threads are a speed knob only: 2, 3 or one-per-core workers give the one-thread result bit for bit
/// (kept ids, weights, diagnostics), for every strategy, weighted and degenerate clouds, and when run in
/// small steps as the page's worker does.
/// (Three tests, so that the harness spreads them over the cores.) Sizes at which every strategy still
/// splits the work into many clusters (so 2 and 3 threads each get several), 2000-3000 points (the paper's
/// are 10^4): 150 compressions in all.
#[test]
fn thread_count_never_changes_the_result_in_3d() {
    same_result_for_any_thread_count(&[(random_cloud(1, 3, 2000, false), 5, 200)]);
}

#[test]
fn thread_count_never_changes_the_result_in_1d_2d_4d() {
    same_result_for_any_thread_count(&[
        (random_cloud(2, 2, 3000, true), 6, 200),
        (random_cloud(3, 1, 3000, false), 4, 50),
        (random_cloud(4, 4, 2500, true), 3, 200),
    ]);
}

#[test]
fn thread_count_never_changes_the_result_on_degenerate_clouds() {
    let mut plane = random_cloud(5, 3, 2000, true);
    plane.points.chunks_exact_mut(3).for_each(|p| p[2] = 0.5);
    let mut duplicated = random_cloud(6, 2, 1000, false);
    duplicated.points.extend_from_within(..);
    duplicated.weights.extend_from_within(..);
    same_result_for_any_thread_count(&[(plane, 4, 200), (duplicated, 3, 150)]);
}

fn same_result_for_any_thread_count(cases: &[(Cloud, usize, usize)]) {
    use moment_lab::compress::Compressor;
    let bits = |w: &[f64]| w.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    // Auto twice: as is and with lookahead (order-(k+1) peeling in larger end-phase balls).
    let variants = STRATEGIES
        .iter()
        .map(|&s| (s, false))
        .chain([(Strategy::Auto, true)]);
    for (cloud, order, target) in cases {
        for (strategy, lookahead) in variants.clone() {
            let params = CompressParams {
                seed: 7,
                lookahead,
                ..CompressParams::new(*order, *target)
            }
            .with_strategy(strategy);
            let one = compress(cloud, &params).unwrap();
            for threads in [2, 3, 0] {
                let label = format!(
                    "m={} k={order} {strategy:?} lookahead={lookahead} threads={threads}",
                    cloud.dim
                );
                let p = params.clone().with_threads(threads);
                let many = compress(cloud, &p).unwrap();
                assert_eq!(many.indices, one.indices, "{label}");
                assert_eq!(bits(&many.weights), bits(&one.weights), "{label}");
                let (a, b) = (&many.diagnostics, &one.diagnostics);
                assert_eq!(
                    (a.rounds, a.factorisations, a.eliminated),
                    (b.rounds, b.factorisations, b.eliminated),
                    "{label}"
                );
                assert_eq!(
                    bits(&a.max_diameter_per_round),
                    bits(&b.max_diameter_per_round)
                );
                assert_eq!(a.residual.to_bits(), b.residual.to_bits(), "{label}");
            }
            let mut stepped = Compressor::new(cloud.clone(), params.with_threads(2)).unwrap();
            while !stepped.is_done() {
                stepped.step(37);
            }
            let r = stepped.result();
            assert_eq!(r.indices, one.indices, "stepped {strategy:?}");
            assert_eq!(bits(&r.weights), bits(&one.weights), "stepped {strategy:?}");
        }
    }
}
