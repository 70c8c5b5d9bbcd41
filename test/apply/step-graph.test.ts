import { describe, expect, it } from 'vitest';
import { stepGraph } from '../../src/apply/step-graph.js';
import type { Step } from '../../src/plan/planner.js';
import type { RecordedResource } from '../../src/plan/model.js';

function recorded(id: string, deps: string[]): RecordedResource {
  const [kind, name] = id.split('/');
  return { id, apiVersion: 'fs.driftless.dev/v1', kind, name, spec: {}, outputs: {}, deps, protect: false };
}

function step(id: string, action: Step['action'], dependsOn: string[] = []): Step {
  return { id, action, diff: [], dependsOn, reason: 'test', recorded: action === 'create' ? undefined : recorded(id, dependsOn) };
}

const stepsOf = (...xs: Step[]) => new Map(xs.map((s) => [s.id, s]));

describe('stepGraph', () => {
  it('a change depends on the changes of what it depends on, not on unchanged resources or deletes', () => {
    const g = stepGraph(
      stepsOf(
        step('File/a', 'create', ['Directory/d', 'Directory/unchanged', 'File/gone']),
        step('Directory/d', 'update'),
        step('File/r', 'replace', ['File/a']),
        step('File/gone', 'delete'),
      ),
    );
    expect(g.nodes()).toEqual(['Directory/d', 'File/a', 'File/gone', 'File/r']);
    expect(g.dependencies('File/a')).toEqual(['Directory/d']);
    expect(g.dependencies('File/r')).toEqual(['File/a']);
    expect(g.dependencies('File/gone')).toEqual([]);
  });

  it('a delete depends on the deletes of what depended on it (recorded dependencies), so dependents go first', () => {
    const g = stepGraph(
      stepsOf(
        step('Directory/d', 'delete'),
        step('File/a', 'delete', ['Directory/d']),
        step('Symlink/l', 'delete', ['File/a', 'Directory/d']),
        step('File/kept', 'update', ['Directory/d']),
      ),
    );
    expect(g.dependencies('Directory/d')).toEqual(['File/a', 'Symlink/l']);
    expect(g.dependencies('File/a')).toEqual(['Symlink/l']);
    expect(g.dependencies('Symlink/l')).toEqual([]);
    expect(g.dependencies('File/kept')).toEqual([]);
    expect(g.topologicalOrder()).toEqual(['File/kept', 'Symlink/l', 'File/a', 'Directory/d']);
  });

  it('keeps the planned dependency order, so a skip names the first dependency that did not succeed', () => {
    const g = stepGraph(stepsOf(step('File/a', 'create', ['Directory/b', 'Directory/a']), step('Directory/a', 'create'), step('Directory/b', 'create')));
    expect([...g.dependencySet('File/a')]).toEqual(['Directory/b', 'Directory/a']);
  });
});
