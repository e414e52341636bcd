/*
 * krs_blas: float32 matrix products on OpenBLAS for krs's optional `openblas-f32` backend
 * (src/runtime/blas-backend.ts). Plain N-API (node_api.h) over the CBLAS interface.
 *
 * Exports (all synchronous; a product blocks the calling JavaScript thread while it runs):
 *   sgemmNT(a, b, c, m, n, k)  C = A·Bᵀ, row-major float32: A m×k, B n×k, C m×n (overwritten)
 *   ssyrkLower(a, c, m, k)     the lower triangle (j ≤ i) of C = A·Aᵀ, A m×k, C m×m; the strict
 *                              upper triangle of C is left as it was
 *   setThreads(n)              OpenBLAS threads for later products (process-wide), n ≥ 1
 *   threads()                  OpenBLAS threads now in use
 *   config()                   { config, core }: OpenBLAS's build string and the kernel it chose
 *   crossSums(ks, ls, rows, cols, split, out)  the Gram pass's weighted Σ K∘L for every pair
 *                              of panels, in double (see cross_sums)
 *
 * Every argument is checked before OpenBLAS is called: a, b, c must be Float32Arrays (views
 * allowed) holding exactly the number of values the dimensions say, the dimensions integers
 * in [0, 2³¹ − 1]; anything else throws a TypeError or RangeError in JavaScript. Empty
 * products (m, n or k = 0) never reach OpenBLAS (which rejects a leading dimension of 0): C is
 * zero-filled when k = 0.
 */
#include <cblas.h>
#include <limits.h>
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Throw `msg` as a JavaScript error of the given kind ('T' TypeError, 'R' RangeError, else Error); returns NULL. */
static napi_value fail(napi_env env, char kind, const char *msg) {
  if (kind == 'T') napi_throw_type_error(env, NULL, msg);
  else if (kind == 'R') napi_throw_range_error(env, NULL, msg);
  else napi_throw_error(env, NULL, msg);
  return NULL;
}

/* The float32 data of argument `v`, and its length in values; 0 on failure (a JS error is pending). */
static int float32_arg(napi_env env, napi_value v, const char *name, float **data, size_t *length) {
  bool is_typed = false;
  char msg[128];
  if (napi_is_typedarray(env, v, &is_typed) != napi_ok || !is_typed) {
    snprintf(msg, sizeof msg, "krs_blas: %s must be a Float32Array", name);
    fail(env, 'T', msg);
    return 0;
  }
  napi_typedarray_type type;
  void *raw = NULL;
  if (napi_get_typedarray_info(env, v, &type, length, &raw, NULL, NULL) != napi_ok || type != napi_float32_array) {
    snprintf(msg, sizeof msg, "krs_blas: %s must be a Float32Array", name);
    fail(env, 'T', msg);
    return 0;
  }
  *data = (float *)raw;
  return 1;
}

/* Argument `v` as a dimension: an integer in [0, INT_MAX]; 0 on failure (a JS error is pending). */
static int dim_arg(napi_env env, napi_value v, const char *name, int *out) {
  double d;
  char msg[128];
  if (napi_get_value_double(env, v, &d) != napi_ok) {
    snprintf(msg, sizeof msg, "krs_blas: %s must be a number", name);
    fail(env, 'T', msg);
    return 0;
  }
  if (!(d >= 0 && d <= (double)INT_MAX) || d != (double)(int64_t)d) {
    snprintf(msg, sizeof msg, "krs_blas: %s must be an integer in [0, %d]", name, INT_MAX);
    fail(env, 'R', msg);
    return 0;
  }
  *out = (int)d;
  return 1;
}

/* Check that array `name` holds rows·cols values; 0 with a pending RangeError otherwise. */
static int check_length(napi_env env, const char *name, size_t length, int rows, int cols) {
  uint64_t want = (uint64_t)rows * (uint64_t)cols;
  if ((uint64_t)length == want) return 1;
  char msg[320];
  snprintf(msg, sizeof msg, "krs_blas: %s holds %llu values for %d×%d", name, (unsigned long long)length, rows, cols);
  fail(env, 'R', msg);
  return 0;
}

/* Exactly `want` arguments into argv; 0 with a pending TypeError otherwise. */
static int get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv, const char *usage) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != want) {
    fail(env, 'T', usage);
    return 0;
  }
  return 1;
}

