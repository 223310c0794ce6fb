/**
 * One error type for everything a user can get wrong or the environment can lack.
 * The CLI prints `message` as a single line and exits with `exitCode`.
 */
export class CapminError extends Error {
  constructor(
    message: string,
    readonly code: string = 'EINPUT',
    readonly exitCode: number = 2,
  ) {
    super(message.replace(/\s*\n\s*/g, ' '));
    this.name = 'CapminError';
  }
}

/** Bad user input: names the field and what is allowed. */
export function inputError(field: string, problem: string): CapminError {
  return new CapminError(`${field}: ${problem}`, 'EINPUT', 2);
}
