/**
 * The one option table of the capmin command line. Every option — circuit, Monte-Carlo, executor, BNN, CapMin and
 * output — is declared once here with its type, unit, default, allowed range, help text and the commands that take
 * it; the parser configuration and the `--help` text of every command are generated from it, so a name means one
 * thing in every command and the help cannot drift from the parser.
 */
import type { parseArgs } from 'node:util';
import { isAbsolute } from 'node:path';
import { CapminError } from '../util/errors.js';
import { EXIT, EXIT_CODES_TEXT } from '../util/exit.js';
import { parseCommandArgs } from '../util/args.js';

export const COMMAND_NAMES = [
  'deck', 'spikes', 'validate', 'crosscheck', 'pmap', 'sweep-cap', 'size', 'fmac', 'eval', 'train', 'levels', 'merge', 'run',
] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

/** Commands that build a neuron circuit from the circuit options. */
const CIRCUIT = ['deck', 'spikes', 'validate', 'crosscheck', 'pmap', 'sweep-cap', 'size'] as const;
/** Commands that simulate with ngspice (parallel processes). */
const SPICE = ['spikes', 'validate', 'crosscheck', 'pmap', 'sweep-cap', 'size'] as const;
const MC = ['pmap', 'crosscheck'] as const;

type Group = 'circuit' | 'monte-carlo' | 'variation' | 'executor' | 'bnn' | 'capmin' | 'command' | 'output';

const GROUP_TITLES: Record<Group, string> = {
  command: 'options',
  capmin: 'CapMin / CapMin-V',
  bnn: 'network and data',
  'monte-carlo': 'Monte-Carlo',
  variation: 'variation (Gaussian sigma per transistor instance)',
  circuit: 'circuit (SPICE suffixes accepted: 9.6p, 2G, 500n)',
  executor: 'execution',
  output: 'output',
};
const GROUP_ORDER: Group[] = ['command', 'capmin', 'bnn', 'monte-carlo', 'variation', 'circuit', 'executor', 'output'];

/** What one command changes about an option (help, default, range, value name). */
interface PerCommand {
  help?: string;
  value?: string;
  range?: string;
  /** parser default (a literal the command receives when the option is absent) */
  default?: string;
  /** a default that depends on other inputs, in words */
  defaultText?: string;
  required?: boolean;
}

export interface OptionSpec {
  type: 'string' | 'boolean';
  group: Group;
  /** the value's name in help (`--cap C`) */
  value?: string;
  /** SI unit of the value ('F', 's', 'Hz', 'V', 'm', 'degC') */
  unit?: string;
  default?: string;
  defaultText?: string;
  range?: string;
  help: string;
  required?: boolean;
  /** may be given more than once (all values collected); every other option is refused when repeated */
  multiple?: boolean;
  /** a file name inside the output folder: no path separator, no `..`, not absolute */
  plainName?: boolean;
  short?: string;
  commands: readonly CommandName[];
  per?: Partial<Record<CommandName, PerCommand>>;
}

const ALL = COMMAND_NAMES;

