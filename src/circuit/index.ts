/** The neuron circuit (Fig. 2): parameters in SI units and the deterministic ngspice deck. */
export {
  type CircuitParams,
  CIRCUIT_RANGES,
  /** Defaults of the measured circuit (32 cells, 10 pF, 0.8 V, V_th 0.225 V, 2 GHz, the shipped model card); no cache. */
  defaultCircuit,
  /** Merge values over the defaults, parsing SPICE suffixes and checking every range; no cache. */
  validateCircuit,
  /** Path of the shipped 16 nm PTM HP NMOS card; no cache. */
  defaultModelCard,
  /** Check a model card before it reaches a deck (regular file < 1 MB, only `.model` cards, defines `.model nfet nmos`); no cache. */
  checkModelCard,
} from './params.js';
export {
  type DeckOptions,
  /** Deterministic ngspice deck text for one neuron configuration (same inputs, same bytes); pure, no cache. */
  buildDeck,
  /** Refuse a user string that could inject commands into a deck (newlines, `.control`, `shell`, quotes …); no cache. */
  assertSafeForDeck,
} from './deck.js';
export {
  type DeviceVariation,
  type ArrayVariation,
  /** Variation of one nominal device (all deltas zero); pure, no cache. */
  nominalDevice,
  /** Variation of a nominal array; pure, no cache. */
  zeroVariation,
} from './variation.js';
