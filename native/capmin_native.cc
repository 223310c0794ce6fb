// capmin native kernels (N-API): single-precision GEMM through OpenBLAS's cblas_sgemm, the thread-count
// control, and the trainer's memory-bound kernels (im2col/col2im, maxpool, BatchNorm, Adam). Loaded by src/train/native.ts from build/Release/capmin_native.node;
// when it is missing capmin uses the TypeScript kernels in src/train/gemm.ts with the same results
// up to float rounding.
#include <napi.h>
#include <cblas.h>
#include <cstdint>
#include <cmath>
#include <string>
#include <vector>

extern "C" {
// Provided by OpenBLAS (declared in its cblas.h too on most builds; redeclared weakly for others).
void openblas_set_num_threads(int num_threads) __attribute__((weak));
int openblas_get_num_threads(void) __attribute__((weak));
char* openblas_get_config(void) __attribute__((weak));
}

// BNN engine kernels (native/bnn_engine.cc).
void RegisterBnn(Napi::Env env, Napi::Object exports);

namespace {

float* F32(const Napi::Env& env, const Napi::Value& v, const char* name, size_t& len) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    Napi::TypeError::New(env, std::string(name) + " must be a Float32Array").ThrowAsJavaScriptException();
    return nullptr;
  }
  Napi::Float32Array a = v.As<Napi::Float32Array>();
  len = a.ElementLength();
  return a.Data();
}

int64_t I(const Napi::Value& v) { return v.As<Napi::Number>().Int64Value(); }

// sgemm(transA, transB, M, N, K, alpha, A, offA, lda, B, offB, ldb, beta, C, offC, ldc)
// Row-major C[M,N] = alpha * op(A)[M,K] * op(B)[K,N] + beta * C.
Napi::Value Sgemm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 16) {
    Napi::TypeError::New(env, "sgemm expects 16 arguments").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const bool ta = info[0].ToBoolean().Value();
  const bool tb = info[1].ToBoolean().Value();
  const int64_t M = I(info[2]), N = I(info[3]), K = I(info[4]);
  const float alpha = static_cast<float>(info[5].As<Napi::Number>().DoubleValue());
  size_t la = 0, lb = 0, lc = 0;
  float* A = F32(env, info[6], "A", la);
  if (!A) return env.Undefined();
  const int64_t offA = I(info[7]), lda = I(info[8]);
  float* B = F32(env, info[9], "B", lb);
  if (!B) return env.Undefined();
  const int64_t offB = I(info[10]), ldb = I(info[11]);
  const float beta = static_cast<float>(info[12].As<Napi::Number>().DoubleValue());
  float* C = F32(env, info[13], "C", lc);
  if (!C) return env.Undefined();
  const int64_t offC = I(info[14]), ldc = I(info[15]);
  if (M < 0 || N < 0 || K < 0 || offA < 0 || offB < 0 || offC < 0) {
    Napi::RangeError::New(env, "sgemm: negative size or offset").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (M == 0 || N == 0) return env.Undefined();
  // Bounds: last element touched by each operand.
  const int64_t aRows = ta ? K : M, aCols = ta ? M : K;
  const int64_t bRows = tb ? N : K, bCols = tb ? K : N;
  auto fits = [](int64_t off, int64_t rows, int64_t cols, int64_t ld, size_t len) {
    if (rows == 0 || cols == 0) return true;
    if (ld < cols) return false;
    return off + (rows - 1) * ld + cols <= static_cast<int64_t>(len);
  };
  if (!fits(offA, aRows, aCols, lda, la) || !fits(offB, bRows, bCols, ldb, lb) || !fits(offC, M, N, ldc, lc)) {
    Napi::RangeError::New(env, "sgemm: operand out of bounds (check sizes, offsets and leading dimensions)")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, static_cast<int>(M),
              static_cast<int>(N), static_cast<int>(K), alpha, A + offA, static_cast<int>(lda), B + offB,
              static_cast<int>(ldb), beta, C + offC, static_cast<int>(ldc));
  return env.Undefined();
}

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  if (openblas_set_num_threads && info.Length() > 0) openblas_set_num_threads(static_cast<int>(I(info[0])));
  return info.Env().Undefined();
}

