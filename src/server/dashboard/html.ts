import type { WebLinks } from '../../forge/forge.js';
import type { DiffEntry } from '../../plan/model.js';
import { formatDiffLine } from '../../plan/render/values.js';

/** HTML that is already safe (built by `html`): inserted as it is. Everything else is escaped. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function esc(v: unknown): string {
  return String(v).replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

function piece(v: unknown): string {
  if (v instanceof Html) return v.text;
  if (Array.isArray(v)) return v.map(piece).join('');
  if (v === null || v === undefined || v === false) return '';
  return esc(v);
}

/** A template tag: every interpolated value is escaped unless it is Html (arrays are joined). */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += piece(values[i]) + strings[i + 1];
  return new Html(out);
}

/** The links of one page: the forge's (for commits and pull requests), or none. */
export interface PageContext {
  repo: string;
  links?: WebLinks;
}

/** The whole document: a header with the navigation, the page, the stylesheet and (optionally) the live-updates script. */
export function layout(o: { title: string; body: Html; ctx: PageContext; live?: boolean }): string {
  return `<!doctype html>${
    html`<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${o.title} · driftless</title><link rel="icon" href="data:,"><link rel="stylesheet" href="/assets/dashboard.css">${o.live ? html`<script src="/assets/live.js" defer></script>` : ''}</head>
<body><header><nav aria-label="main"><a class="brand" href="/">driftless</a> <span class="repo">${o.ctx.repo}</span> <a href="/">Stacks</a> <a href="/queue">Queue</a></nav></header>
<main>${o.body}</main></body></html>`.text
  }`;
}

export function short(sha: string | null | undefined): string {
  return sha ? sha.slice(0, 12) : '-';
}

/** A commit, linked to the forge when there is one. */
export function commitLink(sha: string | null | undefined, ctx: PageContext): Html {
  if (!sha) return html`<span class="muted">none</span>`;
  return ctx.links ? html`<a class="sha" href="${ctx.links.commit(sha)}">${short(sha)}</a>` : html`<code class="sha">${short(sha)}</code>`;
}

/** A pull request: its page here, and a link to the forge. */
export function pullLink(pr: number | null | undefined, ctx: PageContext): Html {
  if (!pr) return html``;
  return html`<a href="/pulls/${pr}">#${pr}</a>${ctx.links ? html` <a class="ext" href="${ctx.links.pull(pr)}" aria-label="pull request ${pr} on the forge">↗</a>` : ''}`;
}

export function time(iso: string | null | undefined): Html {
  if (!iso) return html`<span class="muted">-</span>`;
  return html`<time datetime="${iso}">${iso.replace('T', ' ').slice(0, 19)}Z</time>`;
}

export function duration(from: string, to: string | null): string {
  if (!to) return 'running';
  const ms = Date.parse(to) - Date.parse(from);
  return ms < 1000 ? `${ms} ms` : ms < 120_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 60_000)} min`;
}

export function badge(status: string): Html {
  return html`<span class="badge s-${status.replace(/[^a-z-]/g, '')}">${status}</span>`;
}

/** Field diffs as lines (+ added, - removed, ~ changed), values as the plan holds them: sensitive ones are masked there. */
export function diffLines(entries: readonly DiffEntry[], action?: string): Html {
  if (!entries.length) return html``;
  return html`<ul class="diff">${entries.map((e) => {
    const f = formatDiffLine(e, action);
    return html`<li class="d${f.sign === '~' ? 'c' : f.sign === '+' ? 'a' : 'r'}"><span aria-hidden="true">${f.sign}</span> ${f.text}</li>`;
  })}</ul>`;
}

export function table(head: string[], rows: Html[], empty: string): Html {
  if (!rows.length) return html`<p class="muted">${empty}</p>`;
  return html`<table><thead><tr>${head.map((h) => html`<th scope="col">${h}</th>`)}</tr></thead><tbody>${rows}</tbody></table>`;
}