/** The option table. Keys are the long option names. */
export const OPTIONS = {
  // ---- circuit (SI units; ranges checked by validateCircuit) ----
  // Defaults are stated as text: an absent option takes the library's exact defaultCircuit() value (a parsed '200n'
  // differs from 200e-9 in the last bit, which would change cache keys and run-folder inputs).
  cap: {
    type: 'string', group: 'circuit', value: 'C', unit: 'F', defaultText: '10p', range: '1f..10n',
    help: 'membrane capacitor C_mem', commands: ['deck', 'spikes', 'validate', 'crosscheck', 'pmap'],
  },
  v0: { type: 'string', group: 'circuit', value: 'V', unit: 'V', defaultText: '0.8', range: '50m..3', help: 'branch supply V0', commands: CIRCUIT },
  vdd: { type: 'string', group: 'circuit', value: 'V', unit: 'V', defaultText: '0.8', range: '50m..3', help: 'gate drive high level', commands: CIRCUIT },
  vth: { type: 'string', group: 'circuit', value: 'V', unit: 'V', defaultText: '0.225', range: '1m..V0 (exclusive)', help: 'comparator threshold V_th', commands: CIRCUIT },
  'f-clk': { type: 'string', group: 'circuit', value: 'F', unit: 'Hz', defaultText: '2G', range: '1M..100G', help: 'flip-flop clock f_clk', commands: CIRCUIT },
  tstop: {
    type: 'string', group: 'circuit', value: 'T', unit: 's', defaultText: 'max(200n, 20n per pF of C_mem)', range: '1p..1m',
    help: 'transient window (also the lower bound of the no-spike window)', commands: CIRCUIT,
    // the Monte-Carlo and sizing commands keep the fixed lower bound their results were computed with
    per: { crosscheck: { defaultText: '200n' }, pmap: { defaultText: '200n' }, 'sweep-cap': { defaultText: '200n' }, size: { defaultText: '200n' } },
  },
  tstep: { type: 'string', group: 'circuit', value: 'T', unit: 's', defaultText: '100p', range: '1f..tstop/10', help: 'transient step, also caps the internal step', commands: CIRCUIT },
  temp: { type: 'string', group: 'circuit', value: 'T', unit: 'degC', defaultText: '27', range: '-55..175', help: 'temperature', commands: CIRCUIT },
  'model-card': {
    type: 'string', group: 'circuit', value: 'FILE', defaultText: 'the bundled models/ptm16hp-nmos.pm',
    help: "BSIM4 transistor model card defining '.model nfet nmos'", commands: CIRCUIT,
  },
  circuit: {
    type: 'string', group: 'circuit', value: 'FILE',
    help: 'circuit file (YAML/JSON): cell .subckt and port roles, .include/.lib models, mismatch parameters, corners; circuit options override it (by default the built-in Fig. 2 cell on the bundled card)',
    commands: CIRCUIT,
  },
  corner: {
    type: 'string', group: 'circuit', value: 'NAME',
    help: "named PVT corner of the circuit file (by default its 'corner'; without --circuit: tt, ff or ss of netlists/circuits/default.yaml)", commands: CIRCUIT,
  },
  corners: {
    type: 'string', group: 'circuit', value: 'LIST',
    help: "corner set: 'a,b,c' or 'all' corners of the circuit file (without --circuit: tt, ff, ss of the shipped one); with --temps and a --v0 list (0.7,0.8) the cross product; per-corner results and the worst case (by default the one point of --corner)",
    commands: ['size', 'validate', 'sweep-cap'],
  },
  temps: {
    type: 'string', group: 'circuit', value: 'LIST', unit: 'degC', range: '-55..175 each',
    help: 'temperature set, e.g. -40,27,125 (a corner set with --corners; by default the one --temp)', commands: ['size', 'validate', 'sweep-cap'],
  },
  wn: { type: 'string', group: 'circuit', value: 'W', unit: 'm', defaultText: '64n', range: '5n..100u', help: 'NMOS width', commands: CIRCUIT },
  ln: { type: 'string', group: 'circuit', value: 'L', unit: 'm', defaultText: '16n', range: '5n..100u', help: 'NMOS length', commands: CIRCUIT },
  cells: {
    type: 'string', group: 'circuit', value: 'A', defaultText: '32', range: '1..256', help: 'XNOR cells per array a (the sub-MAC size)',
    commands: [...CIRCUIT, 'fmac', 'eval', 'merge'],
    per: {
      fmac: { range: '1..32' },
      eval: { range: '1..32' },
      merge: { range: '1..4096', default: '32', help: 'XNOR cells per array a, for the padded (a+1)x(a+1) P_map' },
    },
  },

  // ---- Monte-Carlo ----
  // (variation sigmas state their default as text: absent, the library's exact defaultSigmas() values are used)
  samples: {
    type: 'string', group: 'monte-carlo', value: 'N', range: '1..1000000', help: 'Monte-Carlo samples per level', commands: ['pmap', 'crosscheck', 'run'],
    per: { pmap: { default: '1000' }, crosscheck: { default: '20' }, run: { defaultText: '1000; --quick: 200', range: '2..100000' } },
  },
  seed: {
    type: 'string', group: 'monte-carlo', value: 'S', default: '1', range: '0..4294967295',
    help: 'random seed; the same seed gives identical results with any --workers', commands: ['pmap', 'crosscheck', 'eval', 'train', 'run'],
    per: {
      eval: { help: 'seed of the P_map draws' },
      train: { help: 'seed of the initialisation and the shuffling' },
      run: { help: 'seed of the Monte-Carlo draws and the error injection' },
    },
  },
  levels: {
    type: 'string', group: 'monte-carlo', value: 'R', range: '0..a, a list or range (9..24, 1,8,16)',
    help: 'levels m (conducting cells) to simulate', commands: ['spikes', 'validate', 'pmap', 'crosscheck', 'size', 'merge'],
    per: {
      spikes: { defaultText: 'all, 0..a' },
      validate: { defaultText: 'all, 0..a' },
      pmap: { defaultText: 'all, 0..a' },
      crosscheck: { defaultText: '1,4,8,16,24,32 (those within 0..a)' },
      size: { required: true, help: "the kept levels whose registered spike times must be distinct" },
      merge: {
        defaultText: "the P_map's levels",
        help: "CapMin's kept levels; required for a P_map over all a+1 levels (its rows and columns are then restricted and renormalised, an approximation — prefer a P_map built for the kept levels: capmin pmap --levels R)",
      },
    },
  },
  engine: {
    type: 'string', group: 'monte-carlo', value: 'E', default: 'quasistatic', range: 'quasistatic | transient',
    help: 'quasistatic: t = (C_mem + C_par) * integral dV/I(V) from DC sweeps (fast); transient: every sample simulated (reference)',
    commands: ['pmap', 'sweep-cap'],
  },
  correlation: {
    type: 'string', group: 'monte-carlo', value: 'C', default: 'die', range: 'die | level',
    help: 'die: one sampled array shared by all levels; level: independent draws per level', commands: MC,
  },
  'batch-size': { type: 'string', group: 'monte-carlo', value: 'N', default: '25', range: '1..1000', help: 'transient samples per ngspice process', commands: MC },
  'spot-check': {
    type: 'string', group: 'monte-carlo', value: 'N', default: '10', range: '0..100000 (0 = no check)',
    help: 'quasi-static engine: the first N samples per level are also simulated with the transient engine; above 1 % registered-cycle mismatch (at least 3) the P_map is recomputed with the transient engine',
    commands: ['pmap'],
  },
  timeout: {
    type: 'string', group: 'executor', value: 'S', unit: 's', defaultText: '60 + 10 per sample of the batch', range: '0.01..86400',
    help: 'wall-clock limit per ngspice batch', commands: ['pmap'],
  },
  window: {
    type: 'string', group: 'monte-carlo', value: 'T', unit: 's', defaultText: 'max(tstop, 3 x nominal level-1 time)', range: '1p..1m',
    help: 'no-spike threshold of a sample', commands: ['pmap'],
  },
  time: {
    type: 'string', group: 'monte-carlo', value: 'B', default: 'spike', range: 'spike | cross',
    help: 'time base: spike = registered on the clock grid (tSpike), cross = comparator crossing (tCross)', commands: ['pmap', 'merge'],
    per: { merge: { help: 'spike-time column that orders the levels: spike = tSpike (registered), cross = tCross (crossing)' } },
  },
  'clock-levels': {
    type: 'string', group: 'command', value: 'R', default: '4,16,32', range: "levels within 0..a, or 'none'",
    help: 'levels of the post-processed-clock vs simulated flip-flop check', commands: ['crosscheck'],
  },
  'sigma-vth': { type: 'string', group: 'variation', value: 'V', unit: 'V', defaultText: '30m', range: '0..200m', help: 'threshold (delvto) sigma (Pelgrom, A_VT = 1 mV*um at 64n x 16n)', commands: MC },
  'sigma-mu': { type: 'string', group: 'variation', value: 'X', defaultText: '0.03', range: '0..0.3', help: 'relative mobility (mulu0) sigma', commands: MC },
  'sigma-w': { type: 'string', group: 'variation', value: 'W', unit: 'm', defaultText: '0.4n', range: '0..10n', help: 'width sigma', commands: MC },
  'sigma-l': { type: 'string', group: 'variation', value: 'L', unit: 'm', defaultText: '0.4n', range: '0..4n', help: 'length sigma', commands: MC },
  'global-vth': { type: 'string', group: 'variation', value: 'V', unit: 'V', defaultText: '0', range: '0..200m', help: 'die-to-die threshold sigma', commands: MC },
  'global-mu': { type: 'string', group: 'variation', value: 'X', defaultText: '0', range: '0..0.3', help: 'die-to-die relative mobility sigma', commands: MC },
  resume: {
    type: 'boolean', group: 'output', help: "continue an interrupted run in the output folder (finished work is not repeated)", commands: ['pmap', 'train'],
    per: { train: { help: "continue from the output folder's last finished epoch (starts fresh when it holds no state)" } },
  },

  // ---- execution ----
  workers: {
    type: 'string', group: 'executor', value: 'N', range: '1..64', defaultText: 'all cores',
    help: 'parallel ngspice processes', commands: [...SPICE, 'fmac', 'eval', 'run'],
    per: {
      fmac: { help: 'engine worker threads', defaultText: 'all cores from 1500 image passes on, else 1 (in-process)' },
      eval: { help: 'engine worker threads', defaultText: 'all cores from 1500 image passes on, else 1 (in-process)' },
      run: { help: 'parallel ngspice processes and engine threads', defaultText: '2 (1 on a one-core machine)' },
    },
  },

  executor: {
    type: 'string', group: 'executor', value: 'E', default: 'local', range: 'local | slurm',
    help: 'where ngspice runs: local = parallel processes here; slurm = job arrays on a Slurm cluster (README: Running on a cluster)',
    commands: [...SPICE, 'run'],
  },
  'slurm-dir': {
    type: 'string', group: 'executor', value: 'DIR', defaultText: "the output folder (./runs/slurm for commands without one)",
    help: 'folder shared with the cluster nodes for decks, outputs and job state', commands: [...SPICE, 'run'],
  },
  'slurm-partition': { type: 'string', group: 'executor', value: 'P', defaultText: "the cluster's default", help: "Slurm partition (sbatch's partition option)", commands: [...SPICE, 'run'] },
  'slurm-account': { type: 'string', group: 'executor', value: 'A', defaultText: 'none', help: "Slurm account (sbatch's account option)", commands: [...SPICE, 'run'] },
  'slurm-time': { type: 'string', group: 'executor', value: 'T', defaultText: 'the sum of the task\'s deck timeouts', help: 'time limit per array task, Slurm syntax (MM, HH:MM:SS, D-HH)', commands: [...SPICE, 'run'] },
  'slurm-mem': { type: 'string', group: 'executor', value: 'M', defaultText: "the cluster's default", help: 'memory per array task, Slurm syntax (500M, 2G)', commands: [...SPICE, 'run'] },
  'slurm-throttle': { type: 'string', group: 'executor', value: 'N', range: '1..100000', defaultText: 'unlimited', help: 'array tasks running at once (the %N of the job array)', commands: [...SPICE, 'run'] },
  'slurm-decks-per-task': { type: 'string', group: 'executor', value: 'N', defaultText: '8', range: '1..10000', help: 'ngspice decks (Monte-Carlo batches) per array task', commands: [...SPICE, 'run'] },
  'slurm-arg': { type: 'string', group: 'executor', value: 'ARG', multiple: true, defaultText: 'none', help: 'extra sbatch argument, passed as given (repeatable)', commands: [...SPICE, 'run'] },

  // ---- network and data ----
  model: {
    type: 'string', group: 'bnn', value: 'FILE', help: "BNN checkpoint, safetensors (SPICE-Torch key names; metadata 'arch' or --arch)",
    commands: ['fmac', 'eval', 'run'],
    defaultText: 'the bundled models/vgg3-fashion.safetensors',
    per: { run: { defaultText: 'the bundled models/vgg3-fashion.safetensors', help: "BNN checkpoint, safetensors (SPICE-Torch key names, metadata 'arch')" } },
  },
  arch: {
    type: 'string', group: 'bnn', value: 'NAME', range: 'vgg3 | vgg7 | resnet18', defaultText: "the checkpoint's 'arch' metadata",
    help: 'network architecture', commands: ['fmac', 'eval', 'train'],
    per: { train: { default: 'vgg3', range: 'vgg3', help: 'network architecture (the trainer supports VGG3)' } },
  },
  dataset: {
    type: 'string', group: 'bnn', value: 'NAME', default: 'fashion', range: 'fashion | cifar10 | npy', help: 'dataset', commands: ['fmac', 'eval', 'train'],
    per: { train: { range: 'fashion | npy (any 1xHxW set with H, W divisible by 4)' } },
  },
  'data-dir': {
    type: 'string', group: 'bnn', value: 'DIR', defaultText: "the dataset's standard location (fashion: /usr/share/datasets/fashion-mnist or $CAPMIN_FASHION_DIR)",
    help: 'dataset folder', commands: ['fmac', 'eval', 'train', 'run'],
  },
  split: {
    type: 'string', group: 'bnn', value: 'S', range: 'train | test', help: 'dataset split', commands: ['fmac', 'eval'],
    per: { fmac: { default: 'train' }, eval: { default: 'test' } },
  },
  limit: { type: 'string', group: 'bnn', value: 'N', range: '1..1e9', defaultText: 'all', help: 'only the first N images of the split', commands: ['fmac', 'eval'] },
  'train-limit': {
    type: 'string', group: 'bnn', value: 'N', range: '2..1e9', defaultText: 'all', help: 'only the first N training images', commands: ['train', 'run'],
    per: { run: { range: '1..1e7', defaultText: 'all; --quick: 2000', help: 'only the first N training images (for F_MAC)' } },
  },
  'test-limit': {
    type: 'string', group: 'bnn', value: 'N', range: '1..1e9', defaultText: 'all', help: 'only the first N test images', commands: ['train', 'run'],
    per: { run: { range: '1..1e7', defaultText: '5000; --quick: 500' } },
  },
  runs: {
    type: 'string', group: 'bnn', value: 'R', range: '1..1000', help: 'inference runs with independent error draws', commands: ['eval', 'run'],
    per: { eval: { default: '3', help: 'runs with independent draws (error-free and clip-only settings are computed once)' }, run: { defaultText: '3; --quick: 2', range: '1..100' } },
  },
  clip: { type: 'string', group: 'capmin', value: 'LO,HI', range: '0 <= LO <= HI <= a', defaultText: 'no clipping', help: 'CapMin clipping bounds on the level m (Eq. 4)', commands: ['eval'] },
  pmap: {
    type: 'string', group: 'capmin', value: 'FILE', help: 'P_map error model', commands: ['eval', 'merge'],
    per: {
      eval: { defaultText: 'none, error-free', help: "P_map: capmin CSV/JSON (indexed by level m) or a SPICE-Torch .npy indexed by popcount a - m: the (a+1)x(a+1) distribution mapping or the 1-D direct mapping of a+1 entries (as 'capmin levels' writes it); each chunk's read level is drawn from the row of its clipped level" },
      merge: { required: true, help: "P_map as written by 'capmin pmap' (pmap.csv or pmap.json; rows = true level)" },
    },
  },
  epochs: { type: 'string', group: 'command', value: 'N', range: '1..1000', required: true, help: 'total epochs (a resumed run continues up to N)', commands: ['train'] },
  batch: { type: 'string', group: 'command', value: 'B', default: '256', range: '2..4096', help: 'batch size', commands: ['train'] },
  lr: { type: 'string', group: 'command', value: 'X', default: '1e-3', range: '1e-9..10', help: 'initial learning rate (halved every 10 epochs)', commands: ['train'] },
  fresh: { type: 'boolean', group: 'output', help: "delete the output folder's training state and start over", commands: ['train'] },
  checkpoint: {
    type: 'string', group: 'output', value: 'FILE', defaultText: 'OUT/best.safetensors', range: '*.safetensors',
    help: 'compact checkpoint of the best epoch (int8 +-1 weights + float32 BN)', commands: ['train'],
  },

  // ---- CapMin / CapMin-V ----
  fmac: { type: 'string', group: 'capmin', value: 'FILE', required: true, help: "F_MAC as written by 'capmin fmac': JSON with an array under 'total' or 'fMac', or CSV level,count", commands: ['levels'] },
  k: { type: 'string', group: 'capmin', value: 'K', default: '14', range: '1..a+1', help: 'number of levels to keep', commands: ['levels'] },
  'direct-mapping': {
    type: 'string', group: 'output', value: 'FILE', defaultText: 'none',
    help: "also write the clipping as SPICE-Torch's direct mapping: a 1-D float32 .npy of a+1 entries, popcount -> clipped popcount (popcount = a - m); 'capmin eval' reads it back as its P_map",
    commands: ['levels'],
  },
  spikes: { type: 'string', group: 'capmin', value: 'FILE', required: true, help: "nominal spike times per level ('capmin spikes --json' output, or CSV level,tSpike,tCross)", commands: ['merge'] },
  phi: { type: 'string', group: 'capmin', value: 'N', required: true, range: '0..k-1', help: 'number of CapMin-V merges', commands: ['merge'] },
  'merge-toward': {
    type: 'string', group: 'capmin', value: 'D', default: 'lower', range: 'lower | higher',
    help: 'interior merge target: lower = the neighbour with the lower diagonal entry (Alg. 1 lines 6-11 as printed), higher = the one with the higher diagonal entry',
    commands: ['merge', 'run'],
  },
  pad: {
    type: 'string', group: 'capmin', value: 'P', default: 'paper', range: 'paper | bound',
    help: "rows of clipped levels after padding (Alg. 1 line 15): paper = one-hot on the bound (zeros plus 1s, as printed), bound = the bound's error row",
    commands: ['merge', 'run'],
  },
  'single-direction': {
    type: 'boolean', group: 'capmin',
    help: 'evaluate CapMin-V only in the --merge-toward direction (default: the other direction is also evaluated, re-bucketed, for comparison)',
    commands: ['run'],
  },
  quick: {
    type: 'boolean', group: 'command', help: '< 5 min on 2 cores: 9 k values, 200 MC samples, 500 test / 2000 train images, 2 runs (default: 14 k values, 1000 samples, 5000 test / all train images, 3 runs)',
    commands: ['run'],
  },
  ks: { type: 'string', group: 'capmin', value: 'LIST', range: '2..a+1', defaultText: '33,28,24,20,16,15,14,13,12,11,10,8,6,5; --quick: 33,24,20,16,14,12,10,8,6', help: 'k values, e.g. 33,24,16 or 5..33 (the baseline k = a+1 is always added)', commands: ['run'] },
  'phi-from': { type: 'string', group: 'capmin', value: 'K0', default: '16', range: '2..a+1', help: 'CapMin-V start k0', commands: ['run'] },
  phis: { type: 'string', group: 'capmin', value: 'LIST', default: '1..11', range: '1..a', help: 'CapMin-V phi values', commands: ['run'] },
  mapping: {
    type: 'string', group: 'capmin', value: 'M', help: 'level -> current mapping of the kept levels: shifted = the lowest kept level takes the slowest firing current (paper Sec. IV-C); natural = each level keeps its own current',
    commands: ['size', 'run'],
    per: { size: { default: 'both', range: 'natural | shifted | both' }, run: { default: 'shifted', range: 'natural | shifted' } },
  },
  sizing: {
    type: 'string', group: 'command', value: 'S', default: 'transient', range: 'transient | quasistatic',
    help: 'transient: SPICE-verified bracket/bisection; quasistatic: prediction plus one SPICE check of all kept levels', commands: ['run'],
  },
  'margin-cycles': { type: 'string', group: 'command', value: 'N', default: '1', range: '1..1000', help: 'clock cycles required between registered spike times', commands: ['size'] },
  verify: { type: 'string', group: 'command', value: 'E', default: 'transient', range: 'transient | quasistatic', help: 'engine that verifies each bisection step', commands: ['size'] },
  tol: { type: 'string', group: 'command', value: 'X', default: '0.005', range: '1e-4..0.2', help: 'relative bisection tolerance on C_mem', commands: ['size'] },
  from: { type: 'string', group: 'command', value: 'C', unit: 'F', default: '1p', range: '1f..10n', help: 'smallest C_mem of the sweep', commands: ['sweep-cap'] },
  to: { type: 'string', group: 'command', value: 'C', unit: 'F', default: '150p', range: '--from..10n', help: 'largest C_mem of the sweep', commands: ['sweep-cap'] },
  steps: { type: 'string', group: 'command', value: 'N', default: '30', range: '1..1000', help: 'number of C_mem values', commands: ['sweep-cap'] },
  scale: { type: 'string', group: 'command', value: 'S', default: 'log', range: 'log | lin', help: 'spacing of the C_mem values', commands: ['sweep-cap'] },

  // ---- deck ----
  level: { type: 'string', group: 'command', value: 'M', defaultText: 'a', range: '0..a', help: 'number of conducting cells m', commands: ['deck'] },
  w: { type: 'string', group: 'command', value: 'BITS', defaultText: 'from --level', range: 'a characters of 0/1', help: 'explicit weight bits (with --x)', commands: ['deck'] },
  x: { type: 'string', group: 'command', value: 'BITS', defaultText: 'from --level', range: 'a characters of 0/1', help: 'explicit input bits (with --w)', commands: ['deck'] },
  analysis: {
    type: 'string', group: 'command', value: 'A', default: 'tran', range: 'tran | op | dcsweep',
    help: 'tran: ML charges C_mem from 0 V; op: ML held at 0 V (I_init); dcsweep: ML swept 0..V_th', commands: ['deck'],
  },
  clocked: { type: 'boolean', group: 'command', help: 'tran: comparator + flip-flop (XSPICE adc_bridge + d_dff) clocked at f_clk inside the simulation', commands: ['deck'] },
  'no-stop': { type: 'boolean', group: 'command', help: 'tran: do not stop the transient after the spike', commands: ['deck'] },
  variation: { type: 'string', group: 'command', value: 'FILE', defaultText: 'nominal, no variation', help: 'JSON [cell][transistor 0..3] of {delvto, mulu0, dW, dL} (SI units)', commands: ['deck'] },
  raw: {
    type: 'string', group: 'output', value: 'NAME', default: 'out.raw', plainName: true, range: 'a file name (no folder)',
    help: "raw file the deck makes ngspice write, in ngspice's working folder", commands: ['deck'],
  },
  ascii: { type: 'boolean', group: 'output', help: 'ASCII raw file instead of binary', commands: ['deck'] },
  'fig-levels': { type: 'string', group: 'command', value: 'R', defaultText: '8,12,16,24,32 (those within 1..a)', range: '1..a', help: 'levels drawn in fig3.svg', commands: ['validate'] },
  cache: { type: 'string', group: 'output', value: 'DIR', default: 'runs/cache/spikes', help: 'per-level result cache (content hash of the decks and the model card)', commands: ['spikes'] },
  'no-cache': { type: 'boolean', group: 'output', help: 'simulate every level, read and write no cache', commands: ['spikes'] },
  force: { type: 'boolean', group: 'output', help: 'recompute even if the output folder holds a result for the same inputs', commands: ['fmac'] },

  // ---- output (every command) ----
  out: {
    type: 'string', group: 'output', value: 'DIR', help: 'output folder', commands: ['deck', 'validate', 'pmap', 'sweep-cap', 'fmac', 'eval', 'train', 'run'],
    per: {
      deck: { value: 'FILE', defaultText: 'stdout', help: 'write the deck to FILE' },
      validate: { default: 'runs/validate', help: 'output folder: validate.csv, validate.json, fig3.svg, manifest.json' },
      pmap: { defaultText: 'runs/pmap-<C_mem>-<hash of the inputs>', help: 'run folder: manifest.json, batch cache, pmap.csv/.json/.npy/.svg, samples.csv' },
      'sweep-cap': { default: 'runs/sweep-cap', help: 'output folder: sweep.json, sweep.svg, sweep-distinct.svg' },
      fmac: { defaultText: 'runs/fmac/<model>-<dataset>-<split>', help: 'output folder: fmac.csv, fmac.json, fmac.svg, fmac-layers.svg, manifest.json' },
      eval: { value: 'FILE', defaultText: 'none', help: 'also write the result JSON to FILE' },
      train: { defaultText: 'runs/train-<arch>-<dataset>', help: 'output folder: per-epoch state, state.json, manifest.json, best.safetensors' },
      run: { defaultText: 'runs/<quick|full>-<hash of the settings>', help: 'run folder: report.html, results.json, cache/' },
    },
  },
  json: { type: 'boolean', group: 'output', help: 'print one JSON object on stdout (errors: a JSON object on stderr)', commands: ALL },
  quiet: { type: 'boolean', group: 'output', help: 'no progress lines on stderr (same as CAPMIN_QUIET=1)', commands: ALL },
} as const satisfies Record<string, OptionSpec>;

