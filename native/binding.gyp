# The optional OpenBLAS addon of krs (src/runtime/blas-backend.ts), built only by
# `npm run build:native` (scripts/build-native.mjs). It lives in native/, not at the package
# root, so that npm never runs node-gyp on its own during `npm ci` / `npm install`.
{
  "targets": [
    {
      "target_name": "krs_blas",
      "sources": ["krs_blas.c"],
      "cflags": ["-O3", "-std=c11", "-Wall", "-Wextra", "-Wno-psabi"],
      "libraries": ["-lopenblas"]
    }
  ]
}
