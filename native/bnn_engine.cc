// capmin BNN engine in native code: the whole forward pass of a compiled model (first layer in float64,
// bit-packing / im2col of the ±1 activations, XNOR + popcount per 32-cell chunk with the active-cell mask,
// clipping, P_map draws, maxpool, BatchNorm, sign), over images on native threads.
// Semantics are those of src/bnn/engine.ts (docs/bnn.md); P_map draws come from Philox4x32-10 addressed by
// (seed, run, image, layer, chunk) exactly as in src/bnn/philox.ts, so the TypeScript path, every SIMD path and
// every thread count give the same reads. Kernels: AVX-512 VPOPCNTDQ (16 chunks per instruction), AVX2
// (nibble-table popcount, 8 chunks), scalar; chosen at run time with __builtin_cpu_supports or forced.
#include <napi.h>
#include <immintrin.h>
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace {

enum OpType { CONV1 = 0, LIN1 = 1, ACONV = 2, ALIN = 3, POOL = 4, BN = 5, SIGN = 6, ADD = 7, SCALE = 8 };
enum Mode { EXACT = 0, CLIP = 1, LUT = 2, SAMPLE = 3, HIST = 4 };
enum Path { SCALAR = 0, AVX2 = 1, AVX512 = 2 };

struct Stage {
  int layer = 0, P = 0, O = 0, Op = 0, Ob = 0, nC = 0, a = 32, inF = 0, srcSize = 0;
  std::vector<int32_t> gidx;   // conv: P·nC·a source index per cell, srcSize = inactive (reads a zero)
  std::vector<uint32_t> M;     // P·nC active-cell masks
  std::vector<int32_t> nAct;   // P
  std::vector<uint32_t> Wb;    // blocks of 64 neurons: Wb[(vb·nC + j)·64 + l], zero beyond O
};

struct NOp {
  int type = 0, src = 0, dst = 0, b = 0;
  int cin = 0, cout = 0, k = 0, stride = 1, pad = 0, inH = 0, inW = 0, outH = 0, outW = 0, c = 0, hw = 0, size = 0;
  double s = 1;
  std::vector<double> w;                      // first layer ±1 weights as doubles
  std::vector<int32_t> pat;                   // first 3×3 conv: weight pattern per (o, c, ky)
  std::vector<double> mean, sd, gamma, beta;  // bn
  int range = 0, fuse = -1;                   // bn: |integer input| ≤ range (0: real input); sign fused into slot
  bool skip = false;                          // a sign fused into the preceding bn
  std::vector<int32_t> thrI;                  // bn on integers: sign(BN(x)) = (x < thrI) ? v0 : −v0
  std::vector<double> v0;
  std::unique_ptr<Stage> st;
};

struct Scratch;
void freeScratch(Scratch* s);

struct Model {
  // scratch of single-threaded calls (one image at a time from Engine.forward), reused across calls
  mutable Scratch* cached = nullptr;
  mutable int cachedK = 0;
  mutable std::atomic<bool> busy{false};
  ~Model() { freeScratch(cached); }
  std::vector<int> slotSize;
  std::vector<NOp> ops;
  int outSlot = 0, inSize = 0, nLayers = 0, a = 32, maxX = 0, maxOp = 0, maxPlane = 0, maxRows = 0;
};

struct Tables {
  int mode = EXACT, K = 33, lo = 0, hi = 32;
  const int32_t* lut = nullptr;
  const uint32_t* table = nullptr;  // 64-slot alias tables per raw level: (threshold26 << 6) | alias
  uint32_t k0 = 0, k1 = 0, run = 0, image = 0;
};

struct Scratch {
  std::vector<std::vector<double>> slots;
  std::vector<uint32_t> X;
  std::vector<int32_t> plane, acc;
  std::vector<double> rows, padded;
  alignas(64) uint32_t rnd[64];
  alignas(64) int32_t lev[64];
  int64_t group = -1;
  int32_t* levOut = nullptr;  // read level of every chunk c (tests)
  std::vector<double> hist;   // nLayers·K
  std::vector<uint32_t> hl;  // level counts of the current layer (see foldHist)
};

void freeScratch(Scratch* s) { delete s; }

// ---------- Philox4x32-10 ----------
constexpr uint32_t PM0 = 0xD2511F53u, PM1 = 0xCD9E8D57u, PW0 = 0x9E3779B9u, PW1 = 0xBB67AE85u;

inline void philoxScalar(uint32_t c[4], uint32_t k0, uint32_t k1) {
  for (int r = 0; r < 10; r++) {
    if (r) { k0 += PW0; k1 += PW1; }
    const uint64_t p0 = (uint64_t)PM0 * c[0], p1 = (uint64_t)PM1 * c[2];
    const uint32_t n0 = (uint32_t)(p1 >> 32) ^ c[1] ^ k0, n2 = (uint32_t)(p0 >> 32) ^ c[3] ^ k1;
    c[0] = n0; c[1] = (uint32_t)p1; c[2] = n2; c[3] = (uint32_t)p0;
  }
}

// 64 words of chunk group g: out[16w + i] = word w of call (16g + i, layer, image, run)
void groupScalar(int64_t g, uint32_t layer, const Tables& t, uint32_t* out) {
  for (int i = 0; i < 16; i++) {
    uint32_t c[4] = {(uint32_t)(g * 16 + i), layer, t.image, t.run};
    philoxScalar(c, t.k0, t.k1);
    for (int w = 0; w < 4; w++) out[16 * w + i] = c[w];
  }
}

#define T512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vpopcntdq")))
#define T256 __attribute__((target("avx2,popcnt")))

// 16 calls as two registers of 8 64-bit lanes: the 32-bit state word sits in the low half of each lane, so
// VPMULUDQ gives lo (low half, the high half is ignored by the next multiply) and hi (one shift) directly
T512 void group512(int64_t g, uint32_t layer, const Tables& t, uint32_t* out) {
  const __m512i base = _mm512_set1_epi64((long long)(uint32_t)(g * 16));
  __m512i a0 = _mm512_add_epi64(base, _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7));
  __m512i b0 = _mm512_add_epi64(base, _mm512_setr_epi64(8, 9, 10, 11, 12, 13, 14, 15));
  __m512i a1 = _mm512_set1_epi64(layer), b1 = a1;
  __m512i a2 = _mm512_set1_epi64(t.image), b2 = a2;
  __m512i a3 = _mm512_set1_epi64(t.run), b3 = a3;
  const __m512i m0 = _mm512_set1_epi64(PM0), m1 = _mm512_set1_epi64(PM1);
  uint32_t k0 = t.k0, k1 = t.k1;
  for (int r = 0; r < 10; r++) {
    if (r) { k0 += PW0; k1 += PW1; }
    const __m512i vk0 = _mm512_set1_epi64(k0), vk1 = _mm512_set1_epi64(k1);
    const __m512i pa0 = _mm512_mul_epu32(a0, m0), pa1 = _mm512_mul_epu32(a2, m1);
    const __m512i pb0 = _mm512_mul_epu32(b0, m0), pb1 = _mm512_mul_epu32(b2, m1);
    a0 = _mm512_ternarylogic_epi64(_mm512_srli_epi64(pa1, 32), a1, vk0, 0x96);
    b0 = _mm512_ternarylogic_epi64(_mm512_srli_epi64(pb1, 32), b1, vk0, 0x96);
    a2 = _mm512_ternarylogic_epi64(_mm512_srli_epi64(pa0, 32), a3, vk1, 0x96);
    b2 = _mm512_ternarylogic_epi64(_mm512_srli_epi64(pb0, 32), b3, vk1, 0x96);
    a1 = pa1; b1 = pb1; a3 = pa0; b3 = pb0;
  }
  const __m512i lows = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  _mm512_store_si512(out, _mm512_permutex2var_epi32(a0, lows, b0));
  _mm512_store_si512(out + 16, _mm512_permutex2var_epi32(a1, lows, b1));
  _mm512_store_si512(out + 32, _mm512_permutex2var_epi32(a2, lows, b2));
  _mm512_store_si512(out + 48, _mm512_permutex2var_epi32(a3, lows, b3));
}

