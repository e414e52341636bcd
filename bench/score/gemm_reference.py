"""NumPy reference for bench/score "gemm": the block products of the sample-space Gram pass,
alone, in OpenBLAS float32 — to see whether krs's excess over NumPy on the wide and grid
benches lies in the products themselves or around them.

For each case (M, N, K), on seeded N(0, 1) float32 data (numpy.random.default_rng(seed)):
    general    C = A @ B.T       A: M x K, B: N x K            (sgemm; 2.M.N.K flops)
    symmetric  C = A @ A.T       A: M x K                      (ssyrk; M.M.K useful flops)
Timed: the product only, into a preallocated C (np.matmul(..., out=C)); one untimed warm-up,
then --repeat runs, best time. Prints one JSON object: per case, the best seconds and GFLOP/s.
Thread count: OpenBLAS's own default (all cores) unless OPENBLAS_NUM_THREADS is set.
"""
import argparse
import json
import sys
import time

import numpy as np

sys.dont_write_bytecode = True
from reference import blas_info  # noqa: E402


def best_of(fn, repeat):
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", required=True, help="JSON list of [kind, M, N, K]")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    out = []
    for kind, m, n, k in json.loads(args.cases):
        a = rng.standard_normal((m, k), dtype=np.float32)
        if kind == "symmetric":
            c = np.empty((m, m), dtype=np.float32)
            s = best_of(lambda: np.matmul(a, a.T, out=c), args.repeat)
            flops = m * m * k
        else:
            b = rng.standard_normal((n, k), dtype=np.float32)
            c = np.empty((m, n), dtype=np.float32)
            s = best_of(lambda: np.matmul(a, b.T, out=c), args.repeat)
            flops = 2 * m * n * k
        out.append({"kind": kind, "m": m, "n": n, "k": k, "seconds": s, "gflops": flops / s / 1e9})
    print(json.dumps({"numpy": np.__version__, "blas": blas_info(), "cases": out}))


if __name__ == "__main__":
    main()
