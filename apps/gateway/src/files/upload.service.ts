import { Inject, Injectable, Logger } from '@nestjs/common';
import type { MultipartFile, MultipartValue } from '@fastify/multipart';
import {
  AppError,
  type AuthContext,
  BATCH_UPLOAD_MAX_FILES,
  type BatchUploadResult,
  ErrorCode,
  FieldErrorCode,
  type FieldError,
  type FileMetadata,
  FilesSubjects,
  type FileType,
  findNul,
  nulFieldError,
  type RegisterFileRequest,
  type RejectedUpload,
  toFieldErrors,
  unsafeNameReason,
  UploadFieldsDto,
} from '@vgp/contracts';
import { NatsClient } from '@vgp/messaging';
import { MetricNames, MetricsService } from '@vgp/observability';
import { BLOB_STORAGE, type BlobStorage, BlobTooLargeError } from '@vgp/storage';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import type { FastifyRequest } from 'fastify';
import { createHash, randomUUID } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { finished } from 'node:stream/promises';
import { SNIFF_BYTES, sniffType } from './file-sniffer.js';

/**
 * How long the gateway waits for the files service to register an upload (reading media metadata
 * can take a while on large files), and the time within which that service may still write the
 * row: the margin covers the write, queueing the text job and the answer's way back. Without an
 * answer the bytes are removed, and no row can appear after that.
 */
const REGISTER_TIMEOUT_MS = 60_000;
const REGISTER_WITHIN_MS = 40_000;

/** Bytes of an upload in blob storage, sniffed and hashed, not yet registered. */
export interface StoredUpload {
  fileId: string;
  key: string;
  filename: string;
  originalFilename: string;
  mimeType: string;
  fileType: FileType;
  size: number;
  sha256: string;
}

export type UploadFields = Pick<UploadFieldsDto, 'file_type' | 'subdirectory' | 'description' | 'tags'>;

/** Passes bytes through and keeps the first `limit` of them for sniffing. */
class HeadCapture extends Transform {
  private readonly parts: Buffer[] = [];
  private kept = 0;

  constructor(private readonly limit: number) {
    super();
  }

  get head(): Buffer {
    return Buffer.concat(this.parts);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this.kept < this.limit) {
      const take = chunk.subarray(0, this.limit - this.kept);
      this.parts.push(Buffer.from(take));
      this.kept += take.length;
    }
    cb(null, chunk);
  }
}

const FIELD_NAMES = new Set(['file_type', 'subdirectory', 'description', 'tags']);

/** Blob keys carry the owner; an id outside the key alphabet is hashed. */
function ownerDir(userId: string): string {
  return /^[A-Za-z0-9_-]{1,64}$/.test(userId) ? userId : `u${createHash('sha256').update(userId).digest('hex').slice(0, 32)}`;
}

/**
 * Consumes the rest of a part so the multipart parser moves on: busboy finishes (and the parts
 * iterator ends) only once every file stream has ended, and a file stream that ended while paused
 * emits its end only when read, even after the whole request has arrived (the request then reads
 * as destroyed: it ended and was freed). Only a request that went away before its end has nothing
 * more to give: its part is destroyed instead.
 */
export async function drain(req: FastifyRequest, part: MultipartFile): Promise<void> {
  if (req.raw.destroyed && !req.raw.complete) {
    part.file.destroy();
    return;
  }
  part.file.resume();
  await finished(part.file).catch(() => undefined);
}

/**
 * Streams uploads into blob storage without holding them in memory: the caller's size limit is
 * enforced while the bytes arrive (nothing partial is kept), the SHA-256 is computed on the way,
 * the type is read from the first bytes, then the files service registers the metadata.
 */
@Injectable()
export class UploadService {
  private readonly logger = new Logger('Uploads');
  private readonly uploaded;

  constructor(
    @Inject(BLOB_STORAGE) private readonly storage: BlobStorage,
    private readonly nats: NatsClient,
    metrics: MetricsService,
  ) {
    this.uploaded = metrics.counter(MetricNames.uploadedBytes, 'Bytes of uploads stored', ['file_type']);
  }

  /** Most bytes the caller may upload in one file. */
  limitBytes(user: AuthContext): number {
    return Math.max(1, user.permissions.max_file_size_mb) * 1024 * 1024;
  }