export type OptionName = keyof typeof OPTIONS;
type Table = typeof OPTIONS;

/** Names of the options a command takes. */
type NamesFor<C extends CommandName> = { [K in OptionName]: C extends Table[K]['commands'][number] ? K : never }[OptionName];
/** The default/defaultText holder of option K in command C: the command's own entry if it sets one, else the option's. */
type DefaultHolder<K extends OptionName, C extends CommandName> = Table[K] extends { per: infer P }
  ? C extends keyof P
    ? P[C] extends { default: string } | { defaultText: string }
      ? P[C]
      : Table[K]
    : Table[K]
  : Table[K];
type OptionConfig<K extends OptionName, C extends CommandName> = Table[K] extends { multiple: true }
  ? { type: Table[K]['type']; multiple: true }
  : DefaultHolder<K, C> extends { default: string }
    ? { type: Table[K]['type']; default: string }
    : { type: Table[K]['type'] };
/** The parseArgs configuration of command C, as a type. */
export type CommandConfig<C extends CommandName> = { [K in NamesFor<C>]: OptionConfig<K, C> } & { help: { type: 'boolean'; short: 'h' } };
/** Parsed values of command C, with parseArgs' own types (string options with a default are always strings). */
export type CommandValues<C extends CommandName> = ReturnType<typeof parseArgs<{ options: CommandConfig<C>; strict: true; allowPositionals: true }>>['values'];

