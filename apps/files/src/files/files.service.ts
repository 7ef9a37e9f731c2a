import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import {
  ALLOWED_UPLOAD_TYPES,
  AppError,
  type AuthContext,
  type CreateJobRequest,
  ErrorCode,
  ExtraErrorCode,
  type FileMetadata,
  type FileStatsView,
  FilesEvents,
  FieldErrorCode,
  FILE_TAGS_MAX,
  isUuid,
  type JobCreatedView,
  type JobRefRequest,
  JobPriority,
  JobsSubjects,
  JobType,
  type ListFilesRequest,
  paginate,
  type PaginatedResponse,
  type RegisterFileRequest,
  type ResolvedFile,
  type ResolveFileRequest,
  type RetrievedPassage,
  type SearchPassagesRequest,
  TEXT_EXTRACTABLE_TYPES,
  unsafeNameReason,
  VideoQuality,
  pageWindow,
} from '@vgp/contracts';
import { NatsClient } from '@vgp/messaging';
import { assertValidKey, BLOB_STORAGE, type BlobStorage, withLocalFile } from '@vgp/storage';
import type { Repository } from 'typeorm';
import { FilesConfig } from '../files.config.js';
import { FileEntity } from './file.entity.js';
import { toFileMetadata } from './file.mapper.js';
import { probeMedia } from './media-probe.js';
import { TextIndexer } from './text-indexer.service.js';

@Injectable()
export class FilesService {
  private readonly logger = new Logger('FilesService');

  constructor(
    @InjectRepository(FileEntity) private readonly files: Repository<FileEntity>,
    @Inject(BLOB_STORAGE) private readonly storage: BlobStorage,
    @Inject(NatsClient) private readonly nats: NatsClient,
    private readonly config: FilesConfig,
    private readonly indexer: TextIndexer,
  ) {}

  /** Records an upload the gateway stored: reads its metadata and queues its text for indexing. */
  async register(req: RegisterFileRequest): Promise<FileMetadata> {
    const arrived = Date.now();
    this.checkRegister(req);
    const stat = await this.storage.stat(req.key);
    if (!stat || stat.size !== req.file_size) throw AppError.notFound(ExtraErrorCode.FILE_NOT_FOUND, 'uploaded bytes', { key: req.key });
    const metadata = await withLocalFile(this.storage, req.key, (path) => probeMedia(path, req.file_type, req.mime_type, this.config.FILES_TOOL_TIMEOUT_MS)).catch(
      (err: Error) => {
        this.logger.warn(`Metadata of ${req.file_id} could not be read: ${err.message}`);
        return {};
      },
    );
    const extractable = (TEXT_EXTRACTABLE_TYPES as readonly string[]).includes(req.mime_type);
    const row = this.files.create({
      id: req.file_id,
      userId: req.user.user_id,
      filename: req.filename,
      originalFilename: req.original_filename,
      fileType: req.file_type,
      mimeType: req.mime_type,
      fileSize: req.file_size,
      checksum: req.checksum,
      storageKey: req.key,
      description: req.description ?? null,
      subdirectory: req.subdirectory ?? null,
      tags: [...new Set(req.tags ?? [])],
      metadata,
      textStatus: extractable ? 'queued' : 'none',
      textClaimedAt: null,
      textJobId: null,
      createdAt: new Date(),
    });
    // The gateway stops waiting a while after this and removes the bytes: a row written later would name none.
    const within = req.register_within_ms;
    if (typeof within === 'number' && Date.now() - arrived > within) {
      throw new AppError(ErrorCode.SERVICE_UNAVAILABLE, 503, 'The upload could not be registered in time; please upload it again', { waited_ms: Date.now() - arrived });
    }
    await this.files.insert(row);
    if (extractable) await this.queueTextJob(req, row);
    this.nats.publish(FilesEvents.uploaded, { file_id: row.id, user_id: row.userId, file_type: row.fileType, file_size: row.fileSize });
    return toFileMetadata(row);
  }

