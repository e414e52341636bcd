"""Generate the bench/score data set (seeded, deterministic): 4 layer pairs, n = 10 000.

Teacher layer l (n x 2048, float32): ReLU activations of a low-rank signal plus noise,
    T_l = relu(Z_l A_l + b_l + 0.5 E_l),   Z_l ~ N(0, 1) n x 96, b_l ~ U(0, 1) per column,
so columns have non-zero means (as post-activation features do) and a realistic spectrum.
Student layer l (n x 512, float32): partly a linear function of its teacher, plus noise,
    S_l = relu(w_l (T_l - mean) M_l / sqrt(2048) + (1 - w_l) F_l + c_l),
with w_l = 0.9, 0.7, 0.5, 0.3 so the four CKA values spread from high to low.

Writes bench/score/data/{teacher,student}_{0..3}.npy and manifest.json. Run:
    python3 bench/score/generate.py [--out DIR] [--n N]
"""
import argparse
import json
import os

import numpy as np

SEED = 20250273
TEACHER_WIDTH = 2048
STUDENT_WIDTH = 512
LAYERS = 4
RANK = 96
WEIGHTS = (0.9, 0.7, 0.5, 0.3)


def generate(out: str, n: int) -> None:
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(SEED)
    files = []
    for layer in range(LAYERS):
        z = rng.standard_normal((n, RANK), dtype=np.float32)
        a = rng.standard_normal((RANK, TEACHER_WIDTH), dtype=np.float32) / np.float32(np.sqrt(RANK))
        b = rng.uniform(0.0, 1.0, TEACHER_WIDTH).astype(np.float32)
        t = z @ a
        t += b
        t += np.float32(0.5) * rng.standard_normal((n, TEACHER_WIDTH), dtype=np.float32)
        np.maximum(t, 0, out=t)
        m = rng.standard_normal((TEACHER_WIDTH, STUDENT_WIDTH), dtype=np.float32) / np.float32(np.sqrt(TEACHER_WIDTH))
        w = np.float32(WEIGHTS[layer])
        s = (t - t.mean(axis=0, dtype=np.float64).astype(np.float32)) @ m
        s *= w
        s += (np.float32(1) - w) * rng.standard_normal((n, STUDENT_WIDTH), dtype=np.float32)
        s += rng.uniform(0.0, 0.5, STUDENT_WIDTH).astype(np.float32)
        np.maximum(s, 0, out=s)
        for name, arr in ((f"teacher_{layer}.npy", t), (f"student_{layer}.npy", s)):
            np.save(os.path.join(out, name), np.ascontiguousarray(arr, dtype=np.float32))
            files.append(name)
    manifest = {
        "seed": SEED,
        "n": n,
        "layers": LAYERS,
        "teacherWidth": TEACHER_WIDTH,
        "studentWidth": STUDENT_WIDTH,
        "dtype": "float32",
        "files": files,
        "numpy": np.__version__,
    }
    with open(os.path.join(out, "manifest.json"), "w") as fh:
        json.dump(manifest, fh, indent=2)


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(here, "data"))
    ap.add_argument("--n", type=int, default=10_000)
    args = ap.parse_args()
    generate(args.out, args.n)
