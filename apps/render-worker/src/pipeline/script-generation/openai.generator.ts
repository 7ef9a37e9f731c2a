import type { ContentAnalysis, Script, ScriptOptions } from '../script.model.js';
import { PipelineError, contentGenerationFailed } from '../pipeline.errors.js';
import type { ScriptGenerator } from './builtin.generator.js';
import { SCRIPT_JSON_SCHEMA, scriptSchemaErrors } from './script.schema.js';
import { cleanText } from '../text.util.js';

export interface ChatProviderOptions {
  baseUrl: string;
  apiKey: string;
  model: string;
  timeoutMs: number;
}

interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

const SYSTEM_PROMPT = [
  'You write scripts for short educational videos.',
  'Answer with one JSON object only, no prose, matching this JSON Schema:',
  JSON.stringify(SCRIPT_JSON_SCHEMA),
  'Each scene: a heading, narration as a list of short spoken sentences, up to 5 bullet points,',
  'optionally a formula in LaTeX (no dollar signs) and a simple diagram.',
].join('\n');

/** The JSON object inside a reply (which may be fenced in ```json ... ```). */
export function extractJson(text: string): unknown {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/i.exec(text);
  const body = (fenced ? fenced[1] : text).trim();
  const start = body.indexOf('{');
  const end = body.lastIndexOf('}');
  if (start < 0 || end < start) throw new SyntaxError('no JSON object in the reply');
  return JSON.parse(body.slice(start, end + 1));
}

/**
 * Asks an OpenAI-compatible chat-completions endpoint for the script as JSON, validates it against
 * the schema and, when it does not fit, asks once more with the errors (one repair attempt).
 */
export class ChatCompletionsScriptGenerator implements ScriptGenerator {
  constructor(private readonly o: ChatProviderOptions) {}

  async generate(a: ContentAnalysis, opts: ScriptOptions = {}, signal?: AbortSignal): Promise<Script> {
    const user = [
      `Topic: ${a.topic}`,
      a.context ? `Context: ${a.context}` : '',
      a.keyTerms.length ? `Key terms: ${a.keyTerms.join(', ')}` : '',
      a.formulas.length ? `Formulas: ${a.formulas.join(' ; ')}` : '',
      ...a.passages.map((p, i) => `Source ${i + 1} (${p.filename}): ${p.text.slice(0, 1500)}`),
      opts.sentencesPerScene ? `Use exactly ${opts.sentencesPerScene} narration sentence(s) per scene.` : '',
    ]
      .filter(Boolean)
      .join('\n');
    const messages: ChatMessage[] = [
      { role: 'system', content: SYSTEM_PROMPT },
      { role: 'user', content: user },
    ];
    let problems: string[] = [];
    for (let attempt = 0; attempt < 2; attempt++) {
      const reply = await this.complete(messages, signal);
      let parsed: unknown;
      try {
        parsed = extractJson(reply);
        problems = scriptSchemaErrors(parsed);
      } catch (err) {
        problems = [`not valid JSON: ${(err as Error).message}`];
      }
      if (!problems.length) return this.toScript(parsed as Omit<Script, 'generator'>);
      messages.push({ role: 'assistant', content: reply.slice(0, 20_000) });
      messages.push({ role: 'user', content: `That answer does not match the schema: ${problems.join('; ')}. Reply with the corrected JSON object only.` });
    }
    throw contentGenerationFailed('The script generator returned an invalid script', ['Try again with a more specific topic', 'Use the built-in generator'], {
      model: this.o.model,
      schema_errors: problems.slice(0, 10),
      attempts: 2,
    });
  }

  private toScript(raw: Omit<Script, 'generator'>): Script {
    return {
      title: cleanText(raw.title),
      description: cleanText(raw.description ?? ''),
      tags: raw.tags ?? [],
      scenes: raw.scenes.map((s) => ({ ...s, bullets: s.bullets ?? [], narration: s.narration.map(cleanText).filter(Boolean) })),
      generator: this.o.model,
    };
  }

  private async complete(messages: ChatMessage[], signal?: AbortSignal): Promise<string> {
    const timeout = AbortSignal.timeout(this.o.timeoutMs);
    const res = await fetch(`${this.o.baseUrl.replace(/\/+$/, '')}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(this.o.apiKey ? { authorization: `Bearer ${this.o.apiKey}` } : {}) },
      body: JSON.stringify({ model: this.o.model, messages, temperature: 0.2, response_format: { type: 'json_object' } }),
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    }).catch((err: Error) => {
      if (signal?.aborted) throw err;
      throw new PipelineError('SERVICE_UNAVAILABLE', `Script provider unreachable: ${err.message}`, { model: this.o.model }, true);
    });
    const text = await res.text();
    if (res.status === 429 || res.status >= 500) {
      throw new PipelineError('SERVICE_UNAVAILABLE', `Script provider answered ${res.status}`, { model: this.o.model, status: res.status }, true);
    }
    if (!res.ok) {
      throw contentGenerationFailed(`The script provider refused the request (${res.status})`, ['Check the topic and context', 'Use the built-in generator'], {
        model: this.o.model,
        status: res.status,
        provider_message: text.slice(0, 300),
      });
    }
    try {
      const body = JSON.parse(text) as { choices?: Array<{ message?: { content?: string; refusal?: string } }> };
      const msg = body.choices?.[0]?.message;
      if (msg?.refusal) throw contentGenerationFailed('The script provider refused the content', ['Rephrase the topic'], { model: this.o.model, refusal: msg.refusal.slice(0, 300) });
      return msg?.content ?? '';
    } catch (err) {
      if (err instanceof PipelineError) throw err;
      throw new PipelineError('SERVICE_UNAVAILABLE', 'Script provider answered malformed JSON', { model: this.o.model }, true);
    }
  }
}