Napi::Value GetThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), openblas_get_num_threads ? openblas_get_num_threads() : 0);
}

Napi::Value Config(const Napi::CallbackInfo& info) {
  const char* c = openblas_get_config ? openblas_get_config() : "cblas";
  return Napi::String::New(info.Env(), c ? c : "cblas");
}


// ---- memory-bound training kernels: bit-identical ports of src/train/kernels.ts (same operation order,
// float64 accumulators where the TypeScript uses JS numbers, float32 stores, no FMA contraction) ----

template <typename T>
T* Arr(const Napi::Env& env, const Napi::Value& v, napi_typedarray_type type, const char* name, size_t need) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != type) {
    Napi::TypeError::New(env, std::string(name) + ": wrong typed-array type").ThrowAsJavaScriptException();
    return nullptr;
  }
  Napi::TypedArray a = v.As<Napi::TypedArray>();
  if (a.ElementLength() < need) {
    Napi::RangeError::New(env, std::string(name) + ": typed array too short").ThrowAsJavaScriptException();
    return nullptr;
  }
  return reinterpret_cast<T*>(static_cast<uint8_t*>(a.ArrayBuffer().Data()) + a.ByteOffset());
}
#define F32ARG(i, name, need) Arr<float>(env, info[i], napi_float32_array, name, need)
#define F64ARG(i, name, need) Arr<double>(env, info[i], napi_float64_array, name, need)
#define U8ARG(i, name, need) Arr<uint8_t>(env, info[i], napi_uint8_array, name, need)

// im2colNhwc(a, B, H, W, C, out): 3x3 pad 1 stride 1, rows = output pixels, K ordered (kh, kw, c)
Napi::Value Im2colNhwc(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int64_t B = I(info[1]), H = I(info[2]), W = I(info[3]), C = I(info[4]);
  const size_t n = static_cast<size_t>(B * H * W * C);
  float* a = F32ARG(0, "a", n);
  float* out = a ? F32ARG(5, "out", n * 9) : nullptr;
  if (!out) return env.Undefined();
  const int64_t K = 9 * C;
  for (int64_t b = 0; b < B; b++)
    for (int64_t y = 0; y < H; y++)
      for (int64_t x = 0; x < W; x++) {
        float* row = out + ((b * H + y) * W + x) * K;
        for (int64_t kh = 0; kh < 3; kh++) {
          const int64_t yy = y + kh - 1;
          for (int64_t kw = 0; kw < 3; kw++) {
            const int64_t xx = x + kw - 1;
            float* o = row + (kh * 3 + kw) * C;
            if (yy < 0 || yy >= H || xx < 0 || xx >= W) {
              for (int64_t c = 0; c < C; c++) o[c] = 0.0f;
            } else {
              const float* src = a + ((b * H + yy) * W + xx) * C;
              for (int64_t c = 0; c < C; c++) o[c] = src[c];
            }
          }
        }
      }
  return env.Undefined();
}

// col2imNhwc(g, B, H, W, C, out): adjoint of im2colNhwc (out is zeroed first)
Napi::Value Col2imNhwc(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int64_t B = I(info[1]), H = I(info[2]), W = I(info[3]), C = I(info[4]);
  const size_t n = static_cast<size_t>(B * H * W * C);
  float* g = F32ARG(0, "g", n * 9);
  float* out = g ? F32ARG(5, "out", n) : nullptr;
  if (!out) return env.Undefined();
  const int64_t K = 9 * C;
  for (size_t i = 0; i < n; i++) out[i] = 0.0f;
  for (int64_t b = 0; b < B; b++)
    for (int64_t y = 0; y < H; y++)
      for (int64_t x = 0; x < W; x++) {
        const float* row = g + ((b * H + y) * W + x) * K;
        for (int64_t kh = 0; kh < 3; kh++) {
          const int64_t yy = y + kh - 1;
          if (yy < 0 || yy >= H) continue;
          for (int64_t kw = 0; kw < 3; kw++) {
            const int64_t xx = x + kw - 1;
            if (xx < 0 || xx >= W) continue;
            const float* o = row + (kh * 3 + kw) * C;
            float* d = out + ((b * H + yy) * W + xx) * C;
            for (int64_t c = 0; c < C; c++) d[c] += o[c];
          }
        }
      }
  return env.Undefined();
}