/** The table entry of an option as command `cmd` sees it. */
export interface ResolvedOption {
  name: OptionName;
  type: 'string' | 'boolean';
  group: Group;
  value?: string;
  unit?: string;
  default?: string;
  defaultText?: string;
  range?: string;
  help: string;
  required: boolean;
  multiple: boolean;
  plainName: boolean;
  short?: string;
}

/** Options of one command, in table order, with the command's own help/default/range applied. */
export function commandOptions(cmd: CommandName): ResolvedOption[] {
  const out: ResolvedOption[] = [];
  for (const [name, raw] of Object.entries(OPTIONS) as [OptionName, OptionSpec][]) {
    if (!raw.commands.includes(cmd)) continue;
    const p: PerCommand = raw.per?.[cmd] ?? {};
    const ownDefault = 'default' in p || 'defaultText' in p;
    out.push({
      name,
      type: raw.type,
      group: raw.group,
      value: p.value ?? raw.value,
      unit: raw.unit,
      default: ownDefault ? p.default : raw.default,
      defaultText: ownDefault ? p.defaultText : raw.defaultText,
      range: p.range ?? raw.range,
      help: p.help ?? raw.help,
      required: Boolean(p.required ?? raw.required),
      multiple: Boolean(raw.multiple),
      plainName: Boolean(raw.plainName),
      short: raw.short,
    });
  }
  return out;
}

