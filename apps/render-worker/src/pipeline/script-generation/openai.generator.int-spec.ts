import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { analyzeContent } from '../content-analysis/content-analysis.js';
import { PipelineError } from '../pipeline.errors.js';
import { ChatCompletionsScriptGenerator, extractJson } from './openai.generator.js';
import { ScriptGenerators } from './script-generators.js';

const good = {
  title: 'Photosynthesis',
  description: 'How plants make food',
  tags: ['biology'],
  scenes: [1, 2, 3, 4].map((i) => ({ heading: `Scene ${i}`, narration: [`Sentence ${i}.`], bullets: ['Light', 'Water'], ...(i === 2 ? { formula: '6CO_2 + 6H_2O \\rightarrow C_6H_{12}O_6 + 6O_2' } : {}) })),
};

interface Seen {
  auth?: string;
  body: { model: string; messages: Array<{ role: string; content: string }>; response_format?: unknown };
}

/** A local server speaking the OpenAI chat-completions protocol, answering from a script of replies. */
function provider(replies: Array<{ status?: number; content?: string; raw?: string }>, seen: Seen[]): Server {
  return createServer((req: IncomingMessage, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      seen.push({ auth: req.headers.authorization, body: JSON.parse(data) });
      const r = replies.shift() ?? { status: 500 };
      res.writeHead(r.status ?? 200, { 'content-type': 'application/json' });
      res.end(r.raw ?? JSON.stringify({ id: 'c1', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: r.content ?? '' }, finish_reason: 'stop' }] }));
    });
  });
}

describe('chat-completions script generator (local OpenAI-compatible server)', () => {
  const seen: Seen[] = [];
  const replies: Array<{ status?: number; content?: string; raw?: string }> = [];
  let server: Server;
  let baseUrl: string;
  const gen = () => new ChatCompletionsScriptGenerator({ baseUrl, apiKey: 'sk-test', model: 'tiny-1', timeoutMs: 5000 });
  const analysis = analyzeContent('Photosynthesis', 'Plants and light', []);

  beforeAll(async () => {
    server = provider(replies, seen);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('asks for JSON with the schema and takes a valid script', async () => {
    replies.push({ content: `Here you go:\n\`\`\`json\n${JSON.stringify(good)}\n\`\`\`` });
    const s = await gen().generate(analysis, {});
    expect(s.generator).toBe('tiny-1');
    expect(s.scenes).toHaveLength(4);
    expect(s.scenes[1].formula).toContain('\\rightarrow');
    const last = seen[seen.length - 1];
    expect(last.auth).toBe('Bearer sk-test');
    expect(last.body.model).toBe('tiny-1');
    expect(last.body.response_format).toEqual({ type: 'json_object' });
    expect(last.body.messages[0].content).toContain('"scenes"');
    expect(last.body.messages[1].content).toContain('Topic: Photosynthesis');
  });

  it('repairs once: a reply that breaks the schema is sent back with its errors', async () => {
    const n = seen.length;
    replies.push({ content: JSON.stringify({ title: 'x', scenes: [] }) }, { content: JSON.stringify(good) });
    const s = await gen().generate(analysis, {});
    expect(s.title).toBe('Photosynthesis');
    expect(seen.length - n).toBe(2);
    const repair = seen[seen.length - 1].body.messages;
    expect(repair[repair.length - 1].content).toMatch(/does not match the schema: \/scenes must NOT have fewer than 4 items/);
  });

  it('fails with CONTENT_GENERATION_FAILED after a failed repair', async () => {
    replies.push({ content: 'not json at all' }, { content: '{"title": 5}' });
    const err = await gen()
      .generate(analysis, {})
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PipelineError);
    expect(err).toMatchObject({ code: 'CONTENT_GENERATION_FAILED', retryable: false, details: { model: 'tiny-1', attempts: 2, schema_errors: expect.any(Array) } });
  });

  it('treats provider outages as retryable and refusals as content failures', async () => {
    replies.push({ status: 503, raw: '{}' });
    await expect(gen().generate(analysis, {})).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryable: true });
    replies.push({ status: 400, raw: '{"error":{"message":"content policy"}}' });
    await expect(gen().generate(analysis, {})).rejects.toMatchObject({ code: 'CONTENT_GENERATION_FAILED', retryable: false, details: { status: 400 } });
    const down = new ChatCompletionsScriptGenerator({ baseUrl: 'http://127.0.0.1:9/v1', apiKey: '', model: 'm', timeoutMs: 1000 });
    await expect(down.generate(analysis, {})).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryable: true });
  });

  it('picks generators by model name; unknown models fail cleanly', () => {
    const g = new ScriptGenerators({ baseUrl, apiKey: '', models: ['tiny-1'], timeoutMs: 1000 });
    expect(g.models()).toEqual(['builtin', 'tiny-1']);
    expect(g.for(undefined).constructor.name).toBe('BuiltinScriptGenerator');
    expect(g.for('tiny-1')).toBeInstanceOf(ChatCompletionsScriptGenerator);
    expect(() => g.for('gpt-unknown')).toThrow(PipelineError);
    expect(new ScriptGenerators({ baseUrl: '', apiKey: '', models: ['tiny-1'], timeoutMs: 1 }).models()).toEqual(['builtin']);
    expect(extractJson('junk {"a": {"b": 1}} trailing')).toEqual({ a: { b: 1 } });
  });
});
