import { inspect } from 'node:util';

/**
 * A value read from the environment or a file at start-up (`{ fromEnv: NAME }`, `{ fromFile: PATH }`).
 * It prints as `(secret)` everywhere (string conversion, JSON, util.inspect, pino) and gives up its
 * content only through `reveal()`.
 */
export class SecretValue {
  readonly #value: string;
  constructor(
    value: string,
    readonly source: string,
  ) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return '(secret)';
  }
  toJSON(): string {
    return '(secret)';
  }
  [inspect.custom](): string {
    return `SecretValue(${this.source})`;
  }
}

/** The clear text of a config value that may or may not be a secret. */
export function reveal(value: unknown): string | undefined {
  if (value instanceof SecretValue) return value.reveal();
  if (typeof value === 'string') return value;
  return undefined;
}
