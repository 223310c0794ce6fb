/**
 * WebAssembly SIMD GEMM backend (third backend of bench/gemm.ts, used when the native addon is absent and the
 * runtime validates the module). No toolchain is needed: the 4×8 f32x4 micro-kernel below is assembled byte by byte.
 *
 * Micro-kernel mk(ap, bp, cp, mcp, ncp, kc) (byte offsets into the module's memory):
 *   Cp[mcp×ncp] += Ap · Bp, with Ap packed in 4-row panels (Ap[(i4·kc + k)·4 + r]) and Bp row-major [kc×ncp];
 *   mcp is a multiple of 4 and ncp of 8. Eight v128 accumulators hold a 4×8 tile of C over the whole k loop.
 * The driver (same MC/KC/NC blocking as the TypeScript backend) packs op(A)·alpha and op(B) with zero padding and
 * adds each finished block into C. Accumulation is float32 (like BLAS, no FMA): results agree with the other
 * backends up to float rounding.
 */
import type { Gemm } from './gemm-types.js';

// ---- a tiny WebAssembly assembler ----
const uleb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
};
const sleb = (n: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
};
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const str = (s: string): number[] => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];

const get = (i: number) => [0x20, ...uleb(i)];
const set = (i: number) => [0x21, ...uleb(i)];
const i32c = (v: number) => [0x41, ...sleb(v)];
const ADD = 0x6a, SUB = 0x6b, MUL = 0x6c, SHL = 0x74, GE_U = 0x4f, EQZ = 0x45;
const BLOCK = [0x02, 0x40], LOOP = [0x03, 0x40], END = 0x0b;
const br = (l: number) => [0x0c, ...uleb(l)];
const brIf = (l: number) => [0x0d, ...uleb(l)];
const f32load = (off: number) => [0x2a, 2, ...uleb(off)];
const vload = (off: number) => [0xfd, 0x00, 4, ...uleb(off)];
const vstore = (off: number) => [0xfd, 0x0b, 4, ...uleb(off)];
const vzero = [0xfd, 0x0c, ...new Array<number>(16).fill(0)];
const SPLAT = [0xfd, 0x13];
const FADD = [0xfd, 0xe4, 0x01];
const FMUL = [0xfd, 0xe6, 0x01];

// locals: params 0..5 = ap, bp, cp, mcp, ncp, kc; i32 6..12 = i4, j, k, pa, pb, pc, rowb; v128 13..20 = c0..c7, 21 b0, 22 b1, 23 a
const [AP, BP, CP, MCP, NCP, KCL] = [0, 1, 2, 3, 4, 5];
const [I4, J, K, PA, PB, PC, ROWB] = [6, 7, 8, 9, 10, 11, 12];
const C0 = 13, B0 = 21, B1 = 22, A = 23;

function kernelBody(): number[] {
  const code: number[] = [];
  const e = (...xs: (number | number[])[]) => {
    for (const x of xs) typeof x === 'number' ? code.push(x) : code.push(...x);
  };
  e(get(NCP), i32c(2), SHL, set(ROWB));
  e(i32c(0), set(I4));
  e(BLOCK, LOOP);
  e(get(I4), get(MCP), GE_U, brIf(1));
  e(i32c(0), set(J));
  e(BLOCK, LOOP);
  e(get(J), get(NCP), GE_U, brIf(1));
  for (let c = 0; c < 8; c++) e(vzero, set(C0 + c));
  e(get(AP), get(I4), get(KCL), MUL, i32c(2), SHL, ADD, set(PA));
  e(get(BP), get(J), i32c(2), SHL, ADD, set(PB));
  e(get(KCL), set(K));
  e(BLOCK, LOOP);
  e(get(K), EQZ, brIf(1));
  e(get(PB), vload(0), set(B0), get(PB), vload(16), set(B1));
  for (let r = 0; r < 4; r++) {
    e(get(PA), f32load(4 * r), SPLAT, set(A));
    e(get(C0 + 2 * r), get(A), get(B0), FMUL, FADD, set(C0 + 2 * r));
    e(get(C0 + 2 * r + 1), get(A), get(B1), FMUL, FADD, set(C0 + 2 * r + 1));
  }
  e(get(PA), i32c(16), ADD, set(PA));
  e(get(PB), get(ROWB), ADD, set(PB));
  e(get(K), i32c(1), SUB, set(K));
  e(br(0), END, END);
  // C tile += accumulators
  e(get(CP), get(I4), get(NCP), MUL, get(J), ADD, i32c(2), SHL, ADD, set(PC));
  for (let r = 0; r < 4; r++) {
    e(get(PC), get(PC), vload(0), get(C0 + 2 * r), FADD, vstore(0));
    e(get(PC), get(PC), vload(16), get(C0 + 2 * r + 1), FADD, vstore(16));
    if (r < 3) e(get(PC), get(ROWB), ADD, set(PC));
  }
  e(get(J), i32c(8), ADD, set(J));
  e(br(0), END, END);
  e(get(I4), i32c(4), ADD, set(I4));
  e(br(0), END, END);
  e(END);
  const locals = vec([[7, 0x7f], [11, 0x7b]]);
  const body = [...locals, ...code];
  return [...uleb(body.length), ...body];
}

