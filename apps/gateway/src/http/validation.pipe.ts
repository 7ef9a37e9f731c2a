import { type ArgumentMetadata, ValidationPipe } from '@nestjs/common';
import { AppError, FieldErrorCode, toFieldErrors } from '@vgp/contracts';

/** Bodies and queries checked against the DTOs; every invalid field reported with 422. */
export class ApiValidationPipe extends ValidationPipe {
  constructor() {
    super({
      transform: true,
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      stopAtFirstError: false,
      exceptionFactory: (errors) => AppError.validation(toFieldErrors(errors)),
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // A DTO body must be a JSON object: a missing body, an array or a bare string is one clear 422.
    if (metadata.type === 'body' && metadata.metatype && this.toValidate(metadata) && (typeof value !== 'object' || value === null || Array.isArray(value))) {
      throw AppError.validation([{ field: 'body', message: 'The request body must be a JSON object', code: value == null ? FieldErrorCode.MISSING_FIELD : FieldErrorCode.INVALID_TYPE }]);
    }
    return super.transform(value, metadata);
  }
}