/* sgemmNT(a, b, c, m, n, k): C = A·Bᵀ (cblas_sgemm, row-major, B transposed, α = 1, β = 0). */
static napi_value sgemm_nt(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  float *a, *b, *c;
  size_t la, lb, lc;
  int m, n, k;
  if (!get_args(env, info, 6, argv, "krs_blas: sgemmNT(a, b, c, m, n, k) takes 6 arguments")) return NULL;
  if (!float32_arg(env, argv[0], "a", &a, &la) || !float32_arg(env, argv[1], "b", &b, &lb) || !float32_arg(env, argv[2], "c", &c, &lc)) return NULL;
  if (!dim_arg(env, argv[3], "m", &m) || !dim_arg(env, argv[4], "n", &n) || !dim_arg(env, argv[5], "k", &k)) return NULL;
  if (!check_length(env, "a", la, m, k) || !check_length(env, "b", lb, n, k) || !check_length(env, "c", lc, m, n)) return NULL;
  if (m == 0 || n == 0) return NULL;
  if (k == 0) {
    memset(c, 0, lc * sizeof(float));
    return NULL;
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, a, k, b, k, 0.0f, c, n);
  return NULL;
}

/* ssyrkLower(a, c, m, k): lower triangle of C = A·Aᵀ (cblas_ssyrk, row-major, lower, α = 1, β = 0). */
static napi_value ssyrk_lower(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  float *a, *c;
  size_t la, lc;
  int m, k;
  if (!get_args(env, info, 4, argv, "krs_blas: ssyrkLower(a, c, m, k) takes 4 arguments")) return NULL;
  if (!float32_arg(env, argv[0], "a", &a, &la) || !float32_arg(env, argv[1], "c", &c, &lc)) return NULL;
  if (!dim_arg(env, argv[2], "m", &m) || !dim_arg(env, argv[3], "k", &k)) return NULL;
  if (!check_length(env, "a", la, m, k) || !check_length(env, "c", lc, m, m)) return NULL;
  if (m == 0) return NULL;
  if (k == 0) {
    for (int i = 0; i < m; i++) memset(c + (size_t)i * m, 0, ((size_t)i + 1) * sizeof(float));
    return NULL;
  }
  cblas_ssyrk(CblasRowMajor, CblasLower, CblasNoTrans, m, k, 1.0f, a, k, 0.0f, c, m);
  return NULL;
}

/* setThreads(n): openblas_set_num_threads(n), n an integer ≥ 1. */
static napi_value set_threads(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int n;
  if (!get_args(env, info, 1, argv, "krs_blas: setThreads(n) takes 1 argument")) return NULL;
  if (!dim_arg(env, argv[0], "n", &n)) return NULL;
  if (n < 1) return fail(env, 'R', "krs_blas: n must be an integer ≥ 1");
  openblas_set_num_threads(n);
  return NULL;
}

/* threads(): openblas_get_num_threads(). */
static napi_value get_threads(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  napi_create_int32(env, openblas_get_num_threads(), &out);
  return out;
}

/* config(): { config: openblas_get_config(), core: openblas_get_corename() }. */
static napi_value get_config(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out, config, core;
  const char *cfg = openblas_get_config();
  const char *name = openblas_get_corename();
  napi_create_object(env, &out);
  napi_create_string_utf8(env, cfg ? cfg : "", NAPI_AUTO_LENGTH, &config);
  napi_create_string_utf8(env, name ? name : "", NAPI_AUTO_LENGTH, &core);
  napi_set_named_property(env, out, "config", config);
  napi_set_named_property(env, out, "core", core);
  return out;
}

/*
 * Σ k[j]·l[j] for j in [0, len), in double (each float32 product exact in double), as eight
 * independent lanes summed pairwise at the end (vectorised; the order differs from a running
 * sum only in rounding). Cloned for AVX2 and the x86-64 baseline, picked at load time.
 */
