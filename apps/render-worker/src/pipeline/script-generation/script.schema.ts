import { Ajv, type ErrorObject } from 'ajv';
import { SCRIPT_LIMITS } from '../script.model.js';

/** JSON Schema of a script as a provider must return it. */
export const SCRIPT_JSON_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['title', 'scenes'],
  properties: {
    title: { type: 'string', minLength: 1, maxLength: SCRIPT_LIMITS.maxHeading },
    description: { type: 'string', maxLength: 1000 },
    tags: { type: 'array', maxItems: 10, items: { type: 'string', minLength: 1, maxLength: 40 } },
    scenes: {
      type: 'array',
      minItems: SCRIPT_LIMITS.minScenes,
      maxItems: SCRIPT_LIMITS.maxScenes,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['heading', 'narration'],
        properties: {
          heading: { type: 'string', minLength: 1, maxLength: SCRIPT_LIMITS.maxHeading },
          narration: {
            type: 'array',
            minItems: 1,
            maxItems: SCRIPT_LIMITS.maxSentences,
            items: { type: 'string', minLength: 1, maxLength: SCRIPT_LIMITS.maxSentence },
          },
          bullets: { type: 'array', maxItems: SCRIPT_LIMITS.maxBullets, items: { type: 'string', minLength: 1, maxLength: SCRIPT_LIMITS.maxBullet } },
          formula: { type: 'string', maxLength: SCRIPT_LIMITS.maxFormula },
          diagram: {
            type: 'object',
            additionalProperties: false,
            required: ['kind', 'labels'],
            properties: {
              kind: { enum: ['right_triangle', 'flow', 'bars'] },
              labels: { type: 'array', minItems: 1, maxItems: 6, items: { type: 'string', maxLength: 40 } },
              values: { type: 'array', maxItems: 6, items: { type: 'number', minimum: 0 } },
            },
          },
        },
      },
    },
  },
} as const;

const ajv = new Ajv({ allErrors: true, strict: false });
const validate = ajv.compile(SCRIPT_JSON_SCHEMA);

/** Schema errors of `value` as short readable lines; empty when valid. */
export function scriptSchemaErrors(value: unknown): string[] {
  if (validate(value)) return [];
  return (validate.errors ?? []).slice(0, 20).map((e: ErrorObject) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);
}