  /** The multipart parts of a request, with limits; parser errors become envelope errors. */
  async *parts(req: FastifyRequest, user: AuthContext, maxFiles: number): AsyncGenerator<MultipartFile | MultipartValue> {
    const options = {
      preservePath: true,
      throwFileSizeLimit: false,
      limits: { fileSize: this.limitBytes(user) + 1, files: maxFiles, fields: 40, fieldSize: 16 * 1024, fieldNameSize: 100, parts: maxFiles + 40, headerPairs: 50 },
    };
    try {
      for await (const part of req.parts(options)) yield part;
    } catch (err) {
      if (err instanceof AppError) throw err;
      const code = (err as { code?: string }).code;
      if (code === 'FST_FILES_LIMIT' || code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT') {
        throw AppError.validation([{ field: 'files', message: `At most ${maxFiles === 1 ? 1 : BATCH_UPLOAD_MAX_FILES} file(s) and 40 fields per request`, code: FieldErrorCode.TOO_MANY_ITEMS }]);
      }
      throw new AppError(ErrorCode.INVALID_INPUT, 400, 'The multipart body could not be read');
    }
  }

  /** Stores one file part; always consumes it, so the next part can be read. Throws an AppError when refused. */
  async store(req: FastifyRequest, part: MultipartFile, user: AuthContext): Promise<StoredUpload> {
    const original = part.filename;
    const reason = unsafeNameReason(original);
    if (reason) {
      await drain(req, part);
      throw AppError.validation([{ field: 'filename', message: `filename ${reason}`, code: FieldErrorCode.INVALID_VALUE }], 'The file name is not acceptable');
    }
    const maxBytes = this.limitBytes(user);
    const fileId = randomUUID();
    const key = `files/${ownerDir(user.user_id)}/${fileId}`;
    const capture = new HeadCapture(SNIFF_BYTES);
    // Its errors reach the caller through put's pipeline; until put has attached it (after an
    // await), an error (a part the parser failed, a client gone) must not be an unhandled 'error'
    // event, which ended the whole gateway process.
    capture.on('error', () => undefined);
    // A client that goes away mid-upload must not leave a put waiting forever (pipe() does not
    // forward errors): the put fails and removes its temporary file.
    const abort = () => {
      if (!req.raw.complete) capture.destroy(new Error('The upload was interrupted'));
    };
    part.file.once('error', (err: Error) => capture.destroy(err));
    req.raw.once('close', abort);
    part.file.pipe(capture);
    // The parser may have failed this part (a body that ends inside it), or the client gone, before
    // the part was handed over here (the whole body had arrived): those events are past, and a
    // put left waiting for them would never end. Their state is read instead.
    const failed = part.file.errored ?? (part.file.destroyed && !part.file.readableEnded ? new Error('The upload was interrupted') : null);
    if (failed) capture.destroy(failed);
    else if (req.raw.destroyed) abort();
    let put;
    try {
      put = await this.storage.put(key, capture, { maxBytes });
    } catch (err) {
      part.file.unpipe(capture);
      await drain(req, part);
      if (err instanceof BlobTooLargeError || part.file.truncated) throw this.tooLarge(user, original);
      // The parser failed the part: the body is at fault, not the platform.
      if (part.file.errored) throw new AppError(ErrorCode.INVALID_INPUT, 400, 'The multipart body could not be read');
      throw err;
    } finally {
      req.raw.off('close', abort);
    }
    if (part.file.truncated) {
      await this.storage.delete(key);
      throw this.tooLarge(user, original);
    }
    if (put.size === 0) {
      await this.storage.delete(key);
      throw AppError.validation([{ field: 'file', message: 'The file is empty', code: FieldErrorCode.INVALID_VALUE }], 'The file is empty');
    }
    const sniffed = await sniffType(capture.head, original);
    if (!sniffed.allowed || !sniffed.mime) {
      await this.storage.delete(key);
      throw new AppError(ErrorCode.UNSUPPORTED_FILE_TYPE, 415, 'This type of file is not accepted (the type is read from the content, not the name)', {
        filename: original,
        detected_type: sniffed.mime ?? 'unknown',
      });
    }
    return {
      fileId,
      key,
      filename: `${fileId}.${sniffed.allowed.ext}`,
      originalFilename: original,
      mimeType: sniffed.mime,
      fileType: sniffed.allowed.file_type,
      size: put.size,
      sha256: put.sha256,
    };
  }

