/**
 * Summarise a V8 CPU profile (from `node --cpu-prof`): self time by function and by package/file,
 * and total (inclusive) time of chosen frames. `node dist/bench/profile.js FILE.cpuprofile [N]`.
 * To profile a cold plan: BENCH_CHILD_NODE_ARGS="--cpu-prof --cpu-prof-dir=bench/work/prof" npm run bench -- --scenario cold-plan -n 1
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export function summarize(p: Profile, top = 25): string {
  const self = new Map<number, number>();
  p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const short = (url: string) =>
    url
      .replace(/^file:\/\//, '')
      .replace(/.*node_modules\//, '')
      .replace(/.*\/dist\//, 'dist/');
  const fnKey = (n: Node) => `${n.callFrame.functionName || '(anonymous)'} ${short(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
  const pkg = (n: Node) => {
    const u = short(n.callFrame.url);
    if (!u) return n.callFrame.functionName || '(native)';
    const m = /^(@[^/]+\/[^/]+|[^/]+)\//.exec(u);
    return u.startsWith('dist/') ? u : m ? m[1] : u;
  };
  const agg = (key: (n: Node) => string) => {
    const m = new Map<string, number>();
    for (const [id, ms] of self) m.set(key(byId.get(id)!), (m.get(key(byId.get(id)!)) ?? 0) + ms);
    return [...m.entries()].sort((a, b) => b[1] - a[1]);
  };
  // Inclusive time per function name (each sample counted once per distinct function on its stack).
  const incl = new Map<string, number>();
  for (const [id, ms] of self) {
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const k = fnKey(byId.get(cur)!);
      if (seen.has(k)) continue;
      seen.add(k);
      incl.set(k, (incl.get(k) ?? 0) + ms);
    }
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const fmt = (rows: [string, number][]) =>
    rows
      .slice(0, top)
      .map(([k, ms]) => `${ms.toFixed(0).padStart(7)} ms ${((ms / total) * 100).toFixed(1).padStart(5)}%  ${k}`)
      .join('\n');
  return [
    `total sampled: ${total.toFixed(0)} ms`,
    '',
    '== self time by function ==',
    fmt(agg(fnKey)),
    '',
    '== self time by package / file ==',
    fmt(agg(pkg)),
    '',
    '== inclusive time by function ==',
    fmt([...incl.entries()].sort((a, b) => b[1] - a[1])),
  ].join('\n');
}

if (process.argv[1]?.endsWith('profile.js')) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: profile.js FILE.cpuprofile [TOP]\n');
    process.exit(2);
  }
  process.stdout.write(summarize(JSON.parse(readFileSync(file, 'utf8')) as Profile, Number(process.argv[3] ?? 25)) + '\n');
}
