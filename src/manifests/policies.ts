import { parseManifestFile, locate } from './yaml.js';
import { builtinValidator } from './schema-registry.js';
import { loadSchema } from './schema-files.js';
import { configProblems } from '../config/schema-errors.js';
import type { Diagnostic } from './diagnostics.js';

/**
 * Policy files, `.driftless/policies/*.yaml`, and policy tests, `.driftless/policies/tests/*.yaml`:
 * parsed and checked against their JSON Schemas with positions. Pure: text in, values out. The rule
 * itself (CEL) is compiled by src/policy/.
 */

export const POLICIES_DIR = '.driftless/policies';
export const POLICY_TESTS_DIR = '.driftless/policies/tests';

export type PolicyLevel = 'advisory' | 'soft-mandatory' | 'hard-mandatory';
export type ChangeAction = 'create' | 'update' | 'replace' | 'delete';

/** Where a field of a policy file is written. */
export interface Place {
  line: number;
  col: number;
}

export interface PolicyFile {
  file: string;
  name: string;
  description?: string;
  level: PolicyLevel;
  match?: { stacks?: string[]; kinds?: string[]; actions?: ChangeAction[] };
  rule: string;
  message?: string;
  /** Where `name`, `rule` and `message` are written: CEL problems point into them. */
  at: { name: Place; rule: Place; message?: Place };
  /** The rule's and message's source lines (to place an offset inside a multi-line value). */
  source: string;
}

export interface ParsedPolicy {
  policy?: PolicyFile;
  diagnostics: Diagnostic[];
}

/** Is this path a policy file (directly in .driftless/policies/, YAML)? */
export function isPolicyPath(path: string): boolean {
  return path.startsWith(`${POLICIES_DIR}/`) && !path.slice(POLICIES_DIR.length + 1).includes('/') && /\.ya?ml$/.test(path);
}

/** Is this path a policy test (.driftless/policies/tests/*.yaml)? */
export function isPolicyTestPath(path: string): boolean {
  return path.startsWith(`${POLICY_TESTS_DIR}/`) && !path.slice(POLICY_TESTS_DIR.length + 1).includes('/') && /\.ya?ml$/.test(path);
}

function oneDocument(file: string, source: string): { value?: unknown; index: number; diagnostics: Diagnostic[] } {
  const parsed = parseManifestFile(file, source);
  if (parsed.diagnostics.length) return { index: 0, diagnostics: parsed.diagnostics };
  if (parsed.docs.length !== 1) return { index: 0, diagnostics: [{ file, line: 1, col: 1, message: `${file} must hold exactly one document` }] };
  return { value: parsed.docs[0].value, index: parsed.docs[0].index, diagnostics: [] };
}

function schemaProblems(file: string, source: string, index: number, value: unknown, schema: string): Diagnostic[] {
  const validator = builtinValidator(loadSchema(schema));
  if (validator(value)) return [];
  return configProblems(validator.errors ?? []).map((p) => {
    const pos = locate(source, index, p.path, p.target);
    return { file, line: pos.line, col: pos.col, message: p.message };
  });
}

/** Parse one policy file; a problem makes it unusable, reported at its line. */
export function parsePolicyFile(file: string, source: string): ParsedPolicy {
  const doc = oneDocument(file, source);
  if (doc.diagnostics.length) return { diagnostics: doc.diagnostics };
  const problems = schemaProblems(file, source, doc.index, doc.value, 'policy.schema.json');
  if (problems.length) return { diagnostics: problems };
  const v = doc.value as Omit<PolicyFile, 'file' | 'at' | 'source'>;
  const place = (key: string) => locate(source, doc.index, [key]);
  return {
    policy: {
      file,
      name: v.name,
      ...(v.description !== undefined ? { description: v.description } : {}),
      level: v.level,
      ...(v.match ? { match: v.match } : {}),
      rule: v.rule,
      ...(v.message !== undefined ? { message: v.message } : {}),
      at: { name: place('name'), rule: place('rule'), ...(v.message !== undefined ? { message: place('message') } : {}) },
      source,
    },
    diagnostics: [],
  };
}

/**
 * The place in the file of an offset inside a string value written at `at`: the value's line of
 * that offset is looked up in the source from `at` on (a block scalar starts on the next line; a
 * quoted one after its quote). Falls back to `at`.
 */
export function placeInValue(source: string, at: Place, value: string, offset: number): Place {
  const before = value.slice(0, offset);
  const lineNo = before.split('\n').length - 1;
  const lineText = value.split('\n')[lineNo] ?? '';
  const colInLine = before.length - (before.lastIndexOf('\n') + 1);
  const lines = source.split('\n');
  if (!lineText) return at;
  for (let l = at.line - 1; l < lines.length; l++) {
    const j = lines[l].indexOf(lineText, l === at.line - 1 ? at.col - 1 : 0);
    if (j >= 0) return { line: l + 1, col: j + colInLine + 1 };
  }
  return at;
}

export interface PolicyTestFile {
  file: string;
  policy: string;
  change?: { id: string; kind: string; action: ChangeAction; before?: Record<string, unknown>; after?: Record<string, unknown>; diff?: unknown[] };
  stack?: string;
  pr?: Record<string, unknown>;
  expect: 'pass' | 'fail' | 'skip';
  at: Place;
}

/** Parse one policy test. */
export function parsePolicyTest(file: string, source: string): { test?: PolicyTestFile; diagnostics: Diagnostic[] } {
  const doc = oneDocument(file, source);
  if (doc.diagnostics.length) return { diagnostics: doc.diagnostics };
  const problems = schemaProblems(file, source, doc.index, doc.value, 'policy-test.schema.json');
  if (problems.length) return { diagnostics: problems };
  const v = doc.value as Omit<PolicyTestFile, 'file' | 'at'>;
  return { test: { ...v, file, at: locate(source, doc.index, ['policy']) }, diagnostics: [] };
}
