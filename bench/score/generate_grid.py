"""Generate the bench/score "grid" data set (seeded, deterministic): 8 teacher and 8 student
layers of widths 512-4096, n = 10 000 samples, float32 .npy (n x width).

    teacher widths  512, 1024, 1536, 2048, 2560, 3072, 3584, 4096
    student widths  512,  768, 1024, 1536, 2048, 2560, 3072, 4096

Layers deeper in a network share less with the input and more with their neighbours; the
latent factors follow that: a chain over depth d = 0..7 of n x 32 factors
    H_0 = F_0,   H_d = a H_{d-1} + sqrt(1 - a^2) F_d       (a = 0.8, F_d ~ N(0, 1))
teacher layer d = relu(H_d A_d + b_d + 0.5 E_d)            A_d ~ N(0, 1/32), b_d ~ U(0, 1)
student layer d = relu(G_d B_d + c_d + 0.5 E'_d),  G_d = w H_d + sqrt(1 - w^2) F'_d  (w = 0.8)
so the cross-layer CKA matrix is largest near its diagonal and falls off away from it
(values ~0.1-0.7), with post-ReLU non-zero column means as real activations have.

Writes DIR/teacher_{0..7}.npy, DIR/student_{0..7}.npy and DIR/manifest.json (~1.4 GB). Run:
    python3 bench/score/generate_grid.py [--out DIR] [--n N]
"""
import argparse
import json
import os

import numpy as np

SEED = 20250312
TEACHER_WIDTHS = (512, 1024, 1536, 2048, 2560, 3072, 3584, 4096)
STUDENT_WIDTHS = (512, 768, 1024, 1536, 2048, 2560, 3072, 4096)
RANK = 32
CHAIN = 0.8
SHARED = 0.8
NOISE = 0.5
CHUNK = 2000


def write_layer(rng, path, factors, width, offset_high):
    """relu(factors A + b + NOISE * E) as an n x width float32 .npy, CHUNK rows at a time."""
    n = factors.shape[0]
    a = rng.standard_normal((RANK, width), dtype=np.float32) / np.float32(np.sqrt(RANK))
    b = rng.uniform(0.0, offset_high, width).astype(np.float32)
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n, width))
    for s in range(0, n, CHUNK):
        e = min(n, s + CHUNK)
        block = factors[s:e] @ a
        block += b
        block += np.float32(NOISE) * rng.standard_normal((e - s, width), dtype=np.float32)
        np.maximum(block, 0, out=block)
        out[s:e] = block
    out.flush()
    del out


def generate(out: str, n: int) -> None:
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(SEED)
    h = rng.standard_normal((n, RANK), dtype=np.float32)
    files = []
    for d, (p, q) in enumerate(zip(TEACHER_WIDTHS, STUDENT_WIDTHS)):
        if d > 0:
            h = np.float32(CHAIN) * h + np.float32(np.sqrt(1 - CHAIN**2)) * rng.standard_normal((n, RANK), dtype=np.float32)
        g = np.float32(SHARED) * h + np.float32(np.sqrt(1 - SHARED**2)) * rng.standard_normal((n, RANK), dtype=np.float32)
        write_layer(rng, os.path.join(out, f"teacher_{d}.npy"), h, p, 1.0)
        write_layer(rng, os.path.join(out, f"student_{d}.npy"), g, q, 0.5)
        files += [f"teacher_{d}.npy", f"student_{d}.npy"]
    manifest = {
        "seed": SEED,
        "n": n,
        "teacherWidths": list(TEACHER_WIDTHS),
        "studentWidths": list(STUDENT_WIDTHS),
        "rank": RANK,
        "chain": CHAIN,
        "shared": SHARED,
        "noise": NOISE,
        "dtype": "float32",
        "files": files,
        "numpy": np.__version__,
    }
    with open(os.path.join(out, "manifest.json"), "w") as fh:
        json.dump(manifest, fh, indent=2)


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(here, "data", "grid"))
    ap.add_argument("--n", type=int, default=10_000)
    args = ap.parse_args()
    generate(args.out, args.n)