  /** The form fields, checked like a body (422 with field_errors). */
  checkFields(raw: Record<string, string[]>): UploadFields {
    const plain: Record<string, unknown> = {};
    for (const [name, values] of Object.entries(raw)) {
      if (name === 'tags') {
        plain.tags = values.flatMap((v) => {
          const t = v.trim();
          if (t.startsWith('[')) {
            try {
              const parsed: unknown = JSON.parse(t);
              // A tag is a string: an array or object in its place is reported as such, emptied, so
              // nothing nested thousands deep reaches the checks (it overflowed their stack: 500).
              if (Array.isArray(parsed)) return parsed.map((x: unknown) => (x !== null && typeof x === 'object' ? (Array.isArray(x) ? [] : {}) : x));
            } catch {
              // Not JSON: comma-separated.
            }
          }
          return t.split(',').map((s) => s.trim()).filter(Boolean);
        });
      } else {
        plain[name] = values.length === 1 ? values[0] : values;
      }
    }
    // A NUL character (U+0000) cannot be stored: named per field (`tags[1]`), before the other rules.
    const errors: FieldError[] = [];
    for (const [name, value] of Object.entries(plain)) {
      const nul = findNul(value, name);
      if (nul !== null) errors.push(nulFieldError(nul));
    }
    const named = new Set(errors.map((e) => e.field.replace(/\[\d+\]$/, '')));
    const dto = plainToInstance(UploadFieldsDto, plain);
    errors.push(...toFieldErrors(validateSync(dto, { whitelist: true, forbidNonWhitelisted: true })).filter((e) => !named.has(e.field.replace(/\[\d+\]$/, ''))));
    if (errors.length) throw AppError.validation(errors);
    return dto;
  }

  /** Collects a form field part. */
  addField(fields: Record<string, string[]>, part: MultipartValue): FieldError | null {
    if (!FIELD_NAMES.has(part.fieldname)) return { field: part.fieldname, message: `Unknown field: ${part.fieldname}`, code: FieldErrorCode.UNKNOWN_FIELD };
    if (part.valueTruncated) return { field: part.fieldname, message: `${part.fieldname} is too long`, code: FieldErrorCode.INVALID_LENGTH };
    // A part sent as application/json arrives parsed: its text is its JSON again (a JSON string, the
    // string). `{"a":1}` was stored as "[object Object]", and the tags `["a,b"]` became a and b.
    (fields[part.fieldname] ??= []).push(typeof part.value === 'string' ? part.value : JSON.stringify(part.value));
    return null;
  }

  /** Registers stored bytes with the files service; the bytes are removed when that fails. */
  async register(user: AuthContext, stored: StoredUpload, fields: UploadFields, requestId: string): Promise<FileMetadata> {
    if (fields.file_type && fields.file_type !== stored.fileType) {
      await this.discard(stored);
      throw new AppError(ErrorCode.UNSUPPORTED_FILE_TYPE, 415, `The content is ${stored.mimeType} (${stored.fileType}), not ${fields.file_type}`, {
        filename: stored.originalFilename,
        detected_type: stored.mimeType,
        declared_file_type: fields.file_type,
      });
    }
    const payload: RegisterFileRequest = {
      user,
      file_id: stored.fileId,
      key: stored.key,
      filename: stored.filename,
      original_filename: stored.originalFilename,
      file_type: stored.fileType,
      mime_type: stored.mimeType,
      file_size: stored.size,
      checksum: stored.sha256,
      description: fields.description,
      subdirectory: fields.subdirectory,
      tags: fields.tags,
      register_within_ms: REGISTER_WITHIN_MS,
    };
    try {
      // Reading media metadata can take a while on large files.
      const file = await this.nats.request<FileMetadata>(FilesSubjects.register, payload, { requestId, timeoutMs: REGISTER_TIMEOUT_MS });
      this.uploaded.inc({ file_type: stored.fileType }, stored.size);
      return file;
    } catch (err) {
      await this.discard(stored);
      throw err;
    }
  }