// maxpool2(src, dst, arg, B, H, W, C): 2x2 max pooling on NHWC, first maximum wins, arg = 0..3
Napi::Value Maxpool2(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int64_t B = I(info[3]), H = I(info[4]), W = I(info[5]), C = I(info[6]);
  const int64_t Ho = H >> 1, Wo = W >> 1;
  float* src = F32ARG(0, "src", static_cast<size_t>(B * H * W * C));
  float* dst = src ? F32ARG(1, "dst", static_cast<size_t>(B * Ho * Wo * C)) : nullptr;
  uint8_t* arg = dst ? U8ARG(2, "arg", static_cast<size_t>(B * Ho * Wo * C)) : nullptr;
  if (!arg) return env.Undefined();
  for (int64_t b = 0; b < B; b++)
    for (int64_t oy = 0; oy < Ho; oy++)
      for (int64_t ox = 0; ox < Wo; ox++) {
        const float* r0 = src + ((b * H + 2 * oy) * W + 2 * ox) * C;
        const float* r1 = r0 + C;
        const float* r2 = r0 + W * C;
        const float* r3 = r2 + C;
        const int64_t o = ((b * Ho + oy) * Wo + ox) * C;
        for (int64_t c = 0; c < C; c++) {
          float m = r0[c];
          uint8_t a = 0;
          if (r1[c] > m) { m = r1[c]; a = 1; }
          if (r2[c] > m) { m = r2[c]; a = 2; }
          if (r3[c] > m) { m = r3[c]; a = 3; }
          dst[o + c] = m;
          arg[o + c] = a;
        }
      }
  return env.Undefined();
}

// maxpool2Backward(gOut, arg, gIn, B, H, W, C)
Napi::Value Maxpool2Backward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int64_t B = I(info[3]), H = I(info[4]), W = I(info[5]), C = I(info[6]);
  const int64_t Ho = H >> 1, Wo = W >> 1;
  float* gOut = F32ARG(0, "gOut", static_cast<size_t>(B * Ho * Wo * C));
  uint8_t* arg = gOut ? U8ARG(1, "arg", static_cast<size_t>(B * Ho * Wo * C)) : nullptr;
  float* gIn = arg ? F32ARG(2, "gIn", static_cast<size_t>(B * H * W * C)) : nullptr;
  if (!gIn) return env.Undefined();
  const size_t n = static_cast<size_t>(B * H * W * C);
  for (size_t i = 0; i < n; i++) gIn[i] = 0.0f;
  for (int64_t b = 0; b < B; b++)
    for (int64_t oy = 0; oy < Ho; oy++)
      for (int64_t ox = 0; ox < Wo; ox++) {
        const int64_t r0 = ((b * H + 2 * oy) * W + 2 * ox) * C;
        const int64_t o = ((b * Ho + oy) * Wo + ox) * C;
        for (int64_t c = 0; c < C; c++) {
          const int a = arg[o + c];
          gIn[r0 + (a & 1) * C + (a >> 1) * W * C + c] = gOut[o + c];
        }
      }
  return env.Undefined();
}