  /**
   * Text extraction runs as a `file_processing` job (the user sees it in their jobs, with its
   * events). When the jobs service cannot take it, the file is indexed here in the background.
   */
  private async queueTextJob(req: RegisterFileRequest, row: FileEntity): Promise<void> {
    try {
      const job = await this.nats.request<JobCreatedView>(
        JobsSubjects.create,
        {
          user: req.user,
          job_type: JobType.FILE_PROCESSING,
          priority: JobPriority.NORMAL,
          configuration: {
            topic: `Text of ${req.original_filename}`.slice(0, 500),
            context: 'Extract the text of an uploaded document for retrieval (use_rag)',
            quality: VideoQuality.LOW,
            use_rag: false,
            enable_subtitles: false,
            enable_thumbnails: false,
            output_format: 'mp4',
            custom_config: { file_id: row.id, mime_type: row.mimeType },
          },
        } satisfies CreateJobRequest,
        { timeoutMs: 5000 },
      );
      row.textJobId = job.job_id;
      await this.files.update({ id: row.id }, { textJobId: job.job_id });
    } catch (err) {
      this.logger.warn(`No file_processing job for ${row.id} (${(err as Error).message}); indexing it here`);
      row.textStatus = 'pending';
      await this.files.update({ id: row.id, textStatus: 'queued' }, { textStatus: 'pending' });
      this.indexer.wake();
    }
  }

  private checkRegister(req: RegisterFileRequest): void {
    const bad: string[] = [];
    if (!req?.user?.user_id) bad.push('user');
    if (!isUuid(req?.file_id)) bad.push('file_id');
    try {
      assertValidKey(req?.key);
    } catch {
      bad.push('key');
    }
    const allowed = ALLOWED_UPLOAD_TYPES[req?.mime_type];
    if (!allowed || allowed.file_type !== req.file_type) bad.push('mime_type');
    if (unsafeNameReason(req?.original_filename) !== null) bad.push('original_filename');
    if (req?.subdirectory !== undefined && unsafeNameReason(req.subdirectory, 100) !== null) bad.push('subdirectory');
    if (!Number.isInteger(req?.file_size) || req.file_size < 0) bad.push('file_size');
    if (typeof req?.checksum !== 'string' || !/^[0-9a-f]{64}$/.test(req.checksum)) bad.push('checksum');
    if (req?.tags !== undefined && (!Array.isArray(req.tags) || req.tags.length > FILE_TAGS_MAX)) bad.push('tags');
    if (bad.length) throw AppError.validation(bad.map((field) => ({ field, message: `${field} is invalid`, code: FieldErrorCode.INVALID_VALUE })), 'The file registration is invalid');
  }

  async get(user: AuthContext, fileId: string): Promise<FileMetadata> {
    return toFileMetadata(await this.findOwned(user, fileId));
  }

  async list(req: ListFilesRequest): Promise<PaginatedResponse<FileMetadata>> {
    const qb = this.files.createQueryBuilder('f').where('f.user_id = :user', { user: req.user.user_id });
    if (req.file_type) qb.andWhere('f.file_type = :type', { type: req.file_type });
    const order = req.sort_order === 'asc' ? 'ASC' : 'DESC';
    qb.orderBy('f.created_at', order).addOrderBy('f.id', order);
    const { page, per, offset } = pageWindow(req.page, req.items_per_page);
    qb.skip(offset).take(per);
    const [rows, total] = await qb.getManyAndCount();
    return paginate(rows.map(toFileMetadata), page, per, total);
  }