__attribute__((target_clones("avx2", "default"))) static double dot_f32_f64(const float *k, const float *l, size_t len) {
  double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  size_t j = 0;
  for (; j + 8 <= len; j += 8)
    for (int u = 0; u < 8; u++) acc[u] += (double)k[j + u] * (double)l[j + u];
  for (; j < len; j++) acc[0] += (double)k[j] * (double)l[j];
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

/* The Float32Arrays of JS array `v` (each rows·cols values) into `out` (capacity max); their count, or -1 with a pending error. */
static int float32_list(napi_env env, napi_value v, const char *name, float **out, int max, int rows, int cols) {
  bool is_array = false;
  uint32_t count = 0;
  char msg[128];
  if (napi_is_array(env, v, &is_array) != napi_ok || !is_array || napi_get_array_length(env, v, &count) != napi_ok || count > (uint32_t)max) {
    snprintf(msg, sizeof msg, "krs_blas: %s must be an array of at most %d Float32Arrays", name, max);
    fail(env, 'T', msg);
    return -1;
  }
  for (uint32_t i = 0; i < count; i++) {
    napi_value item;
    size_t length;
    if (napi_get_element(env, v, i, &item) != napi_ok) return -1;
    snprintf(msg, sizeof msg, "%s[%u]", name, i);
    if (!float32_arg(env, item, msg, &out[i], &length) || !check_length(env, msg, length, rows, cols)) return -1;
  }
  return (int)count;
}

#define MAX_LAYERS 256

/*
 * crossSums(ks, ls, rows, cols, split, out): for panels K⁽ᵗ⁾ = ks[t], L⁽ˢ⁾ = ls[s] (rows × cols,
 * row-major float32), out[t·S + s] += Σᵢ (Σ_{j<split} KᵢⱼLᵢⱼ + 2·Σ_{j≥split} KᵢⱼLᵢⱼ) in double
 * — the Gram pass's weighted element-wise sums (columns before `split` in the diagonal block,
 * the rest standing for both triangles). 0 ≤ split ≤ cols; out holds T·S doubles.
 */
static napi_value cross_sums(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  float *ks[MAX_LAYERS], *ls[MAX_LAYERS];
  int rows, cols, split;
  if (!get_args(env, info, 6, argv, "krs_blas: crossSums(ks, ls, rows, cols, split, out) takes 6 arguments")) return NULL;
  if (!dim_arg(env, argv[2], "rows", &rows) || !dim_arg(env, argv[3], "cols", &cols) || !dim_arg(env, argv[4], "split", &split)) return NULL;
  if (split > cols) return fail(env, 'R', "krs_blas: split must be ≤ cols");
  int T = float32_list(env, argv[0], "ks", ks, MAX_LAYERS, rows, cols);
  if (T < 0) return NULL;
  int S = float32_list(env, argv[1], "ls", ls, MAX_LAYERS, rows, cols);
  if (S < 0) return NULL;
  bool is_typed = false;
  napi_typedarray_type type;
  size_t length;
  void *raw = NULL;
  if (napi_is_typedarray(env, argv[5], &is_typed) != napi_ok || !is_typed || napi_get_typedarray_info(env, argv[5], &type, &length, &raw, NULL, NULL) != napi_ok ||
      type != napi_float64_array)
    return fail(env, 'T', "krs_blas: out must be a Float64Array");
  if (length != (size_t)T * (size_t)S) return fail(env, 'R', "krs_blas: out must hold ks.length × ls.length values");
  double *out = (double *)raw;
  // Row by row, every pair: one row of every layer (≤ 16 KB each at 4096 columns) stays in cache for all its pairs.
  double *sums = calloc(2 * (size_t)T * S + 1, sizeof(double));
  if (!sums) return fail(env, 'E', "krs_blas: crossSums: out of memory");
  for (int i = 0; i < rows; i++) {
    const size_t o = (size_t)i * cols;
    for (int t = 0; t < T; t++)
      for (int s = 0; s < S; s++) {
        double *acc = sums + 2 * ((size_t)t * S + s);
        acc[0] += dot_f32_f64(ks[t] + o, ls[s] + o, (size_t)split);
        acc[1] += dot_f32_f64(ks[t] + o + split, ls[s] + o + split, (size_t)(cols - split));
      }
  }
  for (size_t p = 0; p < (size_t)T * S; p++) out[p] += sums[2 * p] + 2 * sums[2 * p + 1];
  free(sums);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"sgemmNT", NULL, sgemm_nt, NULL, NULL, NULL, napi_enumerable, NULL},
      {"ssyrkLower", NULL, ssyrk_lower, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setThreads", NULL, set_threads, NULL, NULL, NULL, napi_enumerable, NULL},
      {"threads", NULL, get_threads, NULL, NULL, NULL, napi_enumerable, NULL},
      {"config", NULL, get_config, NULL, NULL, NULL, napi_enumerable, NULL},
      {"crossSums", NULL, cross_sums, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
