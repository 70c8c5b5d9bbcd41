/**
 * Mermaid's own parser, in Node. Mermaid sanitises labels with DOMPurify, which without a DOM is a
 * stub lacking `addHook` and `sanitize`: parsing then fails on every diagram, valid or not. Those
 * two are given no-op stand-ins here (nothing is rendered, so nothing needs sanitising); the
 * flowchart grammar itself runs unchanged, so an invalid diagram still fails to parse.
 */
import DOMPurify from 'dompurify';

let loaded: Promise<{ parse(text: string): Promise<unknown> }> | undefined;

export function mermaidParser(): Promise<{ parse(text: string): Promise<unknown> }> {
  loaded ??= (async () => {
    const p = DOMPurify as unknown as Record<string, unknown>;
    if (typeof p.addHook !== 'function') {
      p.addHook = () => {};
      p.removeHook = () => {};
      p.removeHooks = () => {};
      p.sanitize = (s: string) => s;
    }
    return (await import('mermaid')).default;
  })();
  return loaded;
}

/** Parse a diagram with mermaid; resolves to its type, rejects with mermaid's parse error. */
export async function parseMermaid(text: string): Promise<string> {
  const m = await mermaidParser();
  const r = (await m.parse(text)) as { diagramType: string };
  return r.diagramType;
}