  /** Deletes the record (and its passages), then the bytes. */
  async remove(user: AuthContext, fileId: string): Promise<{ file_id: string; deleted: true }> {
    const e = await this.findOwned(user, fileId);
    await this.files.delete({ id: e.id });
    // Its text job has nothing left to do (a finished one answers 409, which is fine).
    if (e.textJobId && e.textStatus !== 'done' && e.textStatus !== 'failed') {
      await this.nats.request(JobsSubjects.cancel, { user, job_id: e.textJobId } satisfies JobRefRequest, { timeoutMs: 3000 }).catch(() => undefined);
    }
    await this.storage.delete(e.storageKey).catch((err: Error) => this.logger.warn(`Bytes of ${e.id} not removed: ${err.message}`));
    this.nats.publish(FilesEvents.deleted, { file_id: e.id, user_id: e.userId });
    return { file_id: e.id, deleted: true };
  }

  async stats(user: AuthContext): Promise<FileStatsView> {
    const rows: Array<{ file_type: string; n: string; bytes: string }> = await this.files.query(
      `SELECT file_type, count(*) AS n, coalesce(sum(file_size), 0) AS bytes FROM files.files WHERE user_id = $1 GROUP BY file_type ORDER BY file_type`,
      [user.user_id],
    );
    return {
      total_files: rows.reduce((a, r) => a + Number(r.n), 0),
      total_bytes: rows.reduce((a, r) => a + Number(r.bytes), 0),
      by_type: Object.fromEntries(rows.map((r) => [r.file_type, { files: Number(r.n), bytes: Number(r.bytes) }])),
    };
  }

  /** Where a file's bytes are: for its owner, or by id alone for a signed link (the gateway checked the signature). */
  async resolve(req: ResolveFileRequest): Promise<ResolvedFile> {
    const e = req.user ? await this.findOwned(req.user, req.file_id) : await this.findById(req.file_id);
    return {
      file_id: e.id,
      user_id: e.userId,
      key: e.storageKey,
      size: e.fileSize,
      mime_type: e.mimeType,
      original_filename: e.originalFilename,
      checksum: e.checksum,
      created_at: e.createdAt.toISOString(),
      // The charset a text document is served with.
      ...(typeof e.metadata?.encoding === 'string' ? { encoding: e.metadata.encoding } : {}),
    };
  }

  /** Passages of the user's own documents that match the query best (PostgreSQL full-text search, any word). */
  async searchPassages(req: SearchPassagesRequest): Promise<RetrievedPassage[]> {
    if (typeof req?.user_id !== 'string' || typeof req.query !== 'string' || !req.query.trim()) return [];
    const limit = Math.min(Math.max(Number.isInteger(req.limit) ? req.limit : 5, 1), 50);
    const rows: Array<{ file_id: string; filename: string; chunk_index: number; text: string; rank: number }> = await this.files.query(
      `WITH q AS (SELECT nullif(replace(plainto_tsquery('english', $2)::text, '&', '|'), '')::tsquery AS q)
       SELECT c.file_id, f.original_filename AS filename, c.chunk_index, c.content AS text, ts_rank_cd(c.tsv, q.q) AS rank
         FROM files.file_chunks c JOIN files.files f ON f.id = c.file_id, q
        WHERE c.user_id = $1 AND q.q IS NOT NULL AND c.tsv @@ q.q
        ORDER BY rank DESC, c.file_id, c.chunk_index
        LIMIT $3`,
      [req.user_id, req.query.slice(0, 2000), limit],
    );
    return rows.map((r) => ({ ...r, rank: Number(r.rank) }));
  }

  private async findOwned(user: AuthContext, fileId: string): Promise<FileEntity> {
    const e = await this.findById(fileId);
    if (e.userId !== user?.user_id) throw AppError.notFound(ExtraErrorCode.FILE_NOT_FOUND, 'file', { file_id: fileId });
    return e;
  }

  private async findById(fileId: string): Promise<FileEntity> {
    const notFound = AppError.notFound(ExtraErrorCode.FILE_NOT_FOUND, 'file', { file_id: fileId });
    if (!isUuid(fileId)) throw notFound;
    const e = await this.files.findOneBy({ id: fileId });
    if (!e) throw notFound;
    return e;
  }
}
