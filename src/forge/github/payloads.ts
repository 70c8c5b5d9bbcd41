import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

/**
 * Schemas of the parts of GitHub's webhook payloads that driftless reads: a delivery whose fields
 * have the wrong type (a `null` body, `number: 1e300`, `comment.id: "abc"`) is refused with 400 and
 * the reason, before anything is queued. Other fields are not constrained (GitHub adds fields).
 */

const id = { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER };
const str = { type: 'string' };
const user = { type: 'object', properties: { login: str, type: str } };
const repository = { type: 'object', required: ['full_name'], properties: { full_name: str } };

const schemas: Record<string, object> = {
  pull_request: {
    type: 'object',
    required: ['action', 'pull_request', 'repository'],
    properties: {
      action: str,
      number: id,
      repository,
      pull_request: {
        type: 'object',
        required: ['number', 'head', 'base'],
        properties: {
          number: id,
          draft: { type: 'boolean' },
          merged: { type: ['boolean', 'null'] },
          merge_commit_sha: { type: ['string', 'null'] },
          head: { type: 'object', required: ['sha'], properties: { sha: str } },
          base: { type: 'object', required: ['ref'], properties: { ref: str } },
        },
      },
    },
  },
  push: {
    type: 'object',
    required: ['ref', 'after', 'repository'],
    properties: { ref: str, after: str, deleted: { type: 'boolean' }, repository },
  },
  issue_comment: {
    type: 'object',
    required: ['action', 'issue', 'comment', 'repository'],
    properties: {
      action: str,
      repository,
      issue: { type: 'object', required: ['number'], properties: { number: id, pull_request: { type: ['object', 'null'] } } },
      comment: { type: 'object', required: ['id', 'body'], properties: { id, body: str, user } },
      sender: user,
    },
  },
  commit_comment: {
    type: 'object',
    required: ['action', 'comment', 'repository'],
    properties: {
      action: str,
      repository,
      comment: { type: 'object', required: ['id', 'body', 'commit_id'], properties: { id, body: str, commit_id: str, user } },
      sender: user,
    },
  },
};

let compiled: Map<string, ValidateFunction> | undefined;

function describe(e: ErrorObject): string {
  const at = e.instancePath || '(the payload)';
  if (e.keyword === 'required') return `${at}: missing ${(e.params as { missingProperty: string }).missingProperty}`;
  if (e.keyword === 'maximum' || e.keyword === 'minimum') return `${at}: ${e.message} (not an id GitHub sends)`;
  return `${at}: ${e.message}`;
}

/** Why a payload of `event` cannot be read, or null when it can (events driftless ignores are not checked). */
export function payloadProblem(event: string, payload: unknown): string | null {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return 'the payload is not a JSON object';
  if (!compiled) {
    const ajv = new Ajv({ allErrors: false, strict: false });
    compiled = new Map(Object.entries(schemas).map(([k, s]) => [k, ajv.compile(s)]));
  }
  const validate = compiled.get(event);
  if (!validate || validate(payload)) return null;
  return `${event} payload: ${describe(validate.errors![0])}`;
}
