"""Generate the bench/shards captures (seeded, deterministic): one teacher and one student .npz.

n samples of a classification run: teacher features (n x TW, float32) = relu of a rank-64
signal plus noise; student features (n x SW) partly a linear function of the teacher's; logits
over C classes from each side's features; int64 ids 0..n-1. Writes OUT/teacher.npz,
OUT/student.npz and OUT/manifest.json. Run:
    python3 bench/shards/generate.py --out DIR [--n 100000] [--teacher-width 512] [--student-width 256] [--classes 100]
"""
import argparse
import json
import os

import numpy as np

SEED = 20261201


def generate(out: str, n: int, tw: int, sw: int, classes: int) -> None:
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(SEED)
    a = rng.standard_normal((64, tw), dtype=np.float32) / 8
    m = rng.standard_normal((tw, sw), dtype=np.float32) / np.sqrt(tw)
    wt = rng.standard_normal((tw, classes), dtype=np.float32) / np.sqrt(tw)
    ws = rng.standard_normal((sw, classes), dtype=np.float32) / np.sqrt(sw)
    t = np.empty((n, tw), np.float32)
    s = np.empty((n, sw), np.float32)
    step = 10000
    for i in range(0, n, step):
        j = min(n, i + step)
        z = rng.standard_normal((j - i, 64), dtype=np.float32)
        t[i:j] = np.maximum(z @ a + 0.5 * rng.standard_normal((j - i, tw), dtype=np.float32), 0)
        s[i:j] = np.maximum(0.7 * (t[i:j] - 0.2) @ m + 0.3 * rng.standard_normal((j - i, sw), dtype=np.float32), 0)
    ids = np.arange(n, dtype=np.int64)
    np.savez(os.path.join(out, 'teacher.npz'), features=t, logits=(t @ wt) * 4, ids=ids)
    np.savez(os.path.join(out, 'student.npz'), features=s, logits=(s @ ws) * 4, ids=ids)
    with open(os.path.join(out, 'manifest.json'), 'w') as f:
        json.dump({'seed': SEED, 'n': n, 'teacherWidth': tw, 'studentWidth': sw, 'classes': classes}, f)


if __name__ == '__main__':
    p = argparse.ArgumentParser()
    p.add_argument('--out', required=True)
    p.add_argument('--n', type=int, default=100000)
    p.add_argument('--teacher-width', type=int, default=512)
    p.add_argument('--student-width', type=int, default=256)
    p.add_argument('--classes', type=int, default=100)
    o = p.parse_args()
    generate(o.out, o.n, o.teacher_width, o.student_width, o.classes)