/** The module bytes (exports: memory 'mem', function 'mk'). */
export function wasmGemmModule(): Uint8Array<ArrayBuffer> {
  const I32 = 0x7f;
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...vec([[I32], [I32], [I32], [I32], [I32], [I32]]), 0x00]])),
    ...section(3, vec([[0x00]])),
    ...section(5, vec([[0x00, ...uleb(16)]])),
    ...section(7, vec([[...str('mem'), 0x02, 0x00], [...str('mk'), 0x00, 0x00]])),
    ...section(10, vec([kernelBody()])),
  ];
  return new Uint8Array(bytes);
}

const MC = 64;
const KC = 256;
const NC = 512;

interface Instance {
  mem: WebAssembly.Memory;
  mk: (ap: number, bp: number, cp: number, mcp: number, ncp: number, kc: number) => void;
}

let inst: Instance | null | undefined;

function instance(): Instance | null {
  if (inst !== undefined) return inst;
  inst = null;
  try {
    const bytes = wasmGemmModule();
    if (!WebAssembly.validate(bytes)) return inst;
    const m = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
    const ex = m.exports as unknown as { mem: WebAssembly.Memory; mk: Instance['mk'] };
    const need = 4 * (MC * KC + KC * NC + MC * NC) + 64;
    const have = ex.mem.buffer.byteLength;
    if (have < need) ex.mem.grow(Math.ceil((need - have) / 65536));
    inst = { mem: ex.mem, mk: ex.mk };
  } catch {
    inst = null;
  }
  return inst;
}

/** The WebAssembly SIMD backend, or null when the runtime lacks SIMD. */
export function wasmGemm(): Gemm | null {
  const w = instance();
  if (!w) return null;
  const aOff = 0;
  const bOff = 4 * MC * KC;
  const cOff = bOff + 4 * KC * NC;
  return {
    name: 'wasm-simd',
    sgemm(ta, tb, M, N, K, alpha, A, offA, lda, B, offB, ldb, beta, C, offC, ldc) {
      if (beta !== 1) {
        for (let i = 0; i < M; i++) {
          const r = offC + i * ldc;
          if (beta === 0) C.fill(0, r, r + N);
          else for (let j = 0; j < N; j++) C[r + j]! *= beta;
        }
      }
      if (M === 0 || N === 0 || K === 0 || alpha === 0) return;
      const heap = new Float32Array(w.mem.buffer);
      const pa = aOff >> 2;
      const pb = bOff >> 2;
      const pc = cOff >> 2;
      for (let jc = 0; jc < N; jc += NC) {
        const nc = Math.min(NC, N - jc);
        const ncp = (nc + 7) & ~7;
        for (let p0 = 0; p0 < K; p0 += KC) {
          const kc = Math.min(KC, K - p0);
          // pack op(B)[p0.., jc..] row-major [kc × ncp], zero padded
          for (let k = 0; k < kc; k++) {
            const dst = pb + k * ncp;
            if (tb) for (let j = 0; j < nc; j++) heap[dst + j] = B[offB + (jc + j) * ldb + p0 + k]!;
            else {
              const src = offB + (p0 + k) * ldb + jc;
              for (let j = 0; j < nc; j++) heap[dst + j] = B[src + j]!;
            }
            for (let j = nc; j < ncp; j++) heap[dst + j] = 0;
          }
          for (let ic = 0; ic < M; ic += MC) {
            const mc = Math.min(MC, M - ic);
            const mcp = (mc + 3) & ~3;
            // pack alpha·op(A)[ic.., p0..] in 4-row panels, zero padded
            for (let i = 0; i < mcp; i++) {
              const base = pa + ((i >> 2) * kc) * 4 + (i & 3);
              if (i >= mc) {
                for (let k = 0; k < kc; k++) heap[base + 4 * k] = 0;
              } else if (ta) {
                for (let k = 0; k < kc; k++) heap[base + 4 * k] = alpha * A[offA + (p0 + k) * lda + ic + i]!;
              } else {
                const src = offA + (ic + i) * lda + p0;
                for (let k = 0; k < kc; k++) heap[base + 4 * k] = alpha * A[src + k]!;
              }
            }
            heap.fill(0, pc, pc + mcp * ncp);
            w.mk(aOff, bOff, cOff, mcp, ncp, kc);
            for (let i = 0; i < mc; i++) {
              const d = offC + (ic + i) * ldc + jc;
              const s = pc + i * ncp;
              for (let j = 0; j < nc; j++) C[d + j] += heap[s + j]!;
            }
          }
        }
      }
    },
  };
}
