import { ExtraErrorCode } from '@vgp/contracts';

/** A job failure with the code, details and retry decision reported to the jobs service. */
export class PipelineError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details: Record<string, any> = {},
    readonly retryable = false,
  ) {
    super(message);
    this.name = 'PipelineError';
  }
}

/** Content that cannot be generated from this input: a retry would not help. */
export function contentGenerationFailed(reason: string, suggestions: string[], extra: Record<string, any> = {}): PipelineError {
  return new PipelineError(ExtraErrorCode.CONTENT_GENERATION_FAILED, 'Failed to generate content for the given topic', { reason, suggestions, ...extra }, false);
}
