import { describe, expect, it } from 'vitest';
import { Redactor, redact } from '../../src/apply/redact.js';

describe('redaction of secret values', () => {
  it('replaces every occurrence of every value', () => {
    expect(redact('open s3cr3t-pw: s3cr3t-pw refused (token abcd)', ['s3cr3t-pw', 'abcd'])).toBe(
      'open (sensitive value): (sensitive value) refused (token (sensitive value))',
    );
    expect(redact('nothing here', [])).toBe('nothing here');
  });

  it('scrubs only what was revealed, and not values too short to scrub safely', () => {
    const r = new Redactor();
    expect(r.redact('password hunter22')).toBe('password hunter22');
    r.reveal('hunter22');
    r.reveal('abc');
    r.reveal(undefined);
    r.reveal('');
    expect(r.redact('password hunter22 for abc')).toBe('password (sensitive value) for abc');
  });
});
