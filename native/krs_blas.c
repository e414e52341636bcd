/*
 * krs_blas: float32 matrix products on OpenBLAS for krs's optional `openblas-f32` backend
 * (src/runtime/blas-backend.ts). Plain N-API (node_api.h) over the CBLAS interface.
 *
 * Exports (all synchronous; a product blocks the calling JavaScript thread while it runs):
 *   sgemmNT(a, b, c, m, n, k)  C = A·Bᵀ, row-major float32: A m×k, B n×k, C m×n (overwritten)
 *   ssyrkLower(a, c, m, k)     the lower triangle (j ≤ i) of C = A·Aᵀ, A m×k, C m×m; the strict
 *                              upper triangle of C is left as it was
 *   ssyrkFull(a, c, m, k)      all of C = A·Aᵀ (ssyrk's lower triangle, mirrored in C), A m×k,
 *                              C m×m
 *   setThreads(n)              OpenBLAS threads for later products (process-wide), n ≥ 1
 *   threads()                  OpenBLAS threads now in use
 *   config()                   { config, core, threadTimeout }: OpenBLAS's build string, the kernel it
 *                              chose, and OPENBLAS_THREAD_TIMEOUT as OpenBLAS read it at load ("" unset)
 *   panelSums(grams, teachers, rows, cols, split, rowStart, colStart, cross, frob, rowSums, threads)
 *                              the Gram pass's element-wise sums of one round (every layer's
 *                              squares and row sums, every pair's Σ K∘L), in double, on
 *                              `threads` threads (see panel_sums)
 *   adviseHugePages(array)     madvise(MADV_HUGEPAGE) over the whole 2 MiB pages of a Float32Array
 *   centreRows(rows, mean, out, scale)  rows minus their column means, times scale, into out
 *                              (float32), returning the largest |rows − mean| (see centre_rows)
 *
 * Every argument is checked before OpenBLAS is called: a, b, c must be Float32Arrays (views
 * allowed) holding exactly the number of values the dimensions say, the dimensions integers
 * in [0, 2³¹ − 1]; anything else throws a TypeError or RangeError in JavaScript. Empty
 * products (m, n or k = 0) never reach OpenBLAS (which rejects a leading dimension of 0): C is
 * zero-filled when k = 0.
 */
#define _DEFAULT_SOURCE /* madvise, MADV_HUGEPAGE */
#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <node_api.h>
#include <pthread.h>
#include <sys/mman.h>
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

/* The data of argument `v` when it is a typed array of `want` (`label` names that type in the error), and its length in values; 0 on failure (a TypeError is pending). */
static int typed_arg(napi_env env, napi_value v, const char *name, napi_typedarray_type want, const char *label, void **data, size_t *length) {
  bool is_typed = false;
  napi_typedarray_type type;
  if (napi_is_typedarray(env, v, &is_typed) != napi_ok || !is_typed || napi_get_typedarray_info(env, v, &type, length, data, NULL, NULL) != napi_ok || type != want) {
    char msg[128];
    snprintf(msg, sizeof msg, "krs_blas: %s must be a %s", name, label);
    fail(env, 'T', msg);
    return 0;
  }
  return 1;
}

/* The float32 data of argument `v`, and its length in values; 0 on failure (a JS error is pending). */
static int float32_arg(napi_env env, napi_value v, const char *name, float **data, size_t *length) {
  return typed_arg(env, v, name, napi_float32_array, "Float32Array", (void **)data, length);
}