/** The parseArgs options object of a command (what the parser accepts, with its defaults). */
export function parserConfig(cmd: CommandName): Record<string, { type: 'string' | 'boolean'; default?: string; multiple?: boolean; short?: string }> {
  const cfg: Record<string, { type: 'string' | 'boolean'; default?: string; multiple?: boolean; short?: string }> = {};
  for (const o of commandOptions(cmd)) {
    cfg[o.name] = { type: o.type };
    if (o.default !== undefined) cfg[o.name]!.default = o.default;
    if (o.multiple) cfg[o.name]!.multiple = true;
    if (o.short) cfg[o.name]!.short = o.short;
  }
  cfg.help = { type: 'boolean', short: 'h' };
  return cfg;
}

// ---- commands: summary, description and examples (the rest of each help text) ----

interface CommandDoc {
  summary: string;
  usage: string;
  description: string;
  examples: string[];
}

export const COMMANDS: Record<CommandName, CommandDoc> = {
  deck: {
    summary: 'write the ngspice deck for one neuron configuration',
    usage: '[--level M | --w BITS --x BITS] [--analysis tran|op|dcsweep] [--out FILE] [circuit options]',
    description: 'Writes the ngspice deck of the paper\'s Fig. 2 neuron (stdout unless --out). Run it with: ngspice -b -n deck.cir',
    examples: ['capmin deck --level 16 --cap 9.6p --clocked > deck.cir', 'capmin deck --analysis op --level 32 --raw op.raw --out runs/op.cir'],
  },
  spikes: {
    summary: 'nominal spike time of every MAC level at a capacitor value',
    usage: '[--cap 10p] [--levels 0..32] [--workers N] [--cache DIR | --no-cache] [circuit options]',
    description:
      'One row per level m (conducting cells): I_init (ML at 0 V), comparator crossing time tCross, registered spike time tSpike (next rising clock edge) and its clock cycle. SI units in --json; null = no spike within --tstop.',
    examples: ['capmin spikes --cap 9.6p', 'capmin spikes --cap 12.27p --levels 9..24 --json > spikes.json'],
  },
  validate: {
    summary: 'SPICE transient vs paper Eq. 5 vs the quasi-static integral, per level',
    usage: '[--cap 10p] [--levels 0..32] [--fig-levels 8,12,16,24,32] [--workers N] [--out DIR] [circuit options]',
    description:
      'Per level m: t_SPICE (transient crossing of V_th), t_Eq5 = -(C V0 / I_init) ln(1 - V_th/V0) with I_init from an ngspice op, the quasi-static t = C * integral dV/I(V) (also with the fitted ML parasitic C_par), the V_eff / R_eq that make Eq. 5 exact, and a least-squares fit of Eq. 2 to V(t).',
    examples: ['capmin validate --cap 10p', 'capmin validate --cap 9.6p --levels 1..32 --out runs/validate-9p6'],
  },
  crosscheck: {
    summary: 'transient vs quasi-static Monte-Carlo on the same samples',
    usage: '[--cap 10p] [--samples 20] [--levels 1,4,8,16,24,32] [--clock-levels 4,16,32]',
    description:
      'Runs the transient (reference) and quasi-static engines on the same samples and reports the spike-time difference and the fraction of samples whose registered clock cycle differs (the fast path is allowed below 1 %).',
    examples: ['capmin crosscheck --cap 12.27p --samples 50'],
  },
  pmap: {
    summary: 'Monte-Carlo error model P_map (paper Eq. 6)',
    usage: '[--cap 10p] [--samples 1000] [--seed 1] [--levels 9..24] [--engine quasistatic|transient] [--out DIR] [--resume]',
    description:
      'Monte-Carlo error model P_map (paper Eq. 6): rows = true level m (conducting cells), columns = read level. Resumable run folder: pmap.csv / pmap.json (level-indexed), pmap.npy (popcount-indexed for SPICE-Torch), samples.csv, pmap.svg, manifest.json.',
    examples: ['capmin pmap --cap 12.27p --samples 1000 --engine quasistatic', 'capmin pmap --cap 9.6p --levels 9..22 --samples 200 --out runs/pmap-9p6', 'capmin pmap --out runs/pmap-9p6 --resume'],
  },
  'sweep-cap': {
    summary: 'spike times, distinct levels, latency and energy over capacitor values',
    usage: '[--from 1p] [--to 150p] [--steps 30] [--scale log|lin] [--engine quasistatic|transient] [--out DIR]',
    description:
      'Per C_mem: nominal spike time of every level m, number of distinct registered spike times, latency (the last representable spike) and energy 1/2*C*V_th^2. quasistatic: one DC sweep serves every C; transient: every C and level simulated.',
    examples: ['capmin sweep-cap --from 1p --to 150p --steps 30', 'capmin sweep-cap --from 5p --to 20p --steps 16 --scale lin --engine transient'],
  },
  size: {
    summary: 'smallest C_mem that represents a set of levels',
    usage: '--levels 9..22 [--margin-cycles 1] [--mapping natural|shifted|both] [--verify transient|quasistatic] [--tol 0.005]',
    description:
      "Smallest C_mem at which the kept levels' registered spike times are distinct (>= N clock cycles apart), by bisection with each step simulated; the same for all a+1 levels (baseline) and the ratio (paper: 135.2 pF -> 9.6 pF, 14x).",
    examples: ['capmin size --levels 9..22', 'capmin size --levels 9..22 --mapping shifted --verify quasistatic'],
  },
  fmac: {
    summary: 'MAC-level histogram F_MAC of a BNN over a dataset',
    usage: '[--model FILE] [--dataset fashion] [--split train] [--out DIR]',
    description:
      'F_MAC (paper Fig. 1): how often each sub-MAC level m = # conducting cells (0..a) occurs in error-free forward passes, per analog-array layer and summed over layers. MAC value of a full chunk = a - 2m. Re-running with identical inputs reuses the stored result.',
    examples: ['capmin fmac', 'capmin fmac --model models/vgg3-fashion.safetensors --split test --limit 1000 --json'],
  },
  eval: {
    summary: 'BNN test accuracy with clipping and/or a P_map error model',
    usage: '[--model FILE] [--clip LO,HI] [--pmap FILE] [--runs 3] [--seed 1]',
    description:
      'Test accuracy with every sub-MAC (chunk of a cells) of every analog-array layer passed through CapMin clipping (levels outside [LO, HI] read as the nearest bound) and then, with --pmap, a read level drawn from the P_map row of the clipped level (one independent draw per chunk per image).',
    examples: ['capmin eval --clip 9,22', 'capmin eval --model models/vgg3-fashion.safetensors --clip 9,22 --pmap runs/pmap-9p6/pmap.csv --runs 3', 'capmin eval --pmap runs/clip-k14.npy'],
  },
  train: {
    summary: 'train a binarized network (VGG3 on Fashion-MNIST by default)',
    usage: '--epochs N [--arch vgg3] [--dataset fashion] [--batch 256] [--lr 1e-3] [--out DIR] [--resume | --fresh]',
    description:
      'Binarized training as in the paper (Sec. IV-A): latent float weights binarized with sign in the forward pass, straight-through estimator (hardtanh gradient), BatchNorm (momentum 0.1), modified hinge loss with b = 128, Adam (lr halved every 10 epochs), learnable output scale. A resumable state is kept every epoch; the best epoch is exported in the engine\'s compact form. GEMM: the OpenBLAS addon when built, else WebAssembly SIMD, else TypeScript; CAPMIN_GEMM=wasm|ts forces one.',
    examples: ['capmin train --epochs 30', 'capmin train --epochs 40 --resume --out runs/train-vgg3-fashion'],
  },
  levels: {
    summary: 'CapMin: the k most frequent levels and clipping bounds (Eq. 4)',
    usage: '--fmac FILE [--k 14] [--direct-mapping FILE.npy]',
    description:
      'CapMin (paper Sec. III-A, Eq. 4): keep the K most frequent MAC levels of an F_MAC histogram and report the clipping bounds [lo, hi]: the contiguous window of K levels with the largest total frequency (equal to the K most frequent levels whenever those are contiguous).',
    examples: ['capmin levels --fmac runs/fmac/vgg3-fashion-fashion-train/fmac.json --k 14', 'capmin levels --fmac fmac.json --k 14 --direct-mapping runs/clip-k14.npy'],
  },
  merge: {
    summary: 'CapMin-V: merge spike times phi times (Alg. 1)',
    usage: '--pmap FILE --spikes FILE --phi N [--levels 9..24] [--merge-toward lower|higher] [--pad paper|bound]',
    description:
      "CapMin-V (paper Alg. 1): starting from the P_map of CapMin's kept levels, merge the spike time with the smallest diagonal entry into a neighbour, N times (boundaries merge inward); then pad back to the clipped range.",
    examples: ['capmin merge --pmap runs/pmap-16/pmap.csv --spikes spikes.json --phi 4', 'capmin merge --pmap P.csv --spikes spikes.json --phi 4 --levels 9..24 --merge-toward higher'],
  },
  run: {
    summary: 'the end-to-end CapMin / CapMin-V pipeline and report',
    usage: '[--quick] [--out DIR] [--ks LIST] [--phi-from K0] [--phis LIST] [--samples N] [--runs N] [--workers N]',
    description:
      "The paper's experiments end to end: F_MAC -> per k CapMin levels, smallest SPICE-verified C_mem, accuracy without and under variation (Monte-Carlo P_map) -> CapMin-V from k0 -> smallest capacitor within 1 pt of the error-free accuracy for baseline / CapMin / CapMin-V -> report.html. Cached and resumable: re-running the same command reuses every finished stage.",
    examples: ['capmin run --quick', 'capmin run --ks 33,16,14 --samples 500 --out runs/small'],
  },
};

