/**
 * Values by a pair of keys, the first an object held weakly (an immutable cached spec). Most first
 * keys have one second key, kept inline with its value; a second one widens the entry to a map
 * (`weak`: a WeakMap, for second keys that are objects and may be collected). Pure but for itself.
 */
export class PairCache<A extends object, B, V> {
  private entries = new WeakMap<A, { b: B; v: V } | Map<B, V> | WeakMap<B & object, V>>();

  constructor(private readonly weak = false) {}

  get(a: A, b: B): V | undefined {
    const e = this.entries.get(a);
    if (e instanceof Map || e instanceof WeakMap) return e.get(b as B & object);
    return e?.b === b ? e.v : undefined;
  }

  set(a: A, b: B, v: V): void {
    const e = this.entries.get(a);
    if (e instanceof Map || e instanceof WeakMap) e.set(b as B & object, v);
    else if (!e || e.b === b) this.entries.set(a, { b, v });
    else {
      const m = this.weak ? new WeakMap<B & object, V>() : new Map<B, V>();
      m.set(e.b as B & object, e.v);
      m.set(b as B & object, v);
      this.entries.set(a, m);
    }
  }
}
