/** The order of a plan's steps as a graph. Pure, O(steps + dependencies). */
import { Graph } from '../dag/graph.js';
import type { Step } from '../plan/planner.js';

/**
 * A change depends on the changes (not deletes) of what it depends on; a delete depends on the
 * deletes of the resources that depended on it (by their recorded dependencies), so dependents go
 * first. Creates and deletes are not ordered against each other.
 */
export function stepGraph(steps: ReadonlyMap<string, Step>): Graph {
  const g = new Graph();
  for (const id of steps.keys()) g.add(id);
  for (const s of steps.values()) {
    if (s.action === 'delete') {
      for (const d of s.recorded?.deps ?? []) if (steps.get(d)?.action === 'delete') g.connect(d, s.id);
    } else {
      for (const d of s.dependsOn) {
        const dep = steps.get(d);
        if (dep && dep.action !== 'delete') g.connect(s.id, d);
      }
    }
  }
  return g;
}