// bnTrain(x, rows, C, gamma, beta, runMean, runVar, invStd, xh, z, momentum, eps)
Napi::Value BnTrain(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int64_t rows = I(info[1]), C = I(info[2]);
  const size_t n = static_cast<size_t>(rows * C), c_ = static_cast<size_t>(C);
  float* x = F32ARG(0, "x", n);
  float* gamma = x ? F32ARG(3, "gamma", c_) : nullptr;
  float* beta = gamma ? F32ARG(4, "beta", c_) : nullptr;
  float* runMean = beta ? F32ARG(5, "runMean", c_) : nullptr;
  float* runVar = runMean ? F32ARG(6, "runVar", c_) : nullptr;
  double* invStd = runVar ? F64ARG(7, "invStd", c_) : nullptr;
  float* xh = invStd ? F32ARG(8, "xh", n) : nullptr;
  float* z = xh ? F32ARG(9, "z", n) : nullptr;
  if (!z) return env.Undefined();
  const double mom = info[10].As<Napi::Number>().DoubleValue();
  const double eps = info[11].As<Napi::Number>().DoubleValue();
  std::vector<double> mean(c_, 0.0), sq(c_, 0.0), g(c_), bt(c_);
  for (int64_t r = 0; r < rows; r++) {
    const float* xr = x + r * C;
    for (int64_t c = 0; c < C; c++) mean[c] += xr[c];
  }
  for (int64_t c = 0; c < C; c++) mean[c] /= static_cast<double>(rows);
  for (int64_t r = 0; r < rows; r++) {
    const float* xr = x + r * C;
    for (int64_t c = 0; c < C; c++) {
      const double d = static_cast<double>(xr[c]) - mean[c];
      sq[c] += d * d;
    }
  }
  for (int64_t c = 0; c < C; c++) {
    const double v = sq[c] / static_cast<double>(rows);
    invStd[c] = 1.0 / std::sqrt(v + eps);
    g[c] = gamma[c];
    bt[c] = beta[c];
    runMean[c] = static_cast<float>((1.0 - mom) * static_cast<double>(runMean[c]) + mom * mean[c]);
    runVar[c] = static_cast<float>((1.0 - mom) * static_cast<double>(runVar[c]) + mom * (rows > 1 ? sq[c] / static_cast<double>(rows - 1) : v));
  }
  for (int64_t r = 0; r < rows; r++) {
    const int64_t o = r * C;
    for (int64_t c = 0; c < C; c++) {
      const double h = (static_cast<double>(x[o + c]) - mean[c]) * invStd[c];
      xh[o + c] = static_cast<float>(h);
      z[o + c] = static_cast<float>(g[c] * h + bt[c]);
    }
  }
  return env.Undefined();
}

// bnBackward(gAct, z, xh, rows, C, gamma, invStd, gGamma, gBeta, gx): STE mask |z| <= 1, then BN backward
Napi::Value BnBackward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int64_t rows = I(info[3]), C = I(info[4]);
  const size_t n = static_cast<size_t>(rows * C), c_ = static_cast<size_t>(C);
  float* gAct = F32ARG(0, "gAct", n);
  float* z = gAct ? F32ARG(1, "z", n) : nullptr;
  float* xh = z ? F32ARG(2, "xh", n) : nullptr;
  float* gamma = xh ? F32ARG(5, "gamma", c_) : nullptr;
  double* invStd = gamma ? F64ARG(6, "invStd", c_) : nullptr;
  float* gGamma = invStd ? F32ARG(7, "gGamma", c_) : nullptr;
  float* gBeta = gGamma ? F32ARG(8, "gBeta", c_) : nullptr;
  float* gx = gBeta ? F32ARG(9, "gx", n) : nullptr;
  if (!gx) return env.Undefined();
  std::vector<double> dg(c_, 0.0), db(c_, 0.0), k(c_);
  for (int64_t r = 0; r < rows; r++) {
    const int64_t o = r * C;
    for (int64_t c = 0; c < C; c++) {
      const float zz = z[o + c];
      const float d = (zz <= 1.0f && zz >= -1.0f) ? gAct[o + c] : 0.0f;
      gx[o + c] = d;
      dg[c] += static_cast<double>(d) * static_cast<double>(xh[o + c]);
      db[c] += d;
    }
  }
  for (int64_t c = 0; c < C; c++) {
    gGamma[c] = static_cast<float>(dg[c]);
    gBeta[c] = static_cast<float>(db[c]);
    k[c] = (static_cast<double>(gamma[c]) * invStd[c]) / static_cast<double>(rows);
  }
  const double R = static_cast<double>(rows);
  for (int64_t r = 0; r < rows; r++) {
    const int64_t o = r * C;
    for (int64_t c = 0; c < C; c++)
      gx[o + c] = static_cast<float>(k[c] * (R * static_cast<double>(gx[o + c]) - db[c] - static_cast<double>(xh[o + c]) * dg[c]));
  }
  return env.Undefined();
}

