/** Analytic check of the neuron: paper Eq. 2/3/5, the quasi-static integral and the SPICE extractions. */
export * from './equations.js';
export * from './extract.js';