// low dwords of 4 registers of 4 64-bit lanes = 16 words in call order
T256 inline void pack256(const __m256i* v, uint32_t* o) {
  const __m256i lows = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
  for (int h = 0; h < 2; h++) {
    const __m256i a = _mm256_permutevar8x32_epi32(v[2 * h], lows), b = _mm256_permutevar8x32_epi32(v[2 * h + 1], lows);
    _mm256_storeu_si256((__m256i*)(o + 8 * h), _mm256_permute2x128_si256(a, b, 0x20));
  }
}

// as group512: 16 calls in four registers of 4 64-bit lanes, the state word in the low half of each lane
T256 void group256(int64_t g, uint32_t layer, const Tables& t, uint32_t* out) {
  const __m256i base = _mm256_set1_epi64x((long long)(uint32_t)(g * 16));
  __m256i c0[4], c1[4], c2[4], c3[4];
  for (int q = 0; q < 4; q++) {
    c0[q] = _mm256_add_epi64(base, _mm256_setr_epi64x(4 * q, 4 * q + 1, 4 * q + 2, 4 * q + 3));
    c1[q] = _mm256_set1_epi64x(layer);
    c2[q] = _mm256_set1_epi64x(t.image);
    c3[q] = _mm256_set1_epi64x(t.run);
  }
  const __m256i m0 = _mm256_set1_epi64x(PM0), m1 = _mm256_set1_epi64x(PM1);
  uint32_t k0 = t.k0, k1 = t.k1;
  for (int r = 0; r < 10; r++) {
    if (r) { k0 += PW0; k1 += PW1; }
    const __m256i vk0 = _mm256_set1_epi64x(k0), vk1 = _mm256_set1_epi64x(k1);
    for (int q = 0; q < 4; q++) {
      const __m256i p0 = _mm256_mul_epu32(c0[q], m0), p1 = _mm256_mul_epu32(c2[q], m1);
      c0[q] = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(p1, 32), c1[q]), vk0);
      c2[q] = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(p0, 32), c3[q]), vk1);
      c1[q] = p1;
      c3[q] = p0;
    }
  }
  pack256(c0, out);
  pack256(c1, out + 16);
  pack256(c2, out + 32);
  pack256(c3, out + 48);
}

// random words of chunks c .. c+lanes-1 (c a multiple of the lane count, inside one group of 64)
template <int P>
inline const uint32_t* randAt(Scratch& s, int64_t c, uint32_t layer, const Tables& t) {
  const int64_t g = c >> 6;
  if (g != s.group) {
    if constexpr (P == AVX512) group512(g, layer, t, s.rnd);
    else if constexpr (P == AVX2) group256(g, layer, t, s.rnd);
    else groupScalar(g, layer, t, s.rnd);
    s.group = g;
  }
  return s.rnd + (c & 63);
}

inline uint32_t pop32(uint32_t v) {
  v = v - ((v >> 1) & 0x55555555u);
  v = (v & 0x33333333u) + ((v >> 2) & 0x33333333u);
  return (((v + (v >> 4)) & 0x0F0F0F0Fu) * 0x01010101u) >> 24;
}

// u: slot = u >> 26, kept when its low 26 bits < the slot's threshold, else the slot's alias
inline int drawScalar(const Tables& t, int m, uint32_t u) {
  const int col = (int)(u >> 26);
  const uint32_t e = t.table[(m << 6) | col];
  return (u & 0x03FFFFFFu) < (e >> 6) ? col : (int)(e & 63);
}

// ---------- array-layer kernels: one position p, all neurons ----------
// acc[o] = Σ_j read level of chunk (p, j, o); hist (HIST mode) counts the levels.

template <int MODE>
void kernelScalar(const Stage& st, int p, const uint32_t* X, Scratch& s, const Tables& t, uint32_t* __restrict hist) {
  const int nC = st.nC, Op = st.Op, O = st.O;
  int32_t* acc = s.acc.data();
  for (int o = 0; o < Op; o++) acc[o] = 0;
  const uint32_t* Mp = st.M.data() + (size_t)p * nC;
  for (int vb = 0; vb * 64 < Op; vb++) {
    const int lanes = std::min(64, Op - vb * 64);
    for (int j = 0; j < nC; j++) {
      const uint32_t x = X[j], mk = Mp[j];
      const uint32_t* w = st.Wb.data() + ((size_t)vb * nC + j) * 64;
      const int64_t cbase = ((int64_t)p * nC + j) * Op + vb * 64;
      for (int l = 0; l < lanes; l++) {
        int m = (int)pop32((x ^ w[l]) & mk);
        if constexpr (MODE == CLIP) m = m < t.lo ? t.lo : m > t.hi ? t.hi : m;
        else if constexpr (MODE == LUT) m = t.lut[m];
        else if constexpr (MODE == SAMPLE) {
          const uint32_t* r = randAt<SCALAR>(s, cbase + (l & ~15), (uint32_t)st.layer, t);
          m = drawScalar(t, m, r[l & 15]);
        } else if constexpr (MODE == HIST) {
          if (vb * 64 + l < O) hist[4 * t.K * t.K + m]++;
        }
        if (s.levOut) s.levOut[cbase + l] = m;
        acc[vb * 64 + l] += m;
      }
    }
  }
}

