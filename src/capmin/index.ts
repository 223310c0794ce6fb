/** CapMin (Sec. III-A, Eq. 4) and CapMin-V (Sec. III-B, Alg. 1): pure algorithms and their file formats. */
export * from './levels.js';
export * from './merge.js';
export * from './cost.js';
export * from './io.js';
