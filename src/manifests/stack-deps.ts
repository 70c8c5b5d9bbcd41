/** The stacks' declared order (`dependsOn` in driftless.yaml): a graph, and what is wrong with it. Pure. */
import { Graph } from '../dag/graph.js';
import type { RepoConfig } from './repo-config.js';

/** A problem with `stacks.<name>.dependsOn`, at `path` in driftless.yaml. */
export interface StackDepIssue {
  path: (string | number)[];
  message: string;
}

/** Every stack, each connected to the stacks it declares in `dependsOn` (unknown names left out). */
export function declaredStackGraph(config: RepoConfig): Graph {
  const g = new Graph();
  for (const name of Object.keys(config.stacks).sort()) g.add(name);
  for (const [name, s] of Object.entries(config.stacks)) {
    for (const dep of s.dependsOn ?? []) if (dep !== name && config.stacks[dep]) g.connect(name, dep);
  }
  return g;
}

/** Unknown stacks, a stack depending on itself, and cycles (named in order, at the edge that closes them). */
export function stackDependencyIssues(config: RepoConfig): StackDepIssue[] {
  const issues: StackDepIssue[] = [];
  const names = Object.keys(config.stacks).sort();
  for (const name of names) {
    (config.stacks[name].dependsOn ?? []).forEach((dep, i) => {
      const path = ['stacks', name, 'dependsOn', i];
      if (dep === name) issues.push({ path, message: `stacks.${name}.dependsOn: a stack cannot depend on itself` });
      else if (!config.stacks[dep])
        issues.push({ path, message: `stacks.${name}.dependsOn: names stack ${dep}, which driftless.yaml does not declare (stacks: ${names.join(', ')})` });
    });
  }
  if (issues.length) return issues;
  const cycle = declaredStackGraph(config).findCycle();
  if (cycle) {
    const [from, to] = cycle;
    const i = config.stacks[from].dependsOn!.indexOf(to);
    issues.push({ path: ['stacks', from, 'dependsOn', i], message: `stack dependency cycle: ${cycle.join(' -> ')}` });
  }
  return issues;
}

/** Every stack `stack` waits for, directly or through others (its ancestors), sorted. */
export function ancestors(graph: Graph, stack: string): string[] {
  const seen = new Set<string>();
  const todo = [...graph.dependencySet(stack)];
  while (todo.length) {
    const s = todo.pop()!;
    if (seen.has(s)) continue;
    seen.add(s);
    todo.push(...graph.dependencySet(s));
  }
  return [...seen].sort();
}
