/** Values that YAML tags put into a manifest, resolved later by the planner and executor. */

const REF_RE = /^([A-Za-z][A-Za-z0-9]*)\/([^\s.][^\s]*?)\.outputs\.([A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*)$/;

/** `!ref Kind/name.outputs.field`: a value taken from another resource's outputs. */
export class Ref {
  constructor(
    readonly target: string,
    readonly field: string[],
  ) {}
  static parse(text: string): Ref | null {
    const m = REF_RE.exec(text.trim());
    if (!m) return null;
    return new Ref(`${m[1]}/${m[2]}`, m[3].split('.'));
  }
  toString(): string {
    return `${this.target}.outputs.${this.field.join('.')}`;
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
