import { describe, expect, it } from '@jest/globals';
import { AppError } from '@vgp/contracts';
import { nulInRequestTarget } from './nul-input.js';

const fieldOf = (err: AppError | null) => (err ? `${err.status} ${err.field_errors?.map((f) => `${f.field}:${f.code}`).join(',')}` : null);

describe('nulInRequestTarget', () => {
  it.each<[Record<string, unknown>, Record<string, unknown>, string | null]>([
    [{ tag: 'math', page: '2' }, { job_id: 'abc' }, null],
    [{ tag: 'a\0b' }, {}, '422 tag:INVALID_VALUE'],
    [{ tag: ['a', 'b\0'] }, {}, '422 tag:INVALID_VALUE'],
    [{ 'sea\0rch': '1' }, {}, '422 query:INVALID_VALUE'],
    [{}, { job_id: '\0' }, '422 job_id:INVALID_VALUE'],
    [{}, { job_id: 'ok', language: 'e\0n' }, '422 language:INVALID_VALUE'],
    [{}, { '*': 'x\0' }, '422 path:INVALID_VALUE'],
    // The query is named before the path.
    [{ level: '\0' }, { job_id: '\0' }, '422 level:INVALID_VALUE'],
  ])('%j %j → %s', (query, params, expected) => {
    expect(fieldOf(nulInRequestTarget(query, params))).toBe(expected);
  });
});