// adam(p, g, m, v, b1, b2, stepSize, bc2, eps)
Napi::Value AdamUpdate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray()) return env.Undefined();
  const size_t n = info[0].As<Napi::TypedArray>().ElementLength();
  float* p = F32ARG(0, "p", n);
  float* g = p ? F32ARG(1, "g", n) : nullptr;
  float* m = g ? F32ARG(2, "m", n) : nullptr;
  float* v = m ? F32ARG(3, "v", n) : nullptr;
  if (!v) return env.Undefined();
  const double b1 = info[4].As<Napi::Number>().DoubleValue();
  const double b2 = info[5].As<Napi::Number>().DoubleValue();
  const double stepSize = info[6].As<Napi::Number>().DoubleValue();
  const double bc2 = info[7].As<Napi::Number>().DoubleValue();
  const double eps = info[8].As<Napi::Number>().DoubleValue();
  const double c1 = 1.0 - b1, c2 = 1.0 - b2;
  for (size_t i = 0; i < n; i++) {
    const double gi = g[i];
    const double mi = b1 * static_cast<double>(m[i]) + c1 * gi;
    const double vi = b2 * static_cast<double>(v[i]) + c2 * gi * gi;
    m[i] = static_cast<float>(mi);
    v[i] = static_cast<float>(vi);
    p[i] = static_cast<float>(static_cast<double>(p[i]) - (stepSize * mi) / (std::sqrt(vi) / bc2 + eps));
  }
  return env.Undefined();
}

// signInto(src, dst): dst = +1 where src > 0 else -1
Napi::Value SignInto(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray()) return env.Undefined();
  const size_t n = info[0].As<Napi::TypedArray>().ElementLength();
  float* src = F32ARG(0, "src", n);
  float* dst = src ? F32ARG(1, "dst", n) : nullptr;
  if (!dst) return env.Undefined();
  for (size_t i = 0; i < n; i++) dst[i] = src[i] > 0.0f ? 1.0f : -1.0f;
  return env.Undefined();
}

// steMask(w, g): g = 0 where |w| > 1 (gradient of hardtanh on the latent weights)
Napi::Value SteMask(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray()) return env.Undefined();
  const size_t n = info[0].As<Napi::TypedArray>().ElementLength();
  float* w = F32ARG(0, "w", n);
  float* g = w ? F32ARG(1, "g", n) : nullptr;
  if (!g) return env.Undefined();
  for (size_t i = 0; i < n; i++)
    if (w[i] > 1.0f || w[i] < -1.0f) g[i] = 0.0f;
  return env.Undefined();
}

// pooledWeightGrad(gPool, arg, p, B, H, W, C, K, gw): weight gradient of a conv followed by 2x2 maxpool,
// straight from the pooled gradient (the unpooled one is zero except at the winners):
// gw[co*K + k] = sum over pooled rows r (in order) of gPool[r*C + co] * p[winner(r, co)*K + k]  (float64 sums)
Napi::Value PooledWeightGrad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int64_t B = I(info[3]), H = I(info[4]), W = I(info[5]), C = I(info[6]), K = I(info[7]);
  const int64_t Ho = H >> 1, Wo = W >> 1;
  float* gPool = F32ARG(0, "gPool", static_cast<size_t>(B * Ho * Wo * C));
  uint8_t* arg = gPool ? U8ARG(1, "arg", static_cast<size_t>(B * Ho * Wo * C)) : nullptr;
  float* p = arg ? F32ARG(2, "p", static_cast<size_t>(B * H * W * K)) : nullptr;
  float* gw = p ? F32ARG(8, "gw", static_cast<size_t>(C * K)) : nullptr;
  if (!gw) return env.Undefined();
  std::vector<double> acc(static_cast<size_t>(C * K), 0.0);
  for (int64_t b = 0; b < B; b++)
    for (int64_t oy = 0; oy < Ho; oy++)
      for (int64_t ox = 0; ox < Wo; ox++) {
        const int64_t pix0 = (b * H + 2 * oy) * W + 2 * ox;
        const int64_t o = ((b * Ho + oy) * Wo + ox) * C;
        for (int64_t co = 0; co < C; co++) {
          const double g = gPool[o + co];
          if (g == 0.0) continue;
          const int a = arg[o + co];
          const float* pr = p + (pix0 + (a & 1) + (a >> 1) * W) * K;
          double* ac = acc.data() + co * K;
          for (int64_t k = 0; k < K; k++) ac[k] += g * static_cast<double>(pr[k]);
        }
      }
  for (int64_t i = 0; i < C * K; i++) gw[i] = static_cast<float>(acc[i]);
  return env.Undefined();
}

