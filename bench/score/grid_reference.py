"""NumPy reference for bench/score "grid": the exact linear-CKA matrix of 8 teacher x 8 student
layers (widths 512-4096, n = 10 000), the best way I know to write it in NumPy.

Cost decides the space: per pair, the feature-space form ||Xc^T Yc||^2 needs n.p.q
multiply-adds, ~n.(sum p).(sum q) ~ 2.9e12 for all 64 pairs (plus the squares); the sample-
space form needs each layer's n x n Gram matrix once, n^2/2.(sum p + sum q) ~ 1.7e12, shared
by every pair. So, in sample space, with all 16 Gram matrices (6.4 GB as float32) never held at
once — they are visited in b x b blocks (upper triangle of blocks, since they are symmetric):

    Xc_l = X_l - mean(X_l)         per layer, means and difference in float64, stored float32
    for each block pair I <= J:
        G_l = Xc_l[I] Xc_l[J]^T    float32 (BLAS sgemm; ssyrk on the diagonal blocks), l = 1..16,
                                   written into the rows of one 16 x b^2 array S
        C  += w . S S^T            S converted to float64, BLAS dsyrk; w = 1 on the diagonal
                                   blocks, 2 off it (each stands for itself and its mirror)
    CKA(t, s) = C[t, s] / sqrt(C[t, t] C[s, s])

Centred Gram matrices need no further centring (Kc = H K H = K when Xc = H X), so
C[t, s] = <K_t, L_s>_F = tr(K_t L_s), the unnormalised biased HSIC.

Only the computation is timed (centring, blocks, sums — not loading); one untimed warm-up
pass, then --repeat runs, best time reported (and each run's CPU time, all threads). Peak memory: this process's RSS high-water
mark (resource.getrusage ru_maxrss), data included. A self-check (untimed) compares the blocked
route with the feature-space formula in float64 on a slice of every layer. Prints one JSON
object on stdout.
"""
import argparse
import json
import os
import resource
import sys
import time

import numpy as np

sys.dont_write_bytecode = True  # importing reference.py leaves no __pycache__ behind
from reference import blas_info  # noqa: E402

ROWS = 1000  # row block of the float64 centring


def centred32(x):
    """x - column means (means and difference in float64), as a new float32 array."""
    mean = x.mean(axis=0, dtype=np.float64)
    out = np.empty(x.shape, dtype=np.float32)
    for s in range(0, x.shape[0], ROWS):
        np.subtract(x[s : s + ROWS], mean, out=out[s : s + ROWS], casting="same_kind")
    return out


def cka_grid(teacher, student, block):
    """Linear CKA of every teacher layer with every student layer (lists of n x p float32)."""
    layers = [centred32(x) for x in teacher + student]
    n = layers[0].shape[0]
    m = len(layers)
    s32 = np.empty((m, block * block), dtype=np.float32)
    s64 = np.empty((m, block * block), dtype=np.float64)
    c = np.zeros((m, m))
    for i0 in range(0, n, block):
        i1 = min(n, i0 + block)
        for j0 in range(i0, n, block):
            j1 = min(n, j0 + block)
            size = (i1 - i0) * (j1 - j0)
            for l, xc in enumerate(layers):
                g = s32[l, :size].reshape(i1 - i0, j1 - j0)
                np.matmul(xc[i0:i1], xc[j0:j1].T, out=g)
            np.copyto(s64[:, :size], s32[:, :size])
            blk = s64[:, :size]
            c += (1.0 if i0 == j0 else 2.0) * (blk @ blk.T)
    t = len(teacher)
    d = np.sqrt(np.diag(c))
    return (c[:t, t:] / np.outer(d[:t], d[t:])).tolist()


def cka_feature64(x, y):
    """The textbook feature-space formula, all in float64 (for the self-check)."""
    xc = x.astype(np.float64) - x.mean(axis=0, dtype=np.float64)
    yc = y.astype(np.float64) - y.mean(axis=0, dtype=np.float64)
    return float(np.sum((xc.T @ yc) ** 2) / (np.linalg.norm(xc.T @ xc) * np.linalg.norm(yc.T @ yc)))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.path.join(here, "data", "grid"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--block", type=int, default=2000, help="rows per Gram block (default 2000)")
    args = ap.parse_args()
    with open(os.path.join(args.data, "manifest.json")) as fh:
        manifest = json.load(fh)
    layers = len(manifest["teacherWidths"])
    teacher = [np.load(os.path.join(args.data, f"teacher_{d}.npy")) for d in range(layers)]
    student = [np.load(os.path.join(args.data, f"student_{d}.npy")) for d in range(layers)]
    rss_loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Self-check on a slice (700 samples, the first 400 features of every layer), untimed,
    # with blocks that do not divide the sample count.
    ts = [x[:700, :400] for x in teacher]
    ss = [y[:700, :400] for y in student]
    blocked = np.array(cka_grid(ts, ss, 300))
    textbook = np.array([[cka_feature64(x, y) for y in ss] for x in ts])
    check = {"maxAbsDiff": float(np.max(np.abs(blocked - textbook))), "cells": blocked.size}
    w = np.ones((256, 256), dtype=np.float32)
    w @ w.T  # start the BLAS thread pool
    cka_grid(teacher, student, args.block)  # untimed warm-up
    times = []
    cpu = []
    value = None
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        c0 = time.process_time()
        value = cka_grid(teacher, student, args.block)
        cpu.append(time.process_time() - c0)
        times.append(time.perf_counter() - t0)
    print(
        json.dumps(
            {
                "numpy": np.__version__,
                "blas": blas_info(),
                "n": teacher[0].shape[0],
                "block": args.block,
                "seconds": min(times),
                "runs": times,
                "cpuSeconds": cpu,
                "cka": value,
                "selfCheck": check,
                "maxRssBytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                "loadedRssBytes": rss_loaded * 1024,
            }
        )
    )


if __name__ == "__main__":
    main()