// ---- help text ----

function defaultPart(o: ResolvedOption): string {
  if (o.required) return 'required';
  if (o.default !== undefined) return `default ${o.default}`;
  if (o.defaultText !== undefined) return `default ${o.defaultText}`;
  return '';
}

/** `--help` of a command, generated from the table: options with unit, range and default, examples, exit codes. */
export function helpText(cmd: CommandName): string {
  const doc = COMMANDS[cmd];
  const opts = commandOptions(cmd);
  const lines: string[] = [`usage: capmin ${cmd} ${doc.usage}`, '', wrap(doc.description, 0), ''];
  for (const g of GROUP_ORDER) {
    const inGroup = opts.filter((o) => o.group === g);
    if (!inGroup.length) continue;
    lines.push(`${GROUP_TITLES[g]}:`);
    for (const o of inGroup) {
      const head = `  --${o.name}${o.value ? ' ' + o.value : ''}`;
      const facts = [o.unit ? `unit ${o.unit}` : '', o.range ? `allowed ${o.range}` : '', defaultPart(o)].filter(Boolean).join('; ');
      const body = `${o.help}${facts ? ` (${facts})` : ''}`;
      lines.push(head.length < 24 ? `${head.padEnd(24)}${wrap(body, 24, 24)}` : `${head}\n${' '.repeat(24)}${wrap(body, 24, 24)}`);
    }
    lines.push('');
  }
  lines.push('  -h, --help            this text', '');
  lines.push('examples:', ...doc.examples.map((e) => `  ${e}`), '');
  lines.push(EXIT_CODES_TEXT);
  return lines.join('\n');
}