/* The float64 data of argument `v`, and its length in values; 0 on failure (a JS error is pending). */
static int float64_arg(napi_env env, napi_value v, const char *name, double **data, size_t *length) {
  return typed_arg(env, v, name, napi_float64_array, "Float64Array", (void **)data, length);
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

/* The strict upper triangle of the m × m row-major C from its lower triangle, 64 × 64 tiles at a time (both tiles stay in cache). */
static void mirror_lower(float *c, int m) {
  const int tile = 64;
  for (int i0 = 0; i0 < m; i0 += tile)
    for (int j0 = i0; j0 < m; j0 += tile) {
      const int i1 = i0 + tile < m ? i0 + tile : m, j1 = j0 + tile < m ? j0 + tile : m;
      for (int i = i0; i < i1; i++)
        for (int j = j0 > i + 1 ? j0 : i + 1; j < j1; j++) c[(size_t)i * m + j] = c[(size_t)j * m + i];
    }
}

/*
 * C = A·Aᵀ by cblas_ssyrk (row-major, lower, α = 1, β = 0), A m×k, C m×m: the lower triangle
 * only, or with `full` the strict upper one mirrored from it as well; arguments checked as
 * `name` (the JavaScript function) takes them.
 */
static napi_value ssyrk_call(napi_env env, napi_callback_info info, const char *name, bool full) {
  napi_value argv[4];
  float *a, *c;
  size_t la, lc;
  int m, k;
  char usage[80];
  snprintf(usage, sizeof usage, "krs_blas: %s(a, c, m, k) takes 4 arguments", name);
  if (!get_args(env, info, 4, argv, usage)) return NULL;
  if (!float32_arg(env, argv[0], "a", &a, &la) || !float32_arg(env, argv[1], "c", &c, &lc)) return NULL;
  if (!dim_arg(env, argv[2], "m", &m) || !dim_arg(env, argv[3], "k", &k)) return NULL;
  if (!check_length(env, "a", la, m, k) || !check_length(env, "c", lc, m, m)) return NULL;
  if (m == 0) return NULL;
  if (k == 0) {
    for (int i = 0; i < m; i++) memset(c + (size_t)i * m, 0, (full ? (size_t)m : (size_t)i + 1) * sizeof(float));
    return NULL;
  }
  cblas_ssyrk(CblasRowMajor, CblasLower, CblasNoTrans, m, k, 1.0f, a, k, 0.0f, c, m);
  if (full) mirror_lower(c, m);
  return NULL;
}

/* ssyrkLower(a, c, m, k): the lower triangle of C = A·Aᵀ; the strict upper one is left as it was. */
static napi_value ssyrk_lower(napi_env env, napi_callback_info info) { return ssyrk_call(env, info, "ssyrkLower", false); }

/* ssyrkFull(a, c, m, k): all of C = A·Aᵀ (ssyrk's lower triangle, mirrored). */
static napi_value ssyrk_full(napi_env env, napi_callback_info info) { return ssyrk_call(env, info, "ssyrkFull", true); }

/*
 * adviseHugePages(array): madvise(MADV_HUGEPAGE) over the whole 2 MiB pages inside the
 * Float32Array's memory, so that pages not yet touched fault in as transparent huge pages where
 * the kernel allows them ("madvise" mode). Returns the bytes advised (0: too small, not Linux, or
 * refused — only ever a hint).
 */
static napi_value advise_huge_pages(napi_env env, napi_callback_info info) {
  napi_value argv[1], out;
  float *raw = NULL;
  size_t length;
  if (!get_args(env, info, 1, argv, "krs_blas: adviseHugePages(array) takes 1 argument")) return NULL;
  if (!float32_arg(env, argv[0], "array", &raw, &length)) return NULL;
  double advised = 0;
#ifdef MADV_HUGEPAGE
  const size_t huge = (size_t)2 << 20, bytes = length * sizeof(float);
  const uintptr_t start = ((uintptr_t)raw + huge - 1) & ~(uintptr_t)(huge - 1), end = ((uintptr_t)raw + bytes) & ~(uintptr_t)(huge - 1);
  if (raw && end > start && madvise((void *)start, end - start, MADV_HUGEPAGE) == 0) advised = (double)(end - start);
#endif
  napi_create_double(env, advised, &out);
  return out;
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

/*
 * OPENBLAS_THREAD_TIMEOUT as it was when this library was loaded — when OpenBLAS, loaded with it
 * as a dependency and initialised first, read it — or "" when unset (kept for config()).
 */
static char thread_timeout_at_load[32];
__attribute__((constructor)) static void record_thread_timeout(void) {
  const char *v = getenv("OPENBLAS_THREAD_TIMEOUT");
  snprintf(thread_timeout_at_load, sizeof thread_timeout_at_load, "%s", v ? v : "");
}

/* config(): { config: openblas_get_config(), core: openblas_get_corename(), threadTimeout: see above }. */
static napi_value get_config(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out, config, core, timeout;
  const char *cfg = openblas_get_config();
  const char *name = openblas_get_corename();
  napi_create_object(env, &out);
  napi_create_string_utf8(env, cfg ? cfg : "", NAPI_AUTO_LENGTH, &config);
  napi_create_string_utf8(env, name ? name : "", NAPI_AUTO_LENGTH, &core);
  napi_create_string_utf8(env, thread_timeout_at_load, NAPI_AUTO_LENGTH, &timeout);
  napi_set_named_property(env, out, "config", config);
  napi_set_named_property(env, out, "core", core);
  napi_set_named_property(env, out, "threadTimeout", timeout);
  return out;
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
#define MAX_THREADS 64
#define PART 8 /* doubles per item in panel_job.parts: 64 bytes */

typedef double v4d __attribute__((vector_size(32)));
typedef float v4f __attribute__((vector_size(16)));
typedef long long v4l __attribute__((vector_size(32)));

/* Four floats from p (any alignment) as four doubles. */
static inline __attribute__((always_inline)) v4d load4(const float *p) {
  v4f f;
  memcpy(&f, p, sizeof f);
  return __builtin_convertvector(f, v4d);
}

/* Four doubles from p (any alignment). */
static inline __attribute__((always_inline)) v4d loadd4(const double *p) {
  v4d d;
  memcpy(&d, p, sizeof d);
  return d;
}

/* Lane-wise |v|, and the larger of a and b (a when equal). */
static inline __attribute__((always_inline)) v4d abs4(v4d v) { return (v4d)((v4l)v & (v4l){INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX}); }
static inline __attribute__((always_inline)) v4d max4(v4d a, v4d b) {
  const v4l b_greater = b > a;
  return (v4d)(((v4l)b & b_greater) | ((v4l)a & ~b_greater));
}

/*
 * One row of a layer's panel: its sum and squares in double (four lanes at a time), split
 * at `split` (diagonal block before, both triangles after), and the values from `split` on
 * added to the column sums `col_sums` (row after row, so each column's additions keep row order).
 */
__attribute__((target_clones("avx2", "default"))) static void layer_row(const float *k, int split, int cols, double *col_sums, double *row_sum, double *in_diag,
                                                                       double *off) {
  v4d r = {0, 0, 0, 0}, d = {0, 0, 0, 0}, o = {0, 0, 0, 0};
  double r1 = 0, d1 = 0, o1 = 0;
  int c = 0;
  for (; c + 4 <= split; c += 4) {
    const v4d v = load4(k + c);
    r += v;
    d += v * v;
  }
  for (; c < split; c++) {
    const double v = k[c];
    r1 += v;
    d1 += v * v;
  }
  for (; c + 4 <= cols; c += 4) {
    const v4d v = load4(k + c);
    r += v;
    o += v * v;
    const v4d sum = loadd4(col_sums + c) + v;
    memcpy(col_sums + c, &sum, sizeof sum);
  }
  for (; c < cols; c++) {
    const double v = k[c];
    r1 += v;
    o1 += v * v;
    col_sums[c] += v;
  }
  *row_sum += ((r[0] + r[1]) + (r[2] + r[3])) + r1;
  *in_diag += ((d[0] + d[1]) + (d[2] + d[3])) + d1;
  *off += ((o[0] + o[1]) + (o[2] + o[3])) + o1;
}

/*
 * out[i·cols + j] = (float)(scale·(x[i·cols + j] − mean[j])) for `count` rows, the difference in
 * double (as the Gram pass's JavaScript centring does, so the same bits); returns the largest
 * |x − mean| (before scaling). Four lanes at a time.
 */
__attribute__((target_clones("avx2", "default"))) static double centre_rows(const float *x, const double *mean, float *out, size_t count, size_t cols, double scale) {
  v4d m = {0, 0, 0, 0};
  double m1 = 0;
  const v4d scale4 = {scale, scale, scale, scale};
  for (size_t i = 0; i < count; i++) {
    const float *row = x + i * cols;
    float *to = out + i * cols;
    size_t j = 0;
    for (; j + 4 <= cols; j += 4) {
      const v4d v = load4(row + j) - loadd4(mean + j);
      const v4f f = __builtin_convertvector(v * scale4, v4f);
      memcpy(to + j, &f, sizeof f);
      m = max4(m, abs4(v));
    }
    for (; j < cols; j++) {
      const double v = (double)row[j] - mean[j];
      to[j] = (float)(v * scale);
      const double a = v < 0 ? -v : v;
      m1 = a > m1 ? a : m1;
    }
  }
  const double m01 = m[0] > m[1] ? m[0] : m[1], m23 = m[2] > m[3] ? m[2] : m[3], m0123 = m01 > m23 ? m01 : m23;
  return m0123 > m1 ? m0123 : m1;
}

/* centreRows(rows, mean, out, scale): see centre_rows; rows and out count × mean.length float32, scale a power of two. */
static napi_value centre_rows_js(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  float *x, *out;
  double *mean, scale;
  size_t lx, lo, cols;
  if (!get_args(env, info, 4, argv, "krs_blas: centreRows(rows, mean, out, scale) takes 4 arguments")) return NULL;
  if (!float32_arg(env, argv[0], "rows", &x, &lx) || !float64_arg(env, argv[1], "mean", &mean, &cols) || !float32_arg(env, argv[2], "out", &out, &lo)) return NULL;
  if (napi_get_value_double(env, argv[3], &scale) != napi_ok || !(scale > 0) || scale == INFINITY) return fail(env, 'R', "krs_blas: scale must be a positive finite number");
  if (cols == 0 ? lx != 0 || lo != 0 : lx % cols != 0 || lo != lx) return fail(env, 'R', "krs_blas: rows and out must hold the same whole number of rows of mean.length values");
  napi_value result;
  napi_create_double(env, cols == 0 ? 0 : centre_rows(x, mean, out, lx / cols, cols, scale), &result);
  return result;
}

#define TILE_T 2 /* teacher panels per tile of pair sums */
#define TILE_S 4 /* student panels per tile */
/*
 * out[a·TILE_S + b] += Σ_{j<len} k[a][j]·l[b][j] for every a < TILE_T, b < TILE_S, in double
 * (each float32 product exact): the eight sums of a 2 × 4 tile of pairs at once, four lanes
 * each, the accumulators in registers — each value is loaded and widened once per tile, not
 * once per pair. The lanes are summed pairwise at the end, then the tail added.
 */
__attribute__((target_clones("avx2", "default"))) static void tile_dots(const float *const k[TILE_T], const float *const l[TILE_S], size_t len,
                                                                       double out[TILE_T * TILE_S]) {
  v4d acc[TILE_T * TILE_S];
  for (int u = 0; u < TILE_T * TILE_S; u++) acc[u] = (v4d){0, 0, 0, 0};
  size_t j = 0;
  for (; j + 4 <= len; j += 4) {
    const v4d a0 = load4(k[0] + j), a1 = load4(k[1] + j);
    const v4d b0 = load4(l[0] + j), b1 = load4(l[1] + j), b2 = load4(l[2] + j), b3 = load4(l[3] + j);
    acc[0] += a0 * b0;
    acc[1] += a0 * b1;
    acc[2] += a0 * b2;
    acc[3] += a0 * b3;
    acc[4] += a1 * b0;
    acc[5] += a1 * b1;
    acc[6] += a1 * b2;
    acc[7] += a1 * b3;
  }
  for (int u = 0; u < TILE_T * TILE_S; u++) out[u] += (acc[u][0] + acc[u][1]) + (acc[u][2] + acc[u][3]);
  for (; j < len; j++)
    for (int a = 0; a < TILE_T; a++)
      for (int b = 0; b < TILE_S; b++) out[a * TILE_S + b] += (double)k[a][j] * (double)l[b][j];
}

#define CHUNKS 8 /* row chunks of a panel, each summed on its own (so at most 8 useful threads) */

/* One round's panels and where their sums go (see panel_sums). */
typedef struct {
  float *grams[MAX_LAYERS];
  double *row_sums[MAX_LAYERS];
  int layers, teachers, rows, cols, split, row_start, col_start, threads;
  double *cross, *frob;
  /* Per chunk, per item q (layer l, then pair t·S + s at layers + t·S + s): the
     in-diagonal-block and off-block parts at parts[(chunk·slots + q)·PART], a cache line apart. */
  double *parts;
  size_t slots;
  /* Per chunk, per layer: the column sums of the chunk's rows (cols values each). */
  double *col_sums;
} panel_job;

typedef struct {
  panel_job *job;
  int index;
} panel_share;

/* Rows [*r0, *r1) of chunk c: the panel's rows cut into CHUNKS near-equal ranges. */
static void chunk_rows(const panel_job *job, int c, int *r0, int *r1) {
  *r0 = (int)((int64_t)job->rows * c / CHUNKS);
  *r1 = (int)((int64_t)job->rows * (c + 1) / CHUNKS);
}

/* Chunk c of the job: every item (layers, then tiles of 2 × 4 pairs), row by row (one row of every panel stays in cache for all its items). */
static void panel_chunk_run(const panel_job *job, int c) {
  const int L = job->layers, T = job->teachers, S = L - T;
  const int tiles_s = (S + TILE_S - 1) / TILE_S, items = L + ((T + TILE_T - 1) / TILE_T) * tiles_s;
  const size_t split = (size_t)job->split, rest = (size_t)(job->cols - job->split);
  double *parts = job->parts + (size_t)c * job->slots * PART, *col_sums = job->col_sums + (size_t)c * L * job->cols;
  int r0, r1;
  chunk_rows(job, c, &r0, &r1);
  for (int i = r0; i < r1; i++) {
    const size_t o = (size_t)i * job->cols;
    for (int q = 0; q < items; q++) {
      if (q < L) {
        double *part = parts + PART * (size_t)q;
        layer_row(job->grams[q] + o, job->split, job->cols, col_sums + (size_t)q * job->cols, job->row_sums[q] + job->row_start + i, part, part + 1);
        continue;
      }
      // A tile of pairs; past the last teacher or student it repeats the last one (sums discarded).
      const int t0 = (q - L) / tiles_s * TILE_T, s0 = (q - L) % tiles_s * TILE_S;
      const float *k[TILE_T], *l[TILE_S], *k_off[TILE_T], *l_off[TILE_S];
      for (int a = 0; a < TILE_T; a++) k_off[a] = (k[a] = job->grams[t0 + a < T ? t0 + a : T - 1] + o) + split;
      for (int b = 0; b < TILE_S; b++) l_off[b] = (l[b] = job->grams[T + (s0 + b < S ? s0 + b : S - 1)] + o) + split;
      double in_diag[TILE_T * TILE_S] = {0}, off[TILE_T * TILE_S] = {0};
      tile_dots(k, l, split, in_diag);
      tile_dots(k_off, l_off, rest, off);
      for (int a = 0; a < TILE_T && t0 + a < T; a++)
        for (int b = 0; b < TILE_S && s0 + b < S; b++) {
          double *part = parts + PART * ((size_t)L + (size_t)(t0 + a) * S + (size_t)(s0 + b));
          part[0] += in_diag[a * TILE_S + b];
          part[1] += off[a * TILE_S + b];
        }
    }
  }
}

/*
 * Share `index` of the job: the chunks c with c mod threads = index. Every chunk's sums are
 * kept apart and added up in chunk order afterwards (panel_sums), so they do not depend on
 * the thread count; each element of the panels is read by one thread only.
 */
static void *panel_share_run(void *arg) {
  const panel_share *share = arg;
  for (int c = share->index; c < CHUNKS; c += share->job->threads) panel_chunk_run(share->job, c);
  return NULL;
}

/*
 * panelSums(grams, teachers, rows, cols, split, rowStart, colStart, cross, frob, rowSums, threads):
 * the Gram pass's element-wise sums of one round, in double — for the panels K⁽ˡ⁾ = grams[l]
 * (rows × cols, row-major float32; the first `teachers` the teacher's), with columns before
 * `split` in the diagonal block (weight 1) and the rest standing for both triangles (weight 2):
 *   frob[l]               += Σᵢ (Σ_{j<split} K⁽ˡ⁾ᵢⱼ² + 2·Σ_{j≥split} K⁽ˡ⁾ᵢⱼ²)
 *   rowSums[l][rowStart+i] += Σⱼ K⁽ˡ⁾ᵢⱼ,   rowSums[l][colStart+j] += Σᵢ K⁽ˡ⁾ᵢⱼ for j ≥ split
 *   cross[t·S + s]        += Σᵢ (Σ_{j<split} K⁽ᵗ⁾ᵢⱼL⁽ˢ⁾ᵢⱼ + 2·Σ_{j≥split} …), L⁽ˢ⁾ = grams[teachers + s]
 * on `threads` threads (the calling one and threads − 1 more; the sums are the same for any count).
 */
static napi_value panel_sums(napi_env env, napi_callback_info info) {
  napi_value argv[11];
  panel_job job;
  size_t length;
  if (!get_args(env, info, 11, argv, "krs_blas: panelSums(grams, teachers, rows, cols, split, rowStart, colStart, cross, frob, rowSums, threads) takes 11 arguments"))
    return NULL;
  if (!dim_arg(env, argv[1], "teachers", &job.teachers) || !dim_arg(env, argv[2], "rows", &job.rows) || !dim_arg(env, argv[3], "cols", &job.cols) ||
      !dim_arg(env, argv[4], "split", &job.split) || !dim_arg(env, argv[5], "rowStart", &job.row_start) || !dim_arg(env, argv[6], "colStart", &job.col_start) ||
      !dim_arg(env, argv[10], "threads", &job.threads))
    return NULL;
  if (job.split > job.cols) return fail(env, 'R', "krs_blas: split must be ≤ cols");
  if (job.threads < 1 || job.threads > MAX_THREADS) return fail(env, 'R', "krs_blas: threads must be an integer in [1, 64]");
  job.layers = float32_list(env, argv[0], "grams", job.grams, MAX_LAYERS, job.rows, job.cols);
  if (job.layers < 0) return NULL;
  if (job.teachers > job.layers) return fail(env, 'R', "krs_blas: teachers must be ≤ grams.length");
  const int L = job.layers, T = job.teachers, S = L - T;
  if (!float64_arg(env, argv[7], "cross", &job.cross, &length)) return NULL;
  if (length != (size_t)T * (size_t)S) return fail(env, 'R', "krs_blas: cross must hold teachers × (grams.length − teachers) values");
  if (!float64_arg(env, argv[8], "frob", &job.frob, &length)) return NULL;
  if (length != (size_t)L) return fail(env, 'R', "krs_blas: frob must hold grams.length values");
  bool is_array = false;
  uint32_t count = 0;
  if (napi_is_array(env, argv[9], &is_array) != napi_ok || !is_array || napi_get_array_length(env, argv[9], &count) != napi_ok || count != (uint32_t)L)
    return fail(env, 'T', "krs_blas: rowSums must be an array of grams.length Float64Arrays");
  // Every row and column index written must lie inside its layer's row sums.
  const uint64_t row_end = (uint64_t)job.row_start + (uint64_t)job.rows, col_end = (uint64_t)job.col_start + (uint64_t)job.cols;
  const uint64_t need = row_end > col_end ? row_end : col_end;
  for (uint32_t l = 0; l < count; l++) {
    napi_value item;
    char name[64];
    snprintf(name, sizeof name, "rowSums[%u]", l);
    if (napi_get_element(env, argv[9], l, &item) != napi_ok || !float64_arg(env, item, name, &job.row_sums[l], &length)) return NULL;
    if ((uint64_t)length < need) {
      char msg[160];
      snprintf(msg, sizeof msg, "krs_blas: %s holds %llu values, the panel reaches index %llu", name, (unsigned long long)length, (unsigned long long)need - 1);
      return fail(env, 'R', msg);
    }
  }
  job.slots = (size_t)L + (size_t)T * S;
  const size_t part_bytes = CHUNKS * job.slots * PART * sizeof(double), col_values = (size_t)CHUNKS * L * job.cols;
  job.parts = aligned_alloc(64, part_bytes + 64);
  job.col_sums = calloc(col_values + 1, sizeof(double));
  if (!job.parts || !job.col_sums) {
    free(job.parts);
    free(job.col_sums);
    return fail(env, 'E', "krs_blas: panelSums: out of memory");
  }
  memset(job.parts, 0, part_bytes + 64);
  if (job.threads > CHUNKS) job.threads = CHUNKS;
  panel_share shares[MAX_THREADS];
  pthread_t ids[MAX_THREADS];
  bool started[MAX_THREADS] = {false};
  for (int k = 0; k < job.threads; k++) shares[k] = (panel_share){&job, k};
  for (int k = 1; k < job.threads; k++) started[k] = pthread_create(&ids[k], NULL, panel_share_run, &shares[k]) == 0;
  panel_share_run(&shares[0]);
  // A thread that could not start: its share on this one (the same sums, later).
  for (int k = 1; k < job.threads; k++)
    if (started[k]) pthread_join(ids[k], NULL);
    else panel_share_run(&shares[k]);
  // The chunks' sums, added in chunk order.
  for (size_t q = 0; q < job.slots; q++) {
    double in_diag = 0, off = 0;
    for (int c = 0; c < CHUNKS; c++) {
      in_diag += job.parts[(c * job.slots + q) * PART];
      off += job.parts[(c * job.slots + q) * PART + 1];
    }
    if (q < (size_t)L) job.frob[q] += in_diag + 2 * off;
    else job.cross[q - L] += in_diag + 2 * off;
  }
  for (int l = 0; l < L; l++)
    for (int j = job.split; j < job.cols; j++) {
      double sum = 0;
      for (int c = 0; c < CHUNKS; c++) sum += job.col_sums[((size_t)c * L + l) * job.cols + j];
      job.row_sums[l][job.col_start + j] += sum;
    }
  free(job.parts);
  free(job.col_sums);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"sgemmNT", NULL, sgemm_nt, NULL, NULL, NULL, napi_enumerable, NULL},
      {"ssyrkLower", NULL, ssyrk_lower, NULL, NULL, NULL, napi_enumerable, NULL},
      {"ssyrkFull", NULL, ssyrk_full, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setThreads", NULL, set_threads, NULL, NULL, NULL, napi_enumerable, NULL},
      {"threads", NULL, get_threads, NULL, NULL, NULL, napi_enumerable, NULL},
      {"config", NULL, get_config, NULL, NULL, NULL, napi_enumerable, NULL},
      {"panelSums", NULL, panel_sums, NULL, NULL, NULL, napi_enumerable, NULL},
      {"centreRows", NULL, centre_rows_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"adviseHugePages", NULL, advise_huge_pages, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
