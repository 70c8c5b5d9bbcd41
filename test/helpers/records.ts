import type { RecordedResource } from '../../src/plan/model.js';

/** A recorded fs resource as state holds it: kind and name from `id` (`File/a`), no outputs, no dependencies. */
export function recorded(id: string, spec: Record<string, unknown> = {}): RecordedResource {
  return {
    id,
    apiVersion: 'fs.driftless.dev/v1',
    kind: id.split('/')[0],
    name: id.split('/')[1],
    spec: spec as RecordedResource['spec'],
    outputs: {},
    deps: [],
    protect: false,
  };
}