/** Word-wrap to 118 columns; continuation lines indented by `indent` (the first line starts at column `first`). */
function wrap(text: string, indent: number, first = indent): string {
  const width = 118;
  const words = text.split(/\s+/);
  const out: string[] = [];
  let line = '';
  let col = first;
  for (const w of words) {
    if (line && col + 1 + w.length > width) {
      out.push(line);
      line = w;
      col = indent + w.length;
    } else {
      line = line ? `${line} ${w}` : w;
      col += (line === w ? 0 : 1) + w.length;
    }
  }
  if (line) out.push(line);
  return out.join('\n' + ' '.repeat(indent));
}

// ---- parsing ----

/**
 * Old and alternative option names, answered with "did you mean". The value is the option that replaced it; it is
 * suggested only where the command takes it.
 */
export const OLD_NAMES: Record<string, OptionName[]> = {
  model: ['model-card'],
  fclk: ['f-clk'],
  jobs: ['workers'],
  threads: ['workers'],
  'array-size': ['cells'],
  a: ['cells'],
  toward: ['merge-toward'],
  'toward-lower': ['single-direction', 'merge-toward'],
  'state-dir': ['out'],
  limit: ['train-limit'],
};

/** Levenshtein distance (small strings only). */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length]![b.length]!;
}

/** The option of `cmd` the user most likely meant by `name`, or undefined. */
export function suggestOption(cmd: CommandName, name: string): string | undefined {
  const names = [...commandOptions(cmd).map((o) => o.name as string), 'help'];
  const old = OLD_NAMES[name]?.find((n) => names.includes(n));
  if (old) return old;
  // a one- or two-letter name (-V, --a) is too short to guess from its spelling
  if (name.length <= 2) return undefined;
  let best: string | undefined;
  let bestD = Infinity;
  for (const n of names) {
    const dist = editDistance(name.toLowerCase(), n);
    if (dist < bestD) {
      bestD = dist;
      best = n;
    }
  }
  // a prefix (--samp) or a close spelling (--seeed)
  const prefix = names.find((n) => name.length >= 3 && n.startsWith(name.toLowerCase()));
  if (prefix) return prefix;
  return best !== undefined && bestD <= Math.max(1, Math.floor(best.length / 3)) ? best : undefined;
}