  /** `POST /files/upload`: one `file` part and the form fields; nothing is kept when anything is refused. */
  async uploadOne(req: FastifyRequest, user: AuthContext): Promise<FileMetadata> {
    const fields: Record<string, string[]> = {};
    const fieldErrors: FieldError[] = [];
    let stored: StoredUpload | undefined;
    let failure: unknown;
    try {
      for await (const part of this.parts(req, user, 1)) {
        if (part.type === 'field') {
          const e = this.addField(fields, part);
          if (e) fieldErrors.push(e);
        } else if (part.fieldname !== 'file') {
          await drain(req, part);
          fieldErrors.push({ field: part.fieldname, message: `Unknown file field: ${part.fieldname} (send the file as "file")`, code: FieldErrorCode.UNKNOWN_FIELD });
        } else {
          try {
            stored = await this.store(req, part, user);
          } catch (err) {
            failure = err;
          }
        }
      }
      if (failure) throw failure;
      if (fieldErrors.length) throw AppError.validation(fieldErrors);
      const checked = this.checkFields(fields);
      if (!stored) throw AppError.validation([{ field: 'file', message: 'A file part named "file" is required', code: FieldErrorCode.MISSING_FIELD }]);
      const toRegister = stored;
      stored = undefined;
      return await this.register(user, toRegister, checked, req.id);
    } finally {
      if (stored) await this.discard(stored);
    }
  }

  /** `POST /files/batch-upload`: up to 50 `files` parts; each is stored or rejected on its own. */
  async uploadBatch(req: FastifyRequest, user: AuthContext): Promise<BatchUploadResult> {
    const fields: Record<string, string[]> = {};
    const fieldErrors: FieldError[] = [];
    const stored: StoredUpload[] = [];
    const rejected: RejectedUpload[] = [];
    let count = 0;
    const reject = (filename: string, err: unknown) => {
      if (!(err instanceof AppError)) throw err;
      rejected.push({ filename, error: { code: err.code, status: err.status, message: err.message, ...(err.details ? { details: err.details } : {}), ...(err.field_errors ? { field_errors: err.field_errors } : {}) } });
    };
    let done = false;
    try {
      for await (const part of this.parts(req, user, BATCH_UPLOAD_MAX_FILES + 10)) {
        if (part.type === 'field') {
          const e = this.addField(fields, part);
          if (e) fieldErrors.push(e);
          continue;
        }
        if (part.fieldname !== 'files' && part.fieldname !== 'file') {
          await drain(req, part);
          fieldErrors.push({ field: part.fieldname, message: `Unknown file field: ${part.fieldname} (send the files as "files")`, code: FieldErrorCode.UNKNOWN_FIELD });
          continue;
        }
        if (++count > BATCH_UPLOAD_MAX_FILES) {
          await drain(req, part);
          reject(part.filename, AppError.validation([{ field: 'files', message: `At most ${BATCH_UPLOAD_MAX_FILES} files per batch`, code: FieldErrorCode.TOO_MANY_ITEMS }], `At most ${BATCH_UPLOAD_MAX_FILES} files per batch`));
          continue;
        }
        try {
          stored.push(await this.store(req, part, user));
        } catch (err) {
          reject(part.filename, err);
        }
      }
      if (fieldErrors.length) throw AppError.validation(fieldErrors);
      const checked = this.checkFields(fields);
      if (count === 0) throw AppError.validation([{ field: 'files', message: 'At least one file part named "files" is required', code: FieldErrorCode.MISSING_FIELD }]);
      const result: BatchUploadResult = { stored: [], rejected };
      // Registered one after another: each probe runs ffprobe/pdfinfo on the files service.
      while (stored.length) {
        const next = stored.shift() as StoredUpload;
        try {
          result.stored.push(await this.register(user, next, checked, req.id));
        } catch (err) {
          reject(next.originalFilename, err);
        }
      }
      done = true;
      return result;
    } finally {
      if (!done) for (const s of stored) await this.discard(s);
    }
  }

  async discard(stored: StoredUpload): Promise<void> {
    await this.storage.delete(stored.key).catch((err: Error) => this.logger.warn(`Could not remove ${stored.key}: ${err.message}`));
  }

  private tooLarge(user: AuthContext, filename: string): AppError {
    const mb = user.permissions.max_file_size_mb;
    return new AppError(ErrorCode.FILE_TOO_LARGE, 413, `The file is larger than your limit of ${mb} MB`, { filename, max_file_size_mb: mb });
  }
}
