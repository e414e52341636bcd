"""NumPy reference for bench/score: exact linear CKA of 4 layer pairs, as krs computes it.

For each pair (teacher T: n x 2048, student S: n x 512, float32 on disk):
    Tc = T - mean(T)   column-centred in float64     (likewise Sc)
    products  Tc.T @ Tc,  Sc.T @ Sc,  Tc.T @ Sc
    CKA = ||Tc.T Sc||_F^2 / (||Tc.T Tc||_F ||Sc.T Sc||_F)   (norms and ratio in float64)

Two variants are timed, so the comparison with krs is honest both ways:
* "float32" (the headline): centring in float64, then the centred matrices cast to float32
  and the three products in float32 (sgemm/ssyrk) — the same precision as krs's
  ONNX Runtime backend, which multiplies in float32 after float64 centring.
* "float64": everything in float64 (dgemm/dsyrk) — what a NumPy user would write by default.
NumPy evaluates `X.T @ X` with BLAS syrk (half the flops of a general product).

Only the computation is timed (the data are loaded first, not timed); each variant runs
`--repeat` times after one untimed warm-up pass, and the best time is reported. Prints one JSON object on stdout.
"""
import argparse
import ctypes
import glob
import json
import os
import time

import numpy as np


def cka_pair(t, s, dtype):
    tc = t.astype(np.float64)
    tc -= tc.mean(axis=0)
    sc = s.astype(np.float64)
    sc -= sc.mean(axis=0)
    if dtype != np.float64:
        tc = tc.astype(dtype)
        sc = sc.astype(dtype)
    tt = tc.T @ tc
    ss = sc.T @ sc
    ts = tc.T @ sc
    num = np.sum(np.square(ts, dtype=np.float64))
    den = np.sqrt(np.sum(np.square(tt, dtype=np.float64))) * np.sqrt(np.sum(np.square(ss, dtype=np.float64)))
    return float(num / den)


def run(pairs, dtype, repeat):
    # One untimed pass first: the first touch of fresh memory (page faults) makes a cold
    # run up to 3x slower here, and krs's side is warmed up the same way.
    [cka_pair(t, s, dtype) for t, s in pairs]
    times = []
    ckas = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        ckas = [cka_pair(t, s, dtype) for t, s in pairs]
        times.append(time.perf_counter() - t0)
    return {"seconds": min(times), "runs": times, "cka": ckas}


def blas_info():
    """Which BLAS NumPy uses, its kernel and thread count (threadpoolctl if installed)."""
    info = {}
    try:
        from threadpoolctl import threadpool_info

        for pool in threadpool_info():
            if pool.get("user_api") == "blas":
                info = {
                    "library": pool.get("internal_api"),
                    "version": pool.get("version"),
                    "threads": pool.get("num_threads"),
                    "coretype": pool.get("architecture"),
                    "source": "threadpoolctl",
                }
                break
    except ImportError:
        pass
    if not info:
        try:
            cfg = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
            info = {"library": cfg.get("name"), "version": cfg.get("version"), "source": "numpy.show_config"}
        except Exception:  # older NumPy: no mode="dicts"
            info = {"library": "unknown", "source": "none"}
        # scipy-openblas (NumPy wheels) exports its thread count and kernel name.
        libdir = os.path.join(os.path.dirname(np.__file__), "..", "numpy.libs")
        for path in glob.glob(os.path.join(libdir, "*openblas*")):
            try:
                lib = ctypes.CDLL(path)
                for prefix in ("scipy_openblas_", "scipy_openblas64_", "openblas_"):
                    for suffix in ("64_", ""):
                        name = f"{prefix}get_num_threads{suffix}"
                        if hasattr(lib, name):
                            info["threads"] = getattr(lib, name)()
                            core = getattr(lib, f"{prefix}get_corename{suffix}")
                            core.restype = ctypes.c_char_p
                            info["coretype"] = core().decode()
                            raise StopIteration
            except StopIteration:
                break
            except OSError:
                continue
    info["OPENBLAS_CORETYPE"] = os.environ.get("OPENBLAS_CORETYPE")
    info["OPENBLAS_L2_SIZE"] = os.environ.get("OPENBLAS_L2_SIZE")
    return info


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.path.join(here, "data"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-float64", action="store_true", help="skip the float64 variant")
    args = ap.parse_args()
    with open(os.path.join(args.data, "manifest.json")) as fh:
        manifest = json.load(fh)
    pairs = [
        (np.load(os.path.join(args.data, f"teacher_{l}.npy")), np.load(os.path.join(args.data, f"student_{l}.npy")))
        for l in range(manifest["layers"])
    ]
    # Warm up the BLAS thread pool so that its start-up is not charged to the first run.
    w = np.ones((256, 256), dtype=np.float32)
    w.T @ w
    out = {"numpy": np.__version__, "blas": blas_info(), "n": manifest["n"], "float32": run(pairs, np.float32, args.repeat)}
    out["seconds"] = out["float32"]["seconds"]
    out["cka"] = out["float32"]["cka"]
    if not args.no_float64:
        out["float64"] = run(pairs, np.float64, args.repeat)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
