/** The internal shape of one kind: its SDK description plus the operations the session dispatches to. */
import type { Desired, KindInfo, Observed, Outputs, Recorded } from '../../sdk/provider.js';
import type { Connection } from './connection.js';

export interface KindImpl {
  info: KindInfo;
  /** Batched refresh: a bounded number of catalog queries for the whole list, results in input order. */
  readMany(conn: Connection, rs: Recorded[]): Promise<(Observed | null)[]>;
  create(conn: Connection, r: Desired): Promise<Outputs>;
  update(conn: Connection, r: Desired, prior: Recorded, changed: string[]): Promise<Outputs>;
  delete(conn: Connection, prior: Recorded): Promise<void>;
}

export function alreadyExists(what: string, id: string): string {
  return (
    `${what} already exists and is not managed by driftless. To take it over, set ` +
    '`metadata.import: true` in the manifest of ' +
    id +
    ': the next apply adopts the existing object ' +
    'and brings it to the declared state with ALTER statements (nothing is dropped or recreated).'
  );
}
