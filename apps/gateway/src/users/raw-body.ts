import { Readable } from 'node:stream';
import { AppError, ExtraErrorCode } from '@vgp/contracts';
import type { FastifyInstance, FastifyRequest } from 'fastify';

export type RawBodyRequest = FastifyRequest & { rawBody?: Buffer };

/**
 * Keeps the exact bytes of the body of the given routes (signature checks need them) while the
 * JSON parser still parses it: a `preParsing` hook reads the stream once and hands the parser a
 * copy. Every other route streams as before.
 */
export function keepRawBody(fastify: FastifyInstance, routes: ReadonlySet<string>, limit: number): void {
  fastify.addHook('preParsing', async (req: RawBodyRequest, _reply, payload) => {
    if (!routes.has(req.routeOptions?.url ?? '')) return payload;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of payload) {
      size += (chunk as Buffer).length;
      if (size > limit) throw new AppError(ExtraErrorCode.PAYLOAD_TOO_LARGE, 413, 'The request body is larger than allowed');
      chunks.push(chunk as Buffer);
    }
    req.rawBody = Buffer.concat(chunks);
    const copy = Readable.from([req.rawBody]) as Readable & { receivedEncodedLength?: number };
    copy.receivedEncodedLength = req.rawBody.length;
    return copy;
  });
}
