"""NumPy reference for bench/score "wide": exact linear CKA of one pair of wide conv layers
(teacher n x 64x14x14 = 12 544 features, student n x 32x26x26 = 21 632, n = 10 000), the way
a careful NumPy user computes it when the layers are wider than the sample count — in
sample space, from the n x n Gram matrices:

    Xc = X - mean(X)    column means in float64, subtracted in float64, stored as float32
    K  = Xc Xc^T        float32 (NumPy's A @ A.T calls BLAS ssyrk: half the flops)
    L  = Yc Yc^T        likewise
    CKA = <K, L>_F / (||K||_F ||L||_F)      the three sums in float64 (row blocks of K, L
                                            converted to float64, then BLAS ddot)

K and L are already centred (K = H K0 H for K0 = X X^T, H = I - 11^T/n, since Xc = H X), so
<K, L>_F = tr(Kc Lc), the biased HSIC up to the factor 1/(n-1)^2 that cancels in CKA.

Only the computation is timed (centring, Grams, sums — not loading); one untimed warm-up
pass, then --repeat runs, best time reported (and each run's CPU time, all threads). Peak memory: this process's RSS high-water
mark (resource.getrusage ru_maxrss), data included. A self-check (untimed, on a slice)
compares the Gram route with the feature-space formula ||Xc^T Yc||^2 / (||Xc^T Xc|| ||Yc^T Yc||)
in float64. Prints one JSON object on stdout.
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

ROWS = 1000  # row block of the float64 centring and of the float64 sums


def centred32(x):
    """x - column means (means and difference in float64), as a new float32 array."""
    mean = x.mean(axis=0, dtype=np.float64)
    out = np.empty(x.shape, dtype=np.float32)
    for s in range(0, x.shape[0], ROWS):
        np.subtract(x[s : s + ROWS], mean, out=out[s : s + ROWS], casting="same_kind")
    return out


def frob_sums(k, l):
    """<K, L>, <K, K>, <L, L> in float64, ROWS rows at a time."""
    kl = kk = ll = 0.0
    for s in range(0, k.shape[0], ROWS):
        kb = k[s : s + ROWS].astype(np.float64).ravel()
        lb = l[s : s + ROWS].astype(np.float64).ravel()
        kl += np.dot(kb, lb)
        kk += np.dot(kb, kb)
        ll += np.dot(lb, lb)
    return kl, kk, ll


def cka_gram(x, y):
    """Linear CKA of x (n x p) and y (n x q), float32 in, by centred float32 Gram matrices."""
    xc = centred32(x)
    k = xc @ xc.T
    del xc
    yc = centred32(y)
    l = yc @ yc.T
    del yc
    kl, kk, ll = frob_sums(k, l)
    return float(kl / np.sqrt(kk * ll))


def cka_feature64(x, y):
    """The textbook feature-space formula, all in float64 (for the self-check)."""
    xc = x.astype(np.float64) - x.mean(axis=0, dtype=np.float64)
    yc = y.astype(np.float64) - y.mean(axis=0, dtype=np.float64)
    return float(np.sum((xc.T @ yc) ** 2) / (np.linalg.norm(xc.T @ xc) * np.linalg.norm(yc.T @ yc)))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.path.join(here, "data", "wide"))
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    x = np.load(os.path.join(args.data, "teacher.npy"))
    y = np.load(os.path.join(args.data, "student.npy"))
    n = x.shape[0]
    x = x.reshape(n, -1)  # flatten (C, H, W): views, no copies
    y = y.reshape(n, -1)
    rss_loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Self-check of the Gram route on a slice (600 samples, 1500 and 2500 features), untimed.
    xs, ys = x[:600, :1500], y[:600, :2500]
    check = {"gram": cka_gram(xs, ys), "feature64": cka_feature64(xs, ys)}
    check["absDiff"] = abs(check["gram"] - check["feature64"])
    w = np.ones((256, 256), dtype=np.float32)
    w @ w.T  # start the BLAS thread pool
    cka_gram(x, y)  # untimed warm-up: first-touch page faults of the Gram matrices
    times = []
    cpu = []
    value = None
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        c0 = time.process_time()
        value = cka_gram(x, y)
        cpu.append(time.process_time() - c0)
        times.append(time.perf_counter() - t0)
    print(
        json.dumps(
            {
                "numpy": np.__version__,
                "blas": blas_info(),
                "n": n,
                "widths": [x.shape[1], y.shape[1]],
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
