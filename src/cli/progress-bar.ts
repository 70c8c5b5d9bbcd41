import type { ProgressEvent } from '../apply/executor.js';

/** What a progress bar shows: steps done of the total, the resources being worked on, the time since the first step. */
export interface BarState {
  done: number;
  failed: number;
  total: number;
  current: string[];
  startedAt: number;
}

export function newBar(now: number): BarState {
  return { done: 0, failed: 0, total: 0, current: [], startedAt: now };
}

/** The state after one event (pure). Skipped steps count as done: they will not run. */
export function advance(s: BarState, e: ProgressEvent): BarState {
  const total = Math.max(s.total, e.total);
  if (e.type === 'start') return { ...s, total, current: [...s.current, e.id] };
  const current = s.current.filter((id) => id !== e.id);
  return { ...s, total, current, done: s.done + 1, failed: s.failed + (e.type === 'failed' ? 1 : 0) };
}

/** One line, at most `width` characters: `[#####.....] 3/10  12.4s  File/a, File/b (+2)` (pure). */
export function renderBar(s: BarState, now: number, width = 80): string {
  const cells = 20;
  const filled = s.total ? Math.round((s.done / s.total) * cells) : 0;
  const secs = ((now - s.startedAt) / 1000).toFixed(1);
  const head = `[${'#'.repeat(filled)}${'.'.repeat(cells - filled)}] ${s.done}/${s.total}${s.failed ? ` (${s.failed} failed)` : ''}  ${secs}s  `;
  let names = '';
  for (let i = 0; i < s.current.length; i++) {
    const more = s.current.length - i - 1;
    const next = `${names ? `${names}, ` : ''}${s.current[i]}`;
    if (head.length + next.length + (more ? ` (+${more})`.length : 0) > width) {
      names = `${names}${names ? ' ' : ''}(+${s.current.length - i})`;
      break;
    }
    names = next;
  }
  return (head + names).slice(0, width);
}
