/**
 * capmin's process exit codes, stable and documented (README, every `--help`). CapminError carries one of these;
 * SpiceError uses MISSING_DEPENDENCY for an ngspice that is not installed or too old.
 */
export const EXIT = {
  /** success */
  OK: 0,
  /** a simulation or another runtime step failed (ngspice error, timeout, disk full, …) */
  RUNTIME: 1,
  /** usage or input error: unknown or repeated option, bad value, unreadable input file */
  USAGE: 2,
  /** a dependency is missing (ngspice not installed or too old) */
  MISSING_DEPENDENCY: 3,
} as const;

/** One line for help texts and the README. */
export const EXIT_CODES_TEXT = `exit codes: ${EXIT.OK} ok, ${EXIT.RUNTIME} simulation or runtime failure, ${EXIT.USAGE} usage or input error, ${EXIT.MISSING_DEPENDENCY} missing dependency (ngspice)`;
