import { type ArgumentMetadata, ValidationPipe } from '@nestjs/common';
import { AppError, FieldErrorCode, inheritedKeyError, toFieldErrors } from '@vgp/contracts';
import { plainToInstance } from 'class-transformer';
import { validate, type ValidatorOptions } from 'class-validator';

const VALIDATOR_OPTIONS: ValidatorOptions = { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true, stopAtFirstError: false };

/** A DTO body must be a JSON object: a missing body, an array or a bare string is one clear 422. */
function assertObjectBody(value: unknown): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw AppError.validation([{ field: 'body', message: 'The request body must be a JSON object', code: value == null ? FieldErrorCode.MISSING_FIELD : FieldErrorCode.INVALID_TYPE }]);
  }
}

/**
 * A request body as an instance of its DTO, or a 422 naming every invalid field: the same rules
 * and options as `ApiValidationPipe`, without the pipe's generic steps (routes outside Nest's
 * pipeline; Fastify's JSON parser has already refused `__proto__`/`constructor` keys, and a key
 * named like another member every object inherits, such as `toString`, is refused here).
 */
export async function validateBody<T extends object>(metatype: new () => T, value: unknown): Promise<T> {
  assertObjectBody(value);
  const inherited = inheritedKeyError(value);
  if (inherited) throw inherited;
  const dto = plainToInstance(metatype, value);
  const errors = await validate(dto, VALIDATOR_OPTIONS);
  if (errors.length) throw AppError.validation(toFieldErrors(errors));
  return dto;
}

/** Bodies and queries checked against the DTOs; every invalid field reported with 422. */
export class ApiValidationPipe extends ValidationPipe {
  constructor() {
    super({ transform: true, ...VALIDATOR_OPTIONS, exceptionFactory: (errors) => AppError.validation(toFieldErrors(errors)) });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const checked = (metadata.type === 'body' || metadata.type === 'query') && metadata.metatype && this.toValidate(metadata);
    if (checked && metadata.type === 'body') assertObjectBody(value);
    // class-transformer would drop a `toString` or `valueOf` key unseen (an unknown field ignored,
    // free-form data lost): 422 on it instead.
    const inherited = checked ? inheritedKeyError(value) : null;
    if (inherited) throw inherited;
    return super.transform(value, metadata);
  }
}