T256 inline __m256i popcnt256(__m256i v) {
  const __m256i lut = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
  const __m256i low = _mm256_set1_epi8(0x0f);
  const __m256i cnt = _mm256_add_epi8(_mm256_shuffle_epi8(lut, _mm256_and_si256(v, low)),
                                      _mm256_shuffle_epi8(lut, _mm256_and_si256(_mm256_srli_epi16(v, 4), low)));
  return _mm256_madd_epi16(_mm256_maddubs_epi16(cnt, _mm256_set1_epi8(1)), _mm256_set1_epi16(1));
}

template <int MODE>
T256 void kernel256(const Stage& st, int p, const uint32_t* X, Scratch& s, const Tables& t, uint32_t* __restrict hist) {
  const int nC = st.nC, Op = st.Op, O = st.O;
  const uint32_t* Mp = st.M.data() + (size_t)p * nC;
  const __m256i lo = _mm256_set1_epi32(t.lo), hi = _mm256_set1_epi32(t.hi), Kv = _mm256_set1_epi32(t.K);
  const int KK = t.K * t.K;
  const __m256i sgn = _mm256_set1_epi32((int)0x80000000u), m63 = _mm256_set1_epi32(63);
  for (int vb = 0; vb * 64 < Op; vb++) {
    const int nv = std::min(64, Op - vb * 64) / 8;
    __m256i acc[8];
    for (int v = 0; v < 8; v++) acc[v] = _mm256_setzero_si256();
    for (int j = 0; j < nC; j++) {
      const __m256i bx = _mm256_set1_epi32((int)X[j]), bm = _mm256_set1_epi32((int)Mp[j]);
      const uint32_t* w = st.Wb.data() + ((size_t)vb * nC + j) * 64;
      const int64_t cbase = ((int64_t)p * nC + j) * Op + vb * 64;
      for (int v = 0; v < nv; v++) {
        const __m256i wv = _mm256_loadu_si256((const __m256i*)(w + 8 * v));
        __m256i m = popcnt256(_mm256_and_si256(_mm256_xor_si256(bx, wv), bm));
        if constexpr (MODE == CLIP) m = _mm256_min_epi32(_mm256_max_epi32(m, lo), hi);
        else if constexpr (MODE == LUT) m = _mm256_i32gather_epi32(t.lut, m, 4);
        else if constexpr (MODE == SAMPLE) {
          const __m256i u = _mm256_loadu_si256((const __m256i*)randAt<AVX2>(s, cbase + 8 * v, (uint32_t)st.layer, t));
          const __m256i col = _mm256_srli_epi32(u, 26);
          const __m256i e = _mm256_i32gather_epi32((const int*)t.table, _mm256_or_si256(_mm256_slli_epi32(m, 6), col), 4);
          const __m256i al = _mm256_and_si256(e, m63);
          const __m256i keep = _mm256_cmpgt_epi32(_mm256_xor_si256(_mm256_andnot_si256(m63, e), sgn), _mm256_xor_si256(_mm256_slli_epi32(u, 6), sgn));
          m = _mm256_blendv_epi8(al, col, keep);
        } else if constexpr (MODE == HIST) {
          const int n = std::min(8, O - vb * 64 - 8 * v);
          if (n == 8) {  // one count per pair of chunks: index m_even·K + m_odd
            _mm256_store_si256((__m256i*)s.lev, _mm256_add_epi32(_mm256_mullo_epi32(m, Kv), _mm256_srli_epi64(m, 32)));
            for (int l = 0; l < 4; l++) hist[l * KK + s.lev[2 * l]]++;
          } else {
            _mm256_store_si256((__m256i*)s.lev, m);
            for (int l = 0; l < n; l++) hist[4 * KK + s.lev[l]]++;
          }
        }
        if (s.levOut) _mm256_storeu_si256((__m256i*)(s.levOut + cbase + 8 * v), m);
        acc[v] = _mm256_add_epi32(acc[v], m);
      }
    }
    for (int v = 0; v < nv; v++) _mm256_storeu_si256((__m256i*)(s.acc.data() + vb * 64 + 8 * v), acc[v]);
  }
}

template <int MODE>
T512 void kernel512(const Stage& st, int p, const uint32_t* X, Scratch& s, const Tables& t, uint32_t* __restrict hist) {
  const int nC = st.nC, Op = st.Op, O = st.O;
  const uint32_t* Mp = st.M.data() + (size_t)p * nC;
  const __m512i lo = _mm512_set1_epi32(t.lo), hi = _mm512_set1_epi32(t.hi), Kv = _mm512_set1_epi32(t.K);
  const int KK = t.K * t.K;
  const __m512i m63 = _mm512_set1_epi32(63);
  for (int vb = 0; vb * 64 < Op; vb++) {
    const int nv = std::min(64, Op - vb * 64) / 16;
    __m512i acc0 = _mm512_setzero_si512(), acc1 = acc0, acc2 = acc0, acc3 = acc0;
    for (int j = 0; j < nC; j++) {
      const __m512i bx = _mm512_set1_epi32((int)X[j]), bm = _mm512_set1_epi32((int)Mp[j]);
      const uint32_t* w = st.Wb.data() + ((size_t)vb * nC + j) * 64;
      const int64_t cbase = ((int64_t)p * nC + j) * Op + vb * 64;
      for (int v = 0; v < nv; v++) {
        // (x XOR w) AND mask in one instruction, then 16 chunk popcounts in one
        __m512i m = _mm512_popcnt_epi32(_mm512_ternarylogic_epi32(bx, _mm512_loadu_si512(w + 16 * v), bm, 0x28));
        if constexpr (MODE == CLIP) m = _mm512_min_epi32(_mm512_max_epi32(m, lo), hi);
        else if constexpr (MODE == LUT) m = _mm512_i32gather_epi32(m, t.lut, 4);
        else if constexpr (MODE == SAMPLE) {
          const __m512i u = _mm512_loadu_si512(randAt<AVX512>(s, cbase + 16 * v, (uint32_t)st.layer, t));
          const __m512i col = _mm512_srli_epi32(u, 26);
          const __m512i e = _mm512_i32gather_epi32(_mm512_or_si512(_mm512_slli_epi32(m, 6), col), (const int*)t.table, 4);
          m = _mm512_mask_blend_epi32(_mm512_cmplt_epu32_mask(_mm512_slli_epi32(u, 6), _mm512_andnot_si512(m63, e)), _mm512_and_si512(e, m63), col);
        } else if constexpr (MODE == HIST) {
          const int n = std::min(16, O - vb * 64 - 16 * v);
          if (n == 16) {  // one count per pair of chunks: index m_even·K + m_odd
            _mm512_store_si512(s.lev, _mm512_add_epi32(_mm512_mullo_epi32(m, Kv), _mm512_srli_epi64(m, 32)));
            hist[s.lev[0]]++;
            hist[KK + s.lev[2]]++;
            hist[2 * KK + s.lev[4]]++;
            hist[3 * KK + s.lev[6]]++;
            hist[s.lev[8]]++;
            hist[KK + s.lev[10]]++;
            hist[2 * KK + s.lev[12]]++;
            hist[3 * KK + s.lev[14]]++;
          } else {
            _mm512_store_si512(s.lev, m);
            for (int l = 0; l < n; l++) hist[4 * KK + s.lev[l]]++;
          }
        }
        if (s.levOut) _mm512_storeu_si512(s.levOut + cbase + 16 * v, m);
        if (v == 0) acc0 = _mm512_add_epi32(acc0, m);
        else if (v == 1) acc1 = _mm512_add_epi32(acc1, m);
        else if (v == 2) acc2 = _mm512_add_epi32(acc2, m);
        else acc3 = _mm512_add_epi32(acc3, m);
      }
    }
    int32_t* a = s.acc.data() + vb * 64;
    _mm512_storeu_si512(a, acc0);
    if (nv > 1) _mm512_storeu_si512(a + 16, acc1);
    if (nv > 2) _mm512_storeu_si512(a + 32, acc2);
    if (nv > 3) _mm512_storeu_si512(a + 48, acc3);
  }
}

