import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { advance, newBar, renderBar } from '../../src/cli/progress-bar.js';
import { applyProgress, type Io } from '../../src/cli/output.js';
import type { ProgressEvent } from '../../src/apply/executor.js';

const ev = (type: ProgressEvent['type'], id: string, o: Partial<ProgressEvent> = {}): ProgressEvent => ({ type, id, action: 'create', total: 4, ...o });

function io(tty: boolean): { io: Io; text: () => string } {
  let out = '';
  const err = Object.assign(
    new Writable({
      write(chunk, _e, cb) {
        out += String(chunk);
        cb();
      },
    }),
    { isTTY: tty, columns: 60 },
  );
  return { io: { out: err, err, stdinIsTTY: tty, ask: async () => '', env: {} }, text: () => out };
}

describe('apply progress', () => {
  it('counts done of total, lists the resources in progress, and the elapsed time', () => {
    let s = newBar(1000);
    s = advance(s, ev('start', 'File/a'));
    s = advance(s, ev('start', 'File/b'));
    expect(renderBar(s, 3500)).toBe('[....................] 0/4  2.5s  File/a, File/b');
    s = advance(s, ev('done', 'File/a', { ms: 5 }));
    s = advance(s, ev('failed', 'File/b', { error: 'boom' }));
    s = advance(s, ev('skipped', 'File/c'));
    expect(renderBar(s, 4000)).toBe('[###############.....] 3/4 (1 failed)  3.0s  ');
    // many resources at once: cut to the width, with how many more
    let m = newBar(0);
    for (let i = 0; i < 30; i++) m = advance(m, ev('start', `File/resource-${i}`, { total: 30 }));
    const line = renderBar(m, 0, 80);
    expect(line.length).toBeLessThanOrEqual(80);
    expect(line).toMatch(/File\/resource-0, .*\(\+\d+\)$/);
  });

  it('draws one bar in place on a terminal, and plain lines otherwise', () => {
    const t = io(true);
    let now = 0;
    const p = applyProgress(t.io, () => now);
    p.onProgress(ev('start', 'File/a', { total: 2 }));
    now = 1200;
    p.onProgress(ev('done', 'File/a', { total: 2, ms: 3 }));
    p.onProgress(ev('start', 'File/b', { total: 2 }));
    p.onProgress(ev('failed', 'File/b', { total: 2, error: 'no space' }));
    p.end();
    expect(t.text()).toContain('\r\x1b[2K[..........] 0/2'.replace('..........', '....................'));
    expect(t.text()).toContain('  ! File/b: create FAILED: no space\n');
    expect(t.text().endsWith('[####################] 2/2 (1 failed)  1.2s  \n')).toBe(true);
    const plain = io(false);
    const q = applyProgress(plain.io);
    q.onProgress(ev('start', 'File/a'));
    q.onProgress(ev('done', 'File/a', { ms: 7 }));
    q.end();
    expect(plain.text()).toBe('  + File/a: create ...\n  + File/a: create done (7 ms)\n');
  });
});
