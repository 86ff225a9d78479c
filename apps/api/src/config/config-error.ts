/**
 * A start-up failure the operator can fix: printed as one line naming the variable, exit code 1.
 * Anything that is not a ConfigError is a bug and keeps its stack trace.
 */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    detail: string,
  ) {
    super(`${variable}: ${detail}`);
    this.name = 'ConfigError';
  }
}