using KernelFn = void (*)(const Stage&, int, const uint32_t*, Scratch&, const Tables&, uint32_t*);

template <int P>
KernelFn pick(int mode) {
  switch (mode) {
    case CLIP: return P == AVX512 ? kernel512<CLIP> : P == AVX2 ? kernel256<CLIP> : kernelScalar<CLIP>;
    case LUT: return P == AVX512 ? kernel512<LUT> : P == AVX2 ? kernel256<LUT> : kernelScalar<LUT>;
    case SAMPLE: return P == AVX512 ? kernel512<SAMPLE> : P == AVX2 ? kernel256<SAMPLE> : kernelScalar<SAMPLE>;
    case HIST: return P == AVX512 ? kernel512<HIST> : P == AVX2 ? kernel256<HIST> : kernelScalar<HIST>;
    default: return P == AVX512 ? kernel512<EXACT> : P == AVX2 ? kernel256<EXACT> : kernelScalar<EXACT>;
  }
}

KernelFn kernelFor(int path, int mode) {
  return path == AVX512 ? pick<AVX512>(mode) : path == AVX2 ? pick<AVX2>(mode) : pick<SCALAR>(mode);
}

// ---------- packing (im2col of ±1 activations into chunk words) ----------

void packConvScalar(const Stage& st, const int32_t* plane, uint32_t* X) {
  const int a = st.a;
  const size_t n = (size_t)st.P * st.nC;
  const int32_t* g = st.gidx.data();
  for (size_t wI = 0; wI < n; wI++, g += a) {
    uint32_t word = 0;
    for (int b = 0; b < a; b++) word |= (uint32_t)plane[g[b]] << b;
    X[wI] = word;
  }
}

T512 void packConv512(const Stage& st, const int32_t* plane, uint32_t* X) {
  const size_t n = (size_t)st.P * st.nC;
  const int32_t* g = st.gidx.data();
  for (size_t wI = 0; wI < n; wI++, g += 32) {
    const __m512i v0 = _mm512_i32gather_epi32(_mm512_loadu_si512(g), plane, 4);
    const __m512i v1 = _mm512_i32gather_epi32(_mm512_loadu_si512(g + 16), plane, 4);
    X[wI] = (uint32_t)_mm512_test_epi32_mask(v0, v0) | ((uint32_t)_mm512_test_epi32_mask(v1, v1) << 16);
  }
}

T256 void packConv256(const Stage& st, const int32_t* plane, uint32_t* X) {
  const size_t n = (size_t)st.P * st.nC;
  const int32_t* g = st.gidx.data();
  const __m256i zero = _mm256_setzero_si256();
  for (size_t wI = 0; wI < n; wI++, g += 32) {
    uint32_t word = 0;
    for (int q = 0; q < 4; q++) {
      const __m256i v = _mm256_i32gather_epi32(plane, _mm256_loadu_si256((const __m256i*)(g + 8 * q)), 4);
      const int bits = _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpgt_epi32(v, zero)));
      word |= (uint32_t)bits << (8 * q);
    }
    X[wI] = word;
  }
}

// ---------- the forward pass ----------

#define CLONES __attribute__((target_clones("avx512f", "avx2", "default")))

inline void addRow(double* __restrict d, const double* __restrict r, int n) {
  for (int i = 0; i < n; i++) d[i] += r[i];
}

CLONES void pool2(const double* __restrict x, double* __restrict d, int c, int inH, int inW, int outH, int outW) {
  for (int ch = 0; ch < c; ch++)
    for (int oy = 0; oy < outH; oy++) {
      const double* r0 = x + ((size_t)ch * inH + 2 * oy) * inW;
      const double* r1 = r0 + inW;
      double* o = d + ((size_t)ch * outH + oy) * outW;
      for (int ox = 0; ox < outW; ox++) {
        const double x0 = r0[2 * ox], x1 = r0[2 * ox + 1], x2 = r1[2 * ox], x3 = r1[2 * ox + 1];
        const double m01 = x0 > x1 ? x0 : x1, m23 = x2 > x3 ? x2 : x3;
        o[ox] = m01 > m23 ? m01 : m23;
      }
    }
}

// BN in float64 (exactly the TypeScript expression), optionally straight into the sign
CLONES void bnReal(const double* __restrict x, double* __restrict d, int n, double mu, double sd, double g, double b, bool sign) {
  if (sign)
    for (int i = 0; i < n; i++) d[i] = ((x[i] - mu) / sd) * g + b > 0 ? 1.0 : -1.0;
  else
    for (int i = 0; i < n; i++) d[i] = ((x[i] - mu) / sd) * g + b;
}

