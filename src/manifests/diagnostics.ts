/** A problem a user can fix, located in the manifest repository. */
export interface Diagnostic {
  file: string;
  line: number;
  col: number;
  message: string;
  resourceId?: string;
  /** JSON pointer of the field, when the problem is about one (`/spec/mode`). */
  field?: string;
  severity?: 'error' | 'warning';
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = `${d.file}:${d.line}:${d.col}`;
  const what = d.resourceId ? `${d.resourceId}: ` : '';
  return `${where}: ${what}${d.message}`;
}

export function sortDiagnostics(ds: Diagnostic[]): Diagnostic[] {
  return [...ds].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.col - b.col || (a.message < b.message ? -1 : 1)));
}
