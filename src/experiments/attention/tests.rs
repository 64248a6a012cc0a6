//! Tests of the attention experiment.

use super::*;
use crate::experiments::params::Params;

fn tiny() -> AttentionConfig {
    AttentionConfig {
        heads: 300,
        target: 180,
        batch_size: 32,
        steps_per_epoch: 2,
        epochs: 3,
        test_batches: 2,
        picture_points: 11,
        ..AttentionConfig::quick()
    }
}

#[test]
fn presets_validate_and_bad_configs_say_why() {
    for name in ["quick", "demo", "paper"] {
        AttentionConfig::preset(name).unwrap().check().unwrap();
    }
    let e = |c: AttentionConfig| c.check().unwrap_err().to_string();
    assert!(
        e(AttentionConfig {
            target: 100,
            ..tiny()
        })
        .contains("N(8, k) = 165")
    );
    assert!(
        e(AttentionConfig {
            target: 400,
            ..tiny()
        })
        .contains("more than the heads")
    );
    assert!(
        e(AttentionConfig {
            epochs: 0,
            ..tiny()
        })
        .contains("at least 1")
    );
    assert!(
        e(AttentionConfig {
            lr: f64::NAN,
            ..tiny()
        })
        .contains("learning rate")
    );
    assert!(
        e(AttentionConfig {
            arms: vec![AttnArm::Original, AttnArm::Naive, AttnArm::Naive],
            ..tiny()
        })
        .contains("twice")
    );
    let bad: Result<AttentionConfig, _> = serde_json::from_str(r#"{"optimizer": "nope"}"#);
    assert!(bad.unwrap_err().to_string().contains("nope"));
    assert!(
        e(AttentionConfig {
            heads: 100_000_000,
            target: 1000,
            ..tiny()
        })
        .contains("lower")
    );
}

/// The compressed layer starts where the original starts (same function up to the compression's
/// error), the naive one does not; training is reproducible and stepping in pieces changes nothing.
#[test]
fn tiny_run_is_reproducible_and_starts_compressed_close() {
    let mut a = AttentionRun::new(tiny().check().unwrap()).unwrap();
    let s0 = a.summary();
    assert!(s0.compression_residual < 1e-9);
    let r0 = s0.ratio_compressed[0];
    assert_eq!(r0.0, 0);
    assert!(
        (r0.1 - 1.0).abs() < 0.02,
        "compressed starts at {}× the original",
        r0.1
    );
    while !a.is_done() {
        a.train(1);
    }
    let mut b = AttentionRun::new(tiny().check().unwrap()).unwrap();
    while !b.is_done() {
        b.train(5);
    }
    let (sa, sb) = (a.summary(), b.summary());
    assert_eq!(
        serde_json::to_string(&sa).unwrap(),
        serde_json::to_string(&sb).unwrap()
    );
    assert_eq!(a.curve().len(), 4);
    assert_eq!(a.picture().predictions.len(), 4);
    assert!(
        sa.arms
            .iter()
            .all(|x| x.final_test.is_finite() && x.diverged.is_none())
    );
    // The picture's predictions at epoch 0 are the arms' functions: compressed close to original.
    let p0 = &a.picture().predictions[0].1;
    let rms = |u: &[f32], v: &[f32]| {
        (u.iter()
            .zip(v)
            .map(|(x, y)| ((x - y) as f64).powi(2))
            .sum::<f64>()
            / u.len() as f64)
            .sqrt()
    };
    assert!(
        rms(&p0[1], &p0[0]) < rms(&p0[2], &p0[0]),
        "compressed further than naive at epoch 0"
    );
}