CLONES void bnInt(const double* __restrict x, double* __restrict d, int n, double t, double v0) {
  for (int i = 0; i < n; i++) d[i] = x[i] < t ? v0 : -v0;
}

CLONES void signInto(const double* __restrict x, double* __restrict d, int n) {
  for (int i = 0; i < n; i++) d[i] = x[i] > 0 ? 1.0 : -1.0;
}

CLONES void conv1(const NOp& op, const double* src, double* dst, Scratch& s) {
  const int Hp = op.inH + 2 * op.pad, Wp = op.inW + 2 * op.pad, P = op.outH * op.outW, k = op.k;
  double* padded = s.padded.data();
  std::fill(padded, padded + (size_t)op.cin * Hp * Wp, 0.0);
  for (int c = 0; c < op.cin; c++)
    for (int y = 0; y < op.inH; y++)
      std::memcpy(padded + ((size_t)c * Hp + y + op.pad) * Wp + op.pad, src + ((size_t)c * op.inH + y) * op.inW, sizeof(double) * op.inW);
  if (k == 3) {
    // R[((c·Hp + yp)·8 + pattern)·outW + ox] = (w0·x0 + w1·x1) + w2·x2 for the 8 sign patterns (exact sharing)
    double* R = s.rows.data();
    for (int c = 0; c < op.cin; c++)
      for (int yp = 0; yp < Hp; yp++) {
        const double* pr = padded + ((size_t)c * Hp + yp) * Wp;
        double* rb = R + ((size_t)c * Hp + yp) * 8 * op.outW;
        for (int pat = 0; pat < 8; pat++) {
          const double w0 = pat & 4 ? 1.0 : -1.0, w1 = pat & 2 ? 1.0 : -1.0, w2 = pat & 1 ? 1.0 : -1.0;
          double* row = rb + pat * op.outW;
          for (int ox = 0; ox < op.outW; ox++) {
            const double* x = pr + ox * op.stride;
            row[ox] = (w0 * x[0] + w1 * x[1]) + w2 * x[2];
          }
        }
      }
    for (int o = 0; o < op.cout; o++)
      for (int oy = 0; oy < op.outH; oy++) {
        double* d = dst + (size_t)o * P + (size_t)oy * op.outW;
        for (int ox = 0; ox < op.outW; ox++) d[ox] = 0.0;
        for (int c = 0; c < op.cin; c++)
          for (int ky = 0; ky < 3; ky++) {
            const int pat = op.pat[((size_t)o * op.cin + c) * 3 + ky];
            addRow(d, R + (((size_t)c * Hp + oy * op.stride + ky) * 8 + pat) * op.outW, op.outW);
          }
      }
    return;
  }
  for (int o = 0; o < op.cout; o++)
    for (int oy = 0; oy < op.outH; oy++)
      for (int ox = 0; ox < op.outW; ox++) {
        double sum = 0;
        for (int c = 0; c < op.cin; c++)
          for (int ky = 0; ky < k; ky++) {
            const double* x = padded + ((size_t)c * Hp + oy * op.stride + ky) * Wp + ox * op.stride;
            const double* w = op.w.data() + (((size_t)o * op.cin + c) * k + ky) * k;
            double r = w[0] * x[0];
            for (int kx = 1; kx < k; kx++) r = r + w[kx] * x[kx];
            sum += r;
          }
        dst[(size_t)o * P + (size_t)oy * op.outW + ox] = sum;
      }
}

CLONES void toPlane(const double* __restrict src, int32_t* __restrict plane, int n) {
  for (int i = 0; i < n; i++) plane[i] = src[i] > 0 ? 1 : 0;
}

void packLinearScalar(const Stage& st, const double* src, uint32_t* X, int from) {
  for (int j = from; j < st.nC; j++) {
    const int base = j * st.a, len = std::min(st.a, st.inF - base);
    uint32_t word = 0;
    for (int b = 0; b < len; b++) word |= (uint32_t)(src[base + b] > 0) << b;
    X[j] = word;
  }
}

T512 void packLinear512(const Stage& st, const double* src, uint32_t* X) {
  const int full = st.inF / 32;
  const __m512d zero = _mm512_setzero_pd();
  for (int j = 0; j < full; j++) {
    const double* x = src + 32 * j;
    uint32_t w = 0;
    for (int q = 0; q < 4; q++) w |= (uint32_t)_mm512_cmp_pd_mask(_mm512_loadu_pd(x + 8 * q), zero, _CMP_GT_OQ) << (8 * q);
    X[j] = w;
  }
  packLinearScalar(st, src, X, full);
}

CLONES void writeOut(const Stage& st, int p, const int32_t* __restrict acc, double* __restrict dst) {
  const int na = st.nAct[p], P = st.P;
  for (int o = 0; o < st.O; o++) dst[(size_t)o * P + p] = (double)(na - 2 * acc[o]);
}

// hl: 4 pair histograms (K·K: a pair of chunk levels m1·K + m2) and a single-level histogram (K)
void foldHist(std::vector<uint32_t>& hl, double* hist, int K) {
  for (int q = 0; q < 4; q++)
    for (int m1 = 0; m1 < K; m1++)
      for (int m2 = 0; m2 < K; m2++) {
        uint32_t& c = hl[((size_t)q * K + m1) * K + m2];
        hist[m1] += c;
        hist[m2] += c;
        c = 0;
      }
  for (int m = 0; m < K; m++) {
    hist[m] += hl[(size_t)4 * K * K + m];
    hl[(size_t)4 * K * K + m] = 0;
  }
}

struct Runner {
  const Model& m;
  Tables t;
  int path;
  KernelFn kern;

  void arrayLayer(const NOp& op, Scratch& s, double* hist) {
    const Stage& st = *op.st;
    const double* src = s.slots[op.src].data();
    double* dst = s.slots[op.dst].data();
    uint32_t* X = s.X.data();
    if (op.type == ACONV) {
      int32_t* plane = s.plane.data();
      toPlane(src, plane, st.srcSize);
      plane[st.srcSize] = 0;
      if (st.a == 32 && path == AVX512) packConv512(st, plane, X);
      else if (st.a == 32 && path == AVX2) packConv256(st, plane, X);
      else packConvScalar(st, plane, X);
    } else if (st.a == 32 && path == AVX512) {
      packLinear512(st, src, X);
    } else {
      packLinearScalar(st, src, X, 0);
    }
    s.group = -1;
    uint32_t* hl = hist ? s.hl.data() : nullptr;
    for (int p = 0; p < st.P; p++) {
      kern(st, p, X + (size_t)p * st.nC, s, t, hl);
      writeOut(st, p, s.acc.data(), dst);
    }
    if (hist) foldHist(s.hl, hist + (size_t)st.layer * t.K, t.K);
  }

