import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'vgp:public';

/** A route anyone may call without a token (health, metrics, public videos, signed links). */
export const Public = () => SetMetadata(IS_PUBLIC, true);

export const RAW_RESPONSE = 'vgp:raw-response';

/** A route whose reply is not wrapped in the API envelope (health, metrics, byte streams, SSE). */
export const RawResponse = () => SetMetadata(RAW_RESPONSE, true);

export const SIGNED_ACCESS = 'vgp:signed-access';

/**
 * A route that also serves a request without a token that carries a link signature (`expires`
 * and `signature` in the query); the route checks the signature itself. With a token, or without
 * a signature, the route is authenticated as any other.
 */
export const SignedAccess = () => SetMetadata(SIGNED_ACCESS, true);
