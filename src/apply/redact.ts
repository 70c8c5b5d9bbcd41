/** Scrubs the secret values a run has revealed out of messages bound for output, logs or state. */

/** Values shorter than this are too common to scrub (they would mangle ordinary words). */
const MIN_LENGTH = 4;
const MASK = '(sensitive value)';

/** `message` with every occurrence of each value replaced by "(sensitive value)". Pure. */
export function redact(message: string, values: Iterable<string>): string {
  let out = message;
  for (const v of values) out = out.split(v).join(MASK);
  return out;
}

/** The secret values one run has resolved, so that no provider error can carry one out. */
export class Redactor {
  private revealed = new Set<string>();

  /** Remember a value that was handed to a provider. */
  reveal(value: string | undefined): void {
    if (value && value.length >= MIN_LENGTH) this.revealed.add(value);
  }

  redact(message: string): string {
    return redact(message, this.revealed);
  }
}