  // returns the predicted class; logits copied out when asked
  int forward(const float* img, Scratch& s, double* hist, double* logits) {
    double* s0 = s.slots[0].data();
    for (int i = 0; i < m.inSize; i++) s0[i] = img[i];
    for (const NOp& op : m.ops) {
      switch (op.type) {
        case CONV1: conv1(op, s.slots[op.src].data(), s.slots[op.dst].data(), s); break;
        case LIN1: {
          const double* x = s.slots[op.src].data();
          double* d = s.slots[op.dst].data();
          for (int o = 0; o < op.cout; o++) {
            double sum = 0;
            const double* w = op.w.data() + (size_t)o * op.cin;
            for (int i = 0; i < op.cin; i++) sum += w[i] > 0 ? x[i] : -x[i];
            d[o] = sum;
          }
          break;
        }
        case ACONV: case ALIN: arrayLayer(op, s, hist); break;
        case POOL: {
          const double* x = s.slots[op.src].data();
          double* d = s.slots[op.dst].data();
          const int k = op.k;
          if (k == 2) {
            pool2(x, d, op.c, op.inH, op.inW, op.outH, op.outW);
            break;
          }
          for (int c = 0; c < op.c; c++)
            for (int oy = 0; oy < op.outH; oy++)
              for (int ox = 0; ox < op.outW; ox++) {
                double mx = -__builtin_inf();
                for (int dy = 0; dy < k; dy++) {
                  const double* row = x + ((size_t)c * op.inH + oy * k + dy) * op.inW + ox * k;
                  for (int dx = 0; dx < k; dx++) mx = row[dx] > mx ? row[dx] : mx;
                }
                d[((size_t)c * op.outH + oy) * op.outW + ox] = mx;
              }
          break;
        }
        case BN: {
          const double* x = s.slots[op.src].data();
          double* d = s.slots[op.fuse >= 0 ? op.fuse : op.dst].data();
          for (int c = 0; c < op.c; c++) {
            const size_t o = (size_t)c * op.hw;
            if (op.fuse >= 0 && op.range > 0) bnInt(x + o, d + o, op.hw, (double)op.thrI[c], op.v0[c]);
            else bnReal(x + o, d + o, op.hw, op.mean[c], op.sd[c], op.gamma[c], op.beta[c], op.fuse >= 0);
          }
          break;
        }
        case SIGN: {
          if (op.skip) break;
          const double* x = s.slots[op.src].data();
          double* d = s.slots[op.dst].data();
          signInto(x, d, op.size);
          break;
        }
        case ADD: {
          const double* x = s.slots[op.src].data();
          const double* y = s.slots[op.b].data();
          double* d = s.slots[op.dst].data();
          for (int i = 0; i < op.size; i++) d[i] = x[i] + y[i];
          break;
        }
        case SCALE: {
          const double* x = s.slots[op.src].data();
          double* d = s.slots[op.dst].data();
          for (int i = 0; i < op.size; i++) d[i] = x[i] * op.s;
          break;
        }
      }
    }
    const std::vector<double>& out = s.slots[m.outSlot];
    int best = 0;
    for (size_t i = 1; i < out.size(); i++) if (out[i] > out[best]) best = (int)i;
    if (logits) std::memcpy(logits, out.data(), sizeof(double) * out.size());
    return best;
  }
};

void initScratch(const Model& m, Scratch& s, int K) {
  s.slots.resize(m.slotSize.size());
  for (size_t i = 0; i < m.slotSize.size(); i++) s.slots[i].assign(m.slotSize[i], 0.0);
  s.X.assign(m.maxX + 16, 0);
  s.plane.assign(m.maxPlane + 1, 0);
  s.acc.assign(m.maxOp + 64, 0);
  s.padded.assign(m.maxRows, 0.0);
  s.rows.assign(m.maxRows * 8, 0.0);
  s.hist.assign((size_t)m.nLayers * K, 0.0);
  s.hl.assign((size_t)4 * K * K + K, 0);
}


// ---------- N-API ----------

int getInt(const Napi::Object& o, const char* k) { return o.Has(k) ? o.Get(k).As<Napi::Number>().Int32Value() : 0; }

template <typename T>
std::vector<T> getArr(const Napi::Object& o, const char* k) {
  std::vector<T> v;
  if (!o.Has(k) || !o.Get(k).IsTypedArray()) return v;
  Napi::TypedArray ta = o.Get(k).As<Napi::TypedArray>();
  const size_t n = ta.ElementLength();
  v.resize(n);
  const uint8_t* base = static_cast<const uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
  switch (ta.TypedArrayType()) {
    case napi_int8_array: for (size_t i = 0; i < n; i++) v[i] = (T)((const int8_t*)base)[i]; break;
    case napi_int32_array: for (size_t i = 0; i < n; i++) v[i] = (T)((const int32_t*)base)[i]; break;
    case napi_uint32_array: for (size_t i = 0; i < n; i++) v[i] = (T)((const uint32_t*)base)[i]; break;
    case napi_float64_array: for (size_t i = 0; i < n; i++) v[i] = (T)((const double*)base)[i]; break;
    default: v.clear();
  }
  return v;
}

int cpuPath() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vpopcntdq"))
    return AVX512;
  if (__builtin_cpu_supports("avx2")) return AVX2;
  return SCALAR;
}

