import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import multipart from '@fastify/multipart';
import Fastify, { type FastifyInstance } from 'fastify';
import { request } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { drain } from './upload.service.js';

/** POSTs a multipart body in one write and answers the status and body (or rejects after `ms`). */
function post(port: number, body: Buffer, boundary: string, ms = 5000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ port, host: '127.0.0.1', method: 'POST', path: '/up', headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': body.length } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.setTimeout(ms, () => req.destroy(new Error(`no answer within ${ms} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

describe('drain (the rest of a multipart part the upload refused)', () => {
  let app: FastifyInstance;
  let port: number;

  beforeAll(async () => {
    app = Fastify();
    await app.register(multipart);
    app.post('/up', async (req) => {
      const seen: unknown[] = [];
      // As the upload service asks: a file over the limit is cut (truncated), not an error.
      const options = { throwFileSizeLimit: false, limits: { fileSize: 1024 } };
      for await (const part of req.parts(options)) {
        if (part.type !== 'file') {
          seen.push(part.fieldname);
          continue;
        }
        // The file is far over the parser's limit, so the parser cut it and nothing held the rest of
        // the body back: the whole request arrives (and is freed) while the file stream, paused as
        // a refusing upload leaves it, still holds its end; as when storage fell behind an upload.
        if (!req.raw.readableEnded) await once(req.raw, 'end');
        part.file.pause();
        expect([req.raw.complete, req.raw.destroyed]).toEqual([true, true]);
        await drain(req, part);
        seen.push({ truncated: part.file.truncated, ended: part.file.readableEnded });
      }
      return seen;
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await app.close();
  });

  it('reads a cut-off file part to its end after the whole request arrived, so the parts that follow and the end of the form are reached', async () => {
    const boundary = '----vgpdrain';
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.txt"\r\nContent-Type: text/plain\r\n\r\n`),
      Buffer.alloc(4 * 1024 * 1024, 0x61),
      Buffer.from(`\r\n--${boundary}\r\nContent-Disposition: form-data; name="tags"\r\n\r\nx\r\n--${boundary}--\r\n`),
    ]);
    const res = await post(port, body, boundary);
    expect([res.status, JSON.parse(res.body)]).toEqual([200, [{ truncated: true, ended: true }, 'tags']]);
  });
});
