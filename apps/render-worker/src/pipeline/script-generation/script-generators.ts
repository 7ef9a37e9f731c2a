import { contentGenerationFailed } from '../pipeline.errors.js';
import { BUILTIN_MODEL, BuiltinScriptGenerator, type ScriptGenerator } from './builtin.generator.js';
import { ChatCompletionsScriptGenerator } from './openai.generator.js';

export interface ProviderSettings {
  baseUrl: string;
  apiKey: string;
  models: string[];
  timeoutMs: number;
}

/** `configuration.model` → its generator: `builtin` (the default) or a configured provider model. */
export class ScriptGenerators {
  private readonly builtin = new BuiltinScriptGenerator();

  constructor(private readonly provider: ProviderSettings) {}

  /** Every model name this worker serves. */
  models(): string[] {
    return [BUILTIN_MODEL, ...(this.provider.baseUrl ? this.provider.models.filter((m) => m !== BUILTIN_MODEL) : [])];
  }

  for(model: string | undefined): ScriptGenerator {
    if (!model || model === BUILTIN_MODEL) return this.builtin;
    if (this.provider.baseUrl && this.provider.models.includes(model)) {
      return new ChatCompletionsScriptGenerator({ baseUrl: this.provider.baseUrl, apiKey: this.provider.apiKey, model, timeoutMs: this.provider.timeoutMs });
    }
    // The jobs service refuses unknown models at submission; this is the worker's own guard.
    throw contentGenerationFailed('Unknown script model', ['Use one of the available models'], { model, available_models: this.models() });
  }
}
