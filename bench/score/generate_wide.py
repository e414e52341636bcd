"""Generate the bench/score "wide" data set (seeded, deterministic): one layer pair of conv
feature maps, n = 10 000 samples, float32, written as .npy in (N, C, H, W) layout.

    teacher  X: n x 64 x 14 x 14  (12 544 features flattened)
    student  Y: n x 32 x 26 x 26  (21 632 features flattened)

Both are ReLU maps of shared low-rank factors plus noise, so their CKA is neither ~0 nor ~1:
    Z  ~ N(0, 1)  n x 64, scaled per factor by s_k = (k + 1)^-1/2 (a decaying spectrum)
    Z' = w Z + sqrt(1 - w^2) G,  G ~ N(0, 1), w = 0.7     (the student's view of the factors)
    X  = relu(Z A + b + 0.5 E),   A ~ N(0, 1/64) 64 x 12 544,  b ~ U(0, 1)    per feature
    Y  = relu(Z' B + c + 0.5 F),  B ~ N(0, 1/64) 64 x 21 632,  c ~ U(0, 0.5)  per feature
Column means are non-zero (post-ReLU), as real activations' are. Linear CKA(X, Y) ~ 0.5.

Writes DIR/teacher.npy, DIR/student.npy and DIR/manifest.json (~1.4 GB in all). Run:
    python3 bench/score/generate_wide.py [--out DIR] [--n N]
"""
import argparse
import json
import os

import numpy as np

SEED = 20250311
TEACHER_SHAPE = (64, 14, 14)
STUDENT_SHAPE = (32, 26, 26)
RANK = 64
SHARED = 0.7
NOISE = 0.5
CHUNK = 1000  # rows generated at a time (bounds the float32 temporaries)


def layer(rng, z, shape, offset_high, out):
    """relu(z A + b + NOISE * E) into `out` (n x prod(shape) float32), CHUNK rows at a time."""
    width = int(np.prod(shape))
    a = rng.standard_normal((RANK, width), dtype=np.float32) / np.float32(np.sqrt(RANK))
    b = rng.uniform(0.0, offset_high, width).astype(np.float32)
    for s in range(0, z.shape[0], CHUNK):
        e = min(z.shape[0], s + CHUNK)
        block = z[s:e] @ a
        block += b
        block += np.float32(NOISE) * rng.standard_normal((e - s, width), dtype=np.float32)
        np.maximum(block, 0, out=block)
        out[s:e] = block


def generate(out: str, n: int) -> None:
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(SEED)
    spectrum = (np.arange(RANK, dtype=np.float32) + 1) ** np.float32(-0.5)
    z = rng.standard_normal((n, RANK), dtype=np.float32) * spectrum
    zs = np.float32(SHARED) * z + np.float32(np.sqrt(1 - SHARED**2)) * rng.standard_normal((n, RANK), dtype=np.float32) * spectrum
    for name, factors, shape, offset in (("teacher.npy", z, TEACHER_SHAPE, 1.0), ("student.npy", zs, STUDENT_SHAPE, 0.5)):
        arr = np.lib.format.open_memmap(os.path.join(out, name), mode="w+", dtype=np.float32, shape=(n, *shape))
        layer(rng, factors, shape, offset, arr.reshape(n, -1))
        arr.flush()
        del arr
    manifest = {
        "seed": SEED,
        "n": n,
        "teacherShape": list(TEACHER_SHAPE),
        "studentShape": list(STUDENT_SHAPE),
        "rank": RANK,
        "shared": SHARED,
        "noise": NOISE,
        "dtype": "float32",
        "files": ["teacher.npy", "student.npy"],
        "numpy": np.__version__,
    }
    with open(os.path.join(out, "manifest.json"), "w") as fh:
        json.dump(manifest, fh, indent=2)


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(here, "data", "wide"))
    ap.add_argument("--n", type=int, default=10_000)
    args = ap.parse_args()
    generate(args.out, args.n)