/**
 * Parse a command's arguments against the table (src/util/args.ts refuses unknown options with "did you mean",
 * repeated options and positionals); then missing required options and plain-name violations are one-line errors.
 * `--help` prints the help and returns `help: true`; `--quiet` silences progress.
 */
export function parseCommand<C extends CommandName>(cmd: C, argv: string[]): { values: CommandValues<C>; help: boolean } {
  if (argv.some((a) => a === '--help' || a === '-h')) {
    process.stdout.write(helpText(cmd) + '\n');
    return { values: {} as CommandValues<C>, help: true };
  }
  const parsed = parseCommandArgs(argv, parserConfig(cmd) as CommandConfig<C>, { command: cmd, suggest: (n) => suggestOption(cmd, n) });
  const values = parsed as Record<string, string | boolean | undefined>;
  for (const o of commandOptions(cmd)) {
    const v = values[o.name];
    if (o.required && v === undefined) throw new CapminError(`--${o.name}: required${o.value ? ` (${o.value})` : ''}; see capmin ${cmd} --help`, 'EUSAGE', EXIT.USAGE);
    if (o.plainName && typeof v === 'string') checkPlainName(`--${o.name}`, v);
  }
  if (values.quiet) process.env.CAPMIN_QUIET = '1';
  return { values: parsed as CommandValues<C>, help: false };
}

const clip = (s: string): string => (s.length > 40 ? `${s.slice(0, 40)}…` : s);

/**
 * A file name that must stay inside the output folder: not empty, no path separator, no `..`, not absolute, no
 * control characters.
 */
export function checkPlainName(field: string, name: string): string {
  if (name.length === 0 || name.length > 255) throw new CapminError(`${field}: '${clip(name)}' must be a file name of 1..255 characters`, 'EINPUT', EXIT.USAGE);
  // eslint-disable-next-line no-control-regex
  if (isAbsolute(name) || /[/\\\u0000-\u001f\u007f]/.test(name) || name === '.' || name === '..' || name.includes('..')) {
    throw new CapminError(`${field}: '${clip(name)}' must be a plain file name inside the output folder (no folder, no '..', not absolute)`, 'EINPUT', EXIT.USAGE);
  }
  return name;
}