// bnnModel(spec) → External<Model>
Napi::Value BnnModel(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object spec = info[0].As<Napi::Object>();
  auto* m = new Model();
  m->outSlot = getInt(spec, "outSlot");
  m->a = getInt(spec, "a");
  m->slotSize = getArr<int>(spec, "slotSize");
  m->inSize = m->slotSize.empty() ? 0 : m->slotSize[0];
  Napi::Array ops = spec.Get("ops").As<Napi::Array>();
  for (uint32_t i = 0; i < ops.Length(); i++) {
    Napi::Object o = ops.Get(i).As<Napi::Object>();
    NOp op;
    op.type = getInt(o, "type");
    op.src = getInt(o, "src"); op.dst = getInt(o, "dst"); op.b = getInt(o, "b");
    op.cin = getInt(o, "cin"); op.cout = getInt(o, "cout"); op.k = getInt(o, "k"); op.stride = getInt(o, "stride");
    op.pad = getInt(o, "pad"); op.inH = getInt(o, "inH"); op.inW = getInt(o, "inW"); op.outH = getInt(o, "outH");
    op.outW = getInt(o, "outW"); op.c = getInt(o, "c"); op.hw = getInt(o, "hw"); op.size = getInt(o, "size");
    if (o.Has("s")) op.s = o.Get("s").As<Napi::Number>().DoubleValue();
    op.w = getArr<double>(o, "weight");
    op.mean = getArr<double>(o, "mean"); op.sd = getArr<double>(o, "sd");
    op.gamma = getArr<double>(o, "gamma"); op.beta = getArr<double>(o, "beta");
    if (op.type == BN) {
      op.range = getInt(o, "range");
      op.fuse = o.Has("fuse") ? getInt(o, "fuse") : -1;
      if (op.fuse >= 0 && op.range > 0) {
        // sign(BN(x)) is monotone in x (every rounded step is): find where it flips among the integers ±(range+1)
        op.thrI.resize(op.c);
        op.v0.resize(op.c);
        for (int c = 0; c < op.c; c++) {
          const double mu = op.mean[c], sd = op.sd[c], g = op.gamma[c], b = op.beta[c];
          auto f = [&](int x) { return ((x - mu) / sd) * g + b > 0; };
          int lo = -op.range - 1, hi = op.range + 1;
          const bool f0 = f(lo);
          op.v0[c] = f0 ? 1.0 : -1.0;
          if (f(hi) == f0) { op.thrI[c] = hi + 1; continue; }
          while (hi - lo > 1) {  // f(lo) = f0, f(hi) != f0
            const int mid = lo + (hi - lo) / 2;
            (f(mid) == f0 ? lo : hi) = mid;
          }
          op.thrI[c] = hi;
        }
      }
    }
    if (op.type == SIGN && !m->ops.empty()) {
      const NOp& prev = m->ops.back();
      if (prev.type == BN && prev.fuse == op.dst && prev.dst == op.src) op.skip = true;
    }
    if (op.type == CONV1) {
      const int Hp = op.inH + 2 * op.pad, Wp = op.inW + 2 * op.pad;
      m->maxRows = std::max(m->maxRows, op.cin * Hp * std::max(Wp, op.outW));
      if (op.k == 3) {
        op.pat.resize((size_t)op.cout * op.cin * 3);
        for (int oc = 0; oc < op.cout; oc++)
          for (int c = 0; c < op.cin; c++)
            for (int ky = 0; ky < 3; ky++) {
              const double* w = op.w.data() + (((size_t)oc * op.cin + c) * 3 + ky) * 3;
              op.pat[((size_t)oc * op.cin + c) * 3 + ky] = (w[0] > 0 ? 4 : 0) + (w[1] > 0 ? 2 : 0) + (w[2] > 0 ? 1 : 0);
            }
      }
    }
    if (op.type == ACONV || op.type == ALIN) {
      auto st = std::make_unique<Stage>();
      st->layer = getInt(o, "layer"); st->P = getInt(o, "P"); st->O = getInt(o, "O"); st->nC = getInt(o, "nC");
      st->a = m->a; st->inF = getInt(o, "inF"); st->srcSize = getInt(o, "srcSize");
      st->Op = (st->O + 15) / 16 * 16;
      st->Ob = (st->O + 63) / 64 * 64;
      st->M = getArr<uint32_t>(o, "M");
      st->nAct = getArr<int32_t>(o, "nAct");
      if (op.type == ACONV) {
        st->gidx = getArr<int32_t>(o, "gidx");
        for (auto& g : st->gidx) if (g < 0) g = st->srcSize;
        m->maxPlane = std::max(m->maxPlane, st->srcSize);
      }
      const std::vector<uint32_t> W = getArr<uint32_t>(o, "W");  // row-major [O][nC]
      st->Wb.assign((size_t)st->Ob * st->nC, 0);
      for (int oc = 0; oc < st->O; oc++)
        for (int j = 0; j < st->nC; j++) st->Wb[((size_t)(oc / 64) * st->nC + j) * 64 + (oc % 64)] = W[(size_t)oc * st->nC + j];
      if ((int)st->M.size() != st->P * st->nC || (int)st->nAct.size() != st->P || (int)W.size() != st->O * st->nC ||
          (op.type == ACONV && (int)st->gidx.size() != st->P * st->nC * st->a)) {
        delete m;
        Napi::RangeError::New(env, "bnnModel: inconsistent array-layer tables").ThrowAsJavaScriptException();
        return env.Undefined();
      }
      m->maxX = std::max(m->maxX, st->P * st->nC);
      m->maxOp = std::max(m->maxOp, st->Ob);
      m->nLayers = std::max(m->nLayers, st->layer + 1);
      op.st = std::move(st);
    }
    m->ops.push_back(std::move(op));
  }
  return Napi::External<Model>::New(env, m, [](Napi::Env, Model* p) { delete p; });
}

