"""Extra probe sets for a low-noise comparison of compressors (ours, not part of the team's generator).

One cloud's Fig. 2 error is a sum of many signed per-elimination errors, so it swings by up to 10x with the
10 probe directions alone. Averaging the squared error over many independent probe sets (many test
functions) on the same compression estimates its typical error with far less noise; the benchmark and
reference_method.py report that RMS next to the Fig. 2 error.

Usage: python3 make_probe_sets.py OUT_DIR M CLOUD [CLOUD ...] [--sets 64]
  ->  OUT_DIR/probesets_M_C.csv: SETS x 10 rows of M coordinates in [-1,1] (set s = rows 10 s .. 10 s + 9)."""
import argparse, os, random

ap = argparse.ArgumentParser()
ap.add_argument("out")
ap.add_argument("m", type=int)
ap.add_argument("clouds", type=int, nargs="+")
ap.add_argument("--sets", type=int, default=64)
a = ap.parse_args()
os.makedirs(a.out, exist_ok=True)
for c in a.clouds:
    r = random.Random(7_777_777 * a.m + 1_009 * c + 17)
    with open(f"{a.out}/probesets_{a.m}_{c}.csv", "w") as f:
        for _ in range(10 * a.sets):
            f.write(",".join(repr(2 * r.random() - 1) for _ in range(a.m)) + "\n")
