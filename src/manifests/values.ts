/** Values that YAML tags put into a manifest, resolved later by the planner and executor. */

const REF_RE = /^(?:([A-Za-z0-9][A-Za-z0-9_.-]{0,62}):)?([A-Za-z][A-Za-z0-9]*)\/([^\s.][^\s]*?)\.outputs\.([A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*)$/;

/**
 * `!ref Kind/name.outputs.field`: a value taken from another resource's outputs; `!ref
 * stack:Kind/name.outputs.field` takes it from a resource of another stack (`stack` is set).
 */
export class Ref {
  constructor(
    readonly target: string,
    readonly field: string[],
    readonly stack?: string,
  ) {}
  static parse(text: string): Ref | null {
    const m = REF_RE.exec(text.trim());
    if (!m) return null;
    return new Ref(`${m[2]}/${m[3]}`, m[4].split('.'), m[1]);
  }
  /** The referenced resource, `stack:Kind/name` for another stack's. */
  get resource(): string {
    return this.stack === undefined ? this.target : `${this.stack}:${this.target}`;
  }
  toString(): string {
    return `${this.resource}.outputs.${this.field.join('.')}`;
  }
  toJSON(): unknown {
    return { $ref: this.toString() };
  }
}

/** `!secret NAME`: a value resolved on the server side at apply time; never printed or stored. */
export class SecretRef {
  constructor(readonly name: string) {}
  toString(): string {
    return `(secret ${this.name})`;
  }
  toJSON(): unknown {
    return { $secret: this.name };
  }
}

/** A value that cannot be known before apply (a reference to a resource that changes). */
export const UNKNOWN = Object.freeze({ unknown: true as const });
export type Unknown = typeof UNKNOWN;
export function isUnknown(v: unknown): v is Unknown {
  return v === UNKNOWN;
}