// bnnRun(model, cfg{mode, K, lo, hi, lut, thr, alias, path, threads}, images F32, count, start, runs, seed(lo, hi),
//        preds U8 [runs·count], hist F64 | null, logits F64 | null)
Napi::Value BnnRun(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Model& m = *info[0].As<Napi::External<Model>>().Data();
  Napi::Object cfg = info[1].As<Napi::Object>();
  Napi::Float32Array images = info[2].As<Napi::Float32Array>();
  const int count = info[3].As<Napi::Number>().Int32Value();
  const double start = info[4].As<Napi::Number>().DoubleValue();
  const int runs = info[5].As<Napi::Number>().Int32Value();
  const uint32_t k0 = info[6].As<Napi::Number>().Uint32Value(), k1 = info[7].As<Napi::Number>().Uint32Value();
  Napi::Uint8Array preds = info[8].As<Napi::Uint8Array>();
  double* hist = info[9].IsTypedArray() ? info[9].As<Napi::Float64Array>().Data() : nullptr;
  double* logits = info[10].IsTypedArray() ? info[10].As<Napi::Float64Array>().Data() : nullptr;
  if ((size_t)count * m.inSize > images.ElementLength() || preds.ElementLength() < (size_t)count * runs) {
    Napi::RangeError::New(env, "bnnRun: image or prediction buffer too small").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Tables base;
  base.mode = getInt(cfg, "mode"); base.K = getInt(cfg, "K"); base.lo = getInt(cfg, "lo"); base.hi = getInt(cfg, "hi");
  Napi::Int32Array lutA = cfg.Get("lut").As<Napi::Int32Array>();
  Napi::Uint32Array tableA = cfg.Get("table").As<Napi::Uint32Array>();
  if ((int)lutA.ElementLength() < base.K || (int)tableA.ElementLength() < base.K * 64) {
    Napi::RangeError::New(env, "bnnRun: level tables too small").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  base.lut = lutA.Data(); base.table = tableA.Data();
  base.k0 = k0; base.k1 = k1;
  int path = getInt(cfg, "path");
  if (path > cpuPath()) {
    Napi::Error::New(env, "bnnRun: this CPU cannot run the requested kernel path").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const int threads = std::max(1, std::min(getInt(cfg, "threads"), count * runs));
  const uint32_t runBase = (uint32_t)getInt(cfg, "runBase");
  const KernelFn kern = kernelFor(path, base.mode);
  const float* img = images.Data();
  uint8_t* pr = preds.Data();
  std::atomic<int> next{0};
  std::vector<std::vector<double>> hists(threads);
  auto work = [&](int tid) {
    // a single-threaded call reuses the model's scratch (allocating the slots costs more than a small image)
    bool own = false;
    Scratch* sp = nullptr;
    if (threads == 1 && !m.busy.exchange(true)) {
      own = true;
      if (!m.cached || m.cachedK != base.K) {
        delete m.cached;
        m.cached = new Scratch();
        initScratch(m, *m.cached, base.K);
        m.cachedK = base.K;
      }
      sp = m.cached;
    }
    std::unique_ptr<Scratch> local;
    if (!sp) {
      local = std::make_unique<Scratch>();
      initScratch(m, *local, base.K);
      sp = local.get();
    }
    Scratch& s = *sp;
    s.group = -1;
    s.levOut = nullptr;
    Runner R{m, base, path, kern};
    const int total = count * runs;
    for (int task; (task = next.fetch_add(1)) < total;) {
      const int r = task / count, i = task % count;
      R.t.run = runBase + (uint32_t)r;
      R.t.image = (uint32_t)(int64_t)(start + i);
      pr[(size_t)r * count + i] = (uint8_t)R.forward(img + (size_t)i * m.inSize, s, hist ? s.hist.data() : nullptr,
                                                     logits && task == 0 ? logits : nullptr);
    }
    hists[tid] = s.hist;
    std::fill(s.hist.begin(), s.hist.end(), 0.0);
    if (own) m.busy.store(false);
  };
  if (threads == 1) work(0);
  else {
    std::vector<std::thread> pool;
    for (int tI = 0; tI < threads; tI++) pool.emplace_back(work, tI);
    for (auto& th : pool) th.join();
  }
  if (hist)
    for (auto& h : hists)
      for (size_t i = 0; i < h.size(); i++) hist[i] += h[i];
  return env.Undefined();
}

// bnnLayer(model, cfg, opIndex, X U32 [P·nC], image, run, seedLo, seedHi, out F64 [O·P], hist F64 [K] | null,
//          levels I32 [P·nC·Op] | null)
// One array layer on given packed inputs: the kernels chunk by chunk, for the tests.
Napi::Value BnnLayer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Model& m = *info[0].As<Napi::External<Model>>().Data();
  Napi::Object cfg = info[1].As<Napi::Object>();
  const int opIndex = info[2].As<Napi::Number>().Int32Value();
  Napi::Uint32Array Xa = info[3].As<Napi::Uint32Array>();
  Tables t;
  t.mode = getInt(cfg, "mode"); t.K = getInt(cfg, "K"); t.lo = getInt(cfg, "lo"); t.hi = getInt(cfg, "hi");
  t.lut = cfg.Get("lut").As<Napi::Int32Array>().Data();
  Napi::Uint32Array tableA = cfg.Get("table").As<Napi::Uint32Array>();
  if ((int)tableA.ElementLength() < t.K * 64) {
    Napi::RangeError::New(env, "bnnLayer: level tables too small").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  t.table = tableA.Data();
  t.image = info[4].As<Napi::Number>().Uint32Value(); t.run = info[5].As<Napi::Number>().Uint32Value();
  t.k0 = info[6].As<Napi::Number>().Uint32Value(); t.k1 = info[7].As<Napi::Number>().Uint32Value();
  Napi::Float64Array out = info[8].As<Napi::Float64Array>();
  const int path = getInt(cfg, "path");
  if (opIndex < 0 || opIndex >= (int)m.ops.size() || !m.ops[opIndex].st || path > cpuPath()) {
    Napi::RangeError::New(env, "bnnLayer: not an array layer, or kernel path unavailable").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const Stage& st = *m.ops[opIndex].st;
  if ((int)Xa.ElementLength() < st.P * st.nC || (int)out.ElementLength() < st.O * st.P) {
    Napi::RangeError::New(env, "bnnLayer: buffers too small").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Scratch s;
  initScratch(m, s, t.K);
  if (info.Length() > 10 && info[10].IsTypedArray()) {
    Napi::Int32Array lv = info[10].As<Napi::Int32Array>();
    if (lv.ElementLength() < (size_t)st.P * st.nC * st.Op) {
      Napi::RangeError::New(env, "bnnLayer: levels buffer too small").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    s.levOut = lv.Data();
  }
  std::vector<double> hist(t.K, 0.0);
  const KernelFn kern = kernelFor(path, t.mode);
  for (int p = 0; p < st.P; p++) {
    kern(st, p, Xa.Data() + (size_t)p * st.nC, s, t, s.hl.data());
    writeOut(st, p, s.acc.data(), out.Data());
  }
  foldHist(s.hl, hist.data(), t.K);
  if (info.Length() > 9 && info[9].IsTypedArray()) {
    Napi::Float64Array h = info[9].As<Napi::Float64Array>();
    for (int i = 0; i < t.K && i < (int)h.ElementLength(); i++) h[i] = hist[i];
  }
  return env.Undefined();
}

Napi::Value BnnCpu(const Napi::CallbackInfo& info) {
  const int p = cpuPath();
  return Napi::String::New(info.Env(), p == AVX512 ? "avx512" : p == AVX2 ? "avx2" : "scalar");
}

}  // namespace

void RegisterBnn(Napi::Env env, Napi::Object exports) {
  exports.Set("bnnModel", Napi::Function::New(env, BnnModel, "bnnModel"));
  exports.Set("bnnRun", Napi::Function::New(env, BnnRun, "bnnRun"));
  exports.Set("bnnLayer", Napi::Function::New(env, BnnLayer, "bnnLayer"));
  exports.Set("bnnCpu", Napi::Function::New(env, BnnCpu, "bnnCpu"));
}
