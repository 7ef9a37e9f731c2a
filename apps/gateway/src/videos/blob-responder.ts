import { Inject, Injectable, Logger } from '@nestjs/common';
import { AppError, ExtraErrorCode } from '@vgp/contracts';
import { MetricNames, MetricsService } from '@vgp/observability';
import { BLOB_STORAGE, type BlobStorage, type ByteRange, type OpenBlob, SendAbortedError } from '@vgp/storage';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { OutgoingHttpHeaders } from 'node:http';
import { contentDisposition, ifRangeHolds, notModified, parseRange } from './byte-range.js';

export interface BlobToSend {
  key: string;
  contentType: string;
  filename: string;
  disposition: 'attachment' | 'inline';
  /** Strong validator; the storage's own when absent. */
  etag?: string;
  /** 404 code when the bytes are missing. */
  notFoundCode: ExtraErrorCode;
  cache: 'private' | 'public';
  /**
   * Called once the response will carry bytes from the start of the body (200, or 206 from
   * byte 0): a view or download is counted once per such request, not per seek or revalidation.
   */
  onServe?: () => Promise<unknown>;
}

/**
 * Streams a blob to the client straight from storage (never through NATS or memory): ranges
 * (206), conditional requests (304), unsatisfiable ranges (416 in the envelope). A local file is
 * written to the socket through reused 1-2 MiB buffers (`OpenBlob.sendTo`); other drivers' bytes
 * go through Fastify as a stream.
 */
@Injectable()
export class BlobResponder {
  private readonly logger = new Logger('BlobResponder');
  private readonly streamed;

  constructor(
    @Inject(BLOB_STORAGE) private readonly storage: BlobStorage,
    metrics: MetricsService,
  ) {
    this.streamed = metrics.counter(MetricNames.streamedBytes, 'Bytes of videos and files streamed to clients', ['kind']);
  }

  async send(req: FastifyRequest, reply: FastifyReply, blob: BlobToSend): Promise<void> {
    const stat = await this.storage.stat(blob.key);
    if (!stat) throw AppError.notFound(blob.notFoundCode, blob.notFoundCode === ExtraErrorCode.FILE_NOT_FOUND ? 'file' : 'video asset');
    const etag = blob.etag ?? stat.etag;
    const lastModified = stat.modified_at;
    void reply
      .header('Accept-Ranges', 'bytes')
      .header('ETag', etag)
      .header('Last-Modified', lastModified.toUTCString())
      .header('Cache-Control', blob.cache === 'public' ? 'public, max-age=60' : 'private, no-cache')
      .header('X-Content-Type-Options', 'nosniff');
    const h = req.headers as Record<string, string | undefined>;
    if (notModified(h, etag, lastModified)) {
      void reply.status(304);
      if (req.method === 'HEAD') this.sendHead(reply);
      else await reply.send();
      return;
    }
    const parsed = ifRangeHolds(h['if-range'], etag, lastModified) ? parseRange(h.range, stat.size) : ({ kind: 'full' } as const);
    if (parsed.kind === 'unsatisfiable') {
      void reply.header('Content-Range', `bytes */${stat.size}`);
      throw new AppError(ExtraErrorCode.RANGE_NOT_SATISFIABLE, 416, `The requested range is not satisfiable: the body is ${stat.size} bytes`, { size: stat.size });
    }
    const range = parsed.kind === 'partial' ? parsed.range : undefined;
    const length = range ? range.end - range.start + 1 : stat.size;
    // Opened before anything is counted or answered: bytes gone since `stat` are still a 404. A
    // HEAD opens nothing and reads nothing (`sendHead`).
    let file: OpenBlob | null | undefined;
    if (length > 0 && req.method === 'GET' && this.storage.openFile) {
      file = await this.storage.openFile(blob.key);
      if (!file) throw AppError.notFound(blob.notFoundCode, blob.notFoundCode === ExtraErrorCode.FILE_NOT_FOUND ? 'file' : 'video asset');
    }
    try {
      if (req.method === 'GET' && (!range || range.start === 0)) await blob.onServe?.();
    } catch (err) {
      file?.close();
      throw err;
    }
    void reply.header('Content-Type', blob.contentType).header('Content-Length', String(length)).header('Content-Disposition', contentDisposition(blob.disposition, blob.filename));
    if (range) void reply.status(206).header('Content-Range', `bytes ${range.start}-${range.end}/${stat.size}`);
    else void reply.status(200);
    if (req.method === 'HEAD') {
      this.sendHead(reply);
      return;
    }
    this.streamed.inc({ kind: blob.notFoundCode === ExtraErrorCode.FILE_NOT_FOUND ? 'file' : 'video' }, length);
    if (length === 0) {
      await reply.send('');
      return;
    }
    if (file) {
      await this.sendFile(reply, file, range ?? { start: 0, end: stat.size - 1 });
      return;
    }
    await reply.send(this.storage.read(blob.key, range));
  }

  /**
   * HEAD: the head a GET would have (Content-Length, Content-Range...), no body, and nothing read
   * from storage. Written ourselves: Fastify's HEAD route would read a stream body to its end and
   * throw it away, and would set Content-Length to 0 for no body at all.
   */
  private sendHead(reply: FastifyReply): void {
    void reply.hijack();
    reply.raw.writeHead(reply.statusCode, reply.getHeaders() as OutgoingHttpHeaders);
    reply.raw.end();
  }

  /**
   * Writes the head and the bytes to the socket ourselves (Fastify's `onResponse` hooks still run
   * when the response finishes); a failure after the head went out can only cut the connection.
   */
  private async sendFile(reply: FastifyReply, file: OpenBlob, range: ByteRange): Promise<void> {
    void reply.hijack();
    const res = reply.raw;
    res.writeHead(reply.statusCode, reply.getHeaders() as OutgoingHttpHeaders);
    try {
      await file.sendTo(res, range);
      res.end();
    } catch (err) {
      if (!(err instanceof SendAbortedError)) this.logger.warn(`Sending ${range.start}-${range.end} failed: ${(err as Error).message}`);
      res.destroy();
    }
  }
}
