import { SetMetadata } from '@nestjs/common';

export const RESPONSE_MESSAGE = 'vgp:response-message';

/** The envelope's `message` for a successful response of this route. */
export const ResponseMessage = (message: string) => SetMetadata(RESPONSE_MESSAGE, message);

/** Returned by a handler whose success message depends on the result. */
export class Messaged<T> {
  constructor(
    readonly data: T,
    readonly message: string,
  ) {}
}

export { RAW_RESPONSE, RawResponse } from '@vgp/observability';
