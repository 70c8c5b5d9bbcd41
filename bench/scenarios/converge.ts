import { join } from 'node:path';
import { appendFileSync, mkdirSync, rmSync } from 'node:fs';
import type { Row, Scenario, ScenarioResult } from '../types.js';
import { generatedRepo, manifests, type ManifestSpec } from '../generate.js';
import { applyOnce, benchConfig, freshDataDir } from '../engine.js';
import { ensureAnsible, writePlaybook, runPlaybook } from '../ansible.js';
import type { ServerConfig } from '../../src/config/server-config.js';
import { median, spread, log, fmtMs, WORK_DIR } from '../util.js';

const converge = (config: ServerConfig) => applyOnce(config, { refresh: true });

/** Edit `count` managed files in place (outside driftless / Ansible), as drift to repair. */
function editFiles(root: string, files: ManifestSpec[], count: number, stamp: string): number {
  const n = Math.min(count, files.length);
  const step = Math.max(1, Math.floor(files.length / n));
  for (let i = 0; i < n; i++) appendFileSync(join(root, files[i * step].path), `# edited by hand ${stamp}\n`);
  return n;
}

/** The Ansible subset: the first `nFiles` files/links and the directories they live in. */
function subset(all: ManifestSpec[], nFiles: number): ManifestSpec[] {
  const leaves = all.filter((m) => m.kind !== 'Directory').slice(0, nFiles);
  const dirs = new Set<string>();
  for (const l of leaves) {
    const segs = l.path.split('/');
    for (let i = 1; i < segs.length; i++) dirs.add(segs.slice(0, i).join('/'));
  }
  return [...all.filter((m) => m.kind === 'Directory' && dirs.has(m.path)), ...leaves];
}

export const convergeScenario: Scenario = {
  name: 'converge',
  title: 'Converge files (fs provider) vs Ansible copy/file on localhost',
  async run(ctx): Promise<ScenarioResult> {
    const n = ctx.quick ? 100 : 1000;
    const ansibleFiles = ctx.quick ? 2 : 200;
    const repo = await generatedRepo(n);
    const all = manifests(n);
    const base = join(WORK_DIR, 'runs', 'converge');
    rmSync(base, { recursive: true, force: true });
    const phases = ['from empty', 'no-op re-run', 'repair 10 edited'] as const;
    const d: Record<string, number[]> = { 'from empty': [], 'no-op re-run': [], 'repair 10 edited': [] };
    const files = all.filter((m) => m.kind === 'File');
    for (let i = 0; i < ctx.warmup + ctx.iterations; i++) {
      const targetRoot = join(base, `target-${i}`);
      mkdirSync(targetRoot, { recursive: true });
      const dataDir = await freshDataDir(join(base, `data-${i}`));
      const config = benchConfig({ repoPath: repo.dir, dataDir, targetRoot });
      const empty = await converge(config);
      if (empty.changes !== repo.resources) throw new Error(`expected ${repo.resources} creates, got ${empty.changes}`);
      const noop = await converge(config);
      if (noop.changes !== 0) throw new Error(`expected a no-op re-run, got ${noop.changes} changes`);
      editFiles(targetRoot, files, 10, `run ${i}`);
      const repair = await converge(config);
      if (repair.changes !== 10) throw new Error(`expected 10 repairs, got ${repair.changes}`);
      rmSync(targetRoot, { recursive: true, force: true });
      rmSync(dataDir, { recursive: true, force: true });
      if (i < ctx.warmup) continue;
      d['from empty'].push(empty.ms);
      d['no-op re-run'].push(noop.ms);
      d['repair 10 edited'].push(repair.ms);
      log(`  converge ${i - ctx.warmup + 1}/${ctx.iterations}: empty ${fmtMs(empty.ms)}, no-op ${fmtMs(noop.ms)}, repair ${fmtMs(repair.ms)}`);
    }

    const notes: string[] = [];
    const a: Record<string, number> = {};
    let ansibleCount = 0;
    const ansible = await ensureAnsible(!ctx.quick);
    if (ansible.path) {
      const sub = subset(all, ansibleFiles);
      ansibleCount = sub.length;
      const root = join(base, 'ansible-target');
      mkdirSync(root, { recursive: true });
      const playbook = writePlaybook(join(base, 'ansible'), root, sub);
      const empty = await runPlaybook(ansible.path, playbook);
      if (empty.changed !== sub.length) throw new Error(`Ansible changed ${empty.changed} items from empty, expected ${sub.length}`);
      a['from empty'] = empty.ms;
      if (!ctx.quick) {
        // --quick runs the empty phase only (the playbook is the same; each run costs Ansible's start-up).
        const noop = await runPlaybook(ansible.path, playbook);
        const edited = editFiles(
          root,
          sub.filter((m) => m.kind === 'File'),
          10,
          'ansible',
        );
        const repair = await runPlaybook(ansible.path, playbook);
        if (noop.changed !== 0 || repair.changed !== edited) throw new Error(`Ansible changed ${noop.changed}/${repair.changed} items, expected 0/${edited}`);
        a['no-op re-run'] = noop.ms;
        a['repair 10 edited'] = repair.ms;
      }
      log(
        `  ansible (${sub.length} resources): ${Object.entries(a)
          .map(([k, v]) => `${k} ${fmtMs(v)}`)
          .join(', ')}`,
      );
      rmSync(root, { recursive: true, force: true });
    } else {
      notes.push(`Ansible peer not run: ${ansible.why}.`);
    }
    rmSync(base, { recursive: true, force: true });

    const rows: Row[] = phases.map((p) => {
      const per = median(d[p]) / repo.resources;
      const peer = ansibleCount && a[p] !== undefined ? a[p] / ansibleCount : null;
      const ratio = peer ? per / peer : null;
      return {
        scenario: `5 converge ${n} files`,
        metric: `${p} (per resource)`,
        unit: 'ms/resource',
        driftless: per,
        peer,
        peerName: 'ansible-playbook copy/file',
        ratio,
        target: '≥ 20× faster',
        pass: ctx.quick || ratio === null ? null : ratio <= 1 / 20,
        samples: { driftless: d[p].map((x) => x / repo.resources), peer: peer === null ? [] : [peer] },
        note: `driftless total ${fmtMs(median(d[p]))} for ${repo.resources}; Ansible ${ansibleCount ? fmtMs(a[p]) + ' for ' + ansibleCount : 'n/a'}`,
      };
    });
    notes.unshift(
      `driftless: ${repo.resources} resources (${Object.entries(repo.kinds)
        .map(([k, v]) => `${v} ${k}`)
        .join(', ')}), one full \`apply\` each ` +
        `(open workspace + embedded state, plan with refresh, execute with journal, close), fresh target and state per run. ` +
        `Ansible: one run of each phase on ${ansibleCount || ansibleFiles + '+'} of the same resources (ansible-playbook -c local, process start included); ` +
        `rates compared per resource. Totals: ${phases.map((p) => `${p} ${fmtMs(median(d[p]))}${a[p] ? ' vs ' + fmtMs(a[p]) : ''}`).join('; ')}. ` +
        `Spread: ${phases.map((p) => (spread(d[p]) * 100).toFixed(0) + '%').join(' / ')}.`,
    );
    return { name: this.name, title: `${this.title}, ${n} resources`, rows, notes, details: { n, d, a, ansibleCount } };
  },
};