// dgemm(transA, transB, M, N, K, alpha, A, offA, lda, B, offB, ldb, beta, C, offC, ldc) on Float64Arrays
// (row-major cblas_dgemm; the trainer's exact float64 first-layer evaluation).
Napi::Value Dgemm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 16) {
    Napi::TypeError::New(env, "dgemm expects 16 arguments").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const bool ta = info[0].ToBoolean().Value();
  const bool tb = info[1].ToBoolean().Value();
  const int64_t M = I(info[2]), N = I(info[3]), K = I(info[4]);
  const double alpha = info[5].As<Napi::Number>().DoubleValue();
  const int64_t offA = I(info[7]), lda = I(info[8]), offB = I(info[10]), ldb = I(info[11]), offC = I(info[14]), ldc = I(info[15]);
  const double beta = info[12].As<Napi::Number>().DoubleValue();
  if (M <= 0 || N <= 0 || K < 0 || offA < 0 || offB < 0 || offC < 0) return env.Undefined();
  const int64_t aRows = ta ? K : M, aCols = ta ? M : K, bRows = tb ? N : K, bCols = tb ? K : N;
  if (lda < aCols || ldb < bCols || ldc < N) {
    Napi::RangeError::New(env, "dgemm: leading dimension too small").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  double* A = Arr<double>(env, info[6], napi_float64_array, "A", static_cast<size_t>(offA + (aRows > 0 ? (aRows - 1) * lda + aCols : 0)));
  double* B = A ? Arr<double>(env, info[9], napi_float64_array, "B", static_cast<size_t>(offB + (bRows > 0 ? (bRows - 1) * ldb + bCols : 0))) : nullptr;
  double* C = B ? Arr<double>(env, info[13], napi_float64_array, "C", static_cast<size_t>(offC + (M - 1) * ldc + N)) : nullptr;
  if (!C) return env.Undefined();
  cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, static_cast<int>(M), static_cast<int>(N),
              static_cast<int>(K), alpha, A + offA, static_cast<int>(lda), B + offB, static_cast<int>(ldb), beta, C + offC, static_cast<int>(ldc));
  return env.Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  RegisterBnn(env, exports);
  exports.Set("sgemm", Napi::Function::New(env, Sgemm, "sgemm"));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads, "setThreads"));
  exports.Set("getThreads", Napi::Function::New(env, GetThreads, "getThreads"));
  exports.Set("config", Napi::Function::New(env, Config, "config"));
  exports.Set("im2colNhwc", Napi::Function::New(env, Im2colNhwc, "im2colNhwc"));
  exports.Set("col2imNhwc", Napi::Function::New(env, Col2imNhwc, "col2imNhwc"));
  exports.Set("maxpool2", Napi::Function::New(env, Maxpool2, "maxpool2"));
  exports.Set("maxpool2Backward", Napi::Function::New(env, Maxpool2Backward, "maxpool2Backward"));
  exports.Set("bnTrain", Napi::Function::New(env, BnTrain, "bnTrain"));
  exports.Set("bnBackward", Napi::Function::New(env, BnBackward, "bnBackward"));
  exports.Set("adam", Napi::Function::New(env, AdamUpdate, "adam"));
  exports.Set("dgemm", Napi::Function::New(env, Dgemm, "dgemm"));
  exports.Set("signInto", Napi::Function::New(env, SignInto, "signInto"));
  exports.Set("steMask", Napi::Function::New(env, SteMask, "steMask"));
  exports.Set("pooledWeightGrad", Napi::Function::New(env, PooledWeightGrad, "pooledWeightGrad"));
  return exports;
}

}  // namespace

NODE_API_MODULE(capmin_native, Init)
