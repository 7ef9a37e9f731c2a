import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import {
  AppError,
  type AuthContext,
  codePointLength,
  type CountVideoRequest,
  ErrorCode,
  ExtraErrorCode,
  type FieldError,
  FieldErrorCode,
  isUuid,
  type ListVideosRequest,
  paginate,
  type PaginatedResponse,
  type PublicVideoRequest,
  type RecordVideoRequest,
  type ResolveAssetRequest,
  type ResolvedAsset,
  SUBTITLE_CONTENT_TYPES,
  type SubtitleFormat,
  type UpdateVideoRequest,
  VIDEO_CONTENT_TYPES,
  VIDEO_DESCRIPTION_MAX,
  VIDEO_TAG_MAX_LENGTH,
  VIDEO_TAGS_MAX,
  VIDEO_TITLE_MAX,
  type VideoByJobRequest,
  VideoFormat,
  type VideoMetadata,
  type VideoMetadataView,
  VideosEvents,
  type VideoStatsView,
  VideoStatus,
  pageWindow,
} from '@vgp/contracts';
import { NatsClient } from '@vgp/messaging';
import { returned } from '@vgp/persistence';
import { assertValidKey } from '@vgp/storage';
import { randomUUID } from 'node:crypto';
import type { Repository } from 'typeorm';
import { OwnerStanding } from './owner-standing.js';
import { VideoEntity } from './video.entity.js';
import { thumbnailIndexes, toMetadataView, toVideoMetadata } from './video.mapper.js';

/** The reader of a signed link: the gateway has checked its signature for the job. */
const SIGNED_LINK = 'signed-link' as const;
const SAFE_ID = /^[A-Za-z0-9_-]{1,100}$/;
const LANGUAGE = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?$/;

const SORT_COLUMNS: Record<ListVideosRequest['sort_by'], string> = {
  created_at: 'v.created_at',
  updated_at: 'v.updated_at',
  title: 'v.title',
  file_size: 'v.file_size',
  duration_seconds: 'v.duration_seconds',
  view_count: 'v.view_count',
  download_count: 'v.download_count',
};

/** The worker's generated text cut to what a column holds, in code points as its CHECK counts (`char_length`). */
const clip = (s: string | undefined | null, max: number) => (typeof s === 'string' ? [...s].slice(0, max).join('') : null);
/**
 * A job id as stored and matched: `job_id` is a text column, while the jobs service keeps ids in a
 * uuid column that reads any case; a UUID is matched and stored in lower case, so
 * `GET /videos/jobs/{UPPER-CASE-UUID}/...` finds the video the jobs service finds the job of.
 */
const jobKey = (id: string) => (isUuid(id) ? id.toLowerCase() : id);
const slug = (s: string) => s.replace(/\.[^.]+$/, '').replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 80) || 'video';

@Injectable()
export class VideosService {
  constructor(
    @InjectRepository(VideoEntity) private readonly videos: Repository<VideoEntity>,
    @Inject(NatsClient) private readonly nats: NatsClient,
    @Inject(OwnerStanding) private readonly owners: OwnerStanding,
  ) {}

  /**
   * Records what a render produced. Idempotent by job: a second record returns the first video,
   * whose `file_path` tells a later attempt that the recorded bytes are another attempt's.
   */
  async record(req: RecordVideoRequest): Promise<VideoMetadata> {
    this.checkRecord(req);
    const now = new Date();
    const id = randomUUID();
    const jobId = jobKey(req.job_id);
    const row: VideoEntity = this.videos.create({
      id,
      jobId,
      userId: req.user_id,
      filename: req.filename,
      originalFilename: null,
      filePath: req.file_path,
      fileSize: req.file_size,
      fileHash: req.file_hash ?? null,
      durationSeconds: req.duration_seconds ?? null,
      width: req.width ?? null,
      height: req.height ?? null,
      resolution: req.resolution ?? null,
      format: req.format,
      status: VideoStatus.READY,
      thumbnails: (req.thumbnails ?? []).map((t, i) => ({ ...t, index: t.index ?? i, id: randomUUID(), created_at: now.toISOString() })),
      subtitleTracks: (req.subtitle_tracks ?? []).map((t) => ({ ...t, id: randomUUID(), created_at: now.toISOString() })),
      title: clip(req.title, VIDEO_TITLE_MAX),
      description: clip(req.description, VIDEO_DESCRIPTION_MAX),
      tags: (req.tags ?? []).filter((t) => typeof t === 'string' && t.length > 0).slice(0, VIDEO_TAGS_MAX).map((t) => clip(t, VIDEO_TAG_MAX_LENGTH) as string),
      customMetadata: req.custom_metadata ?? null,
      createdAt: now,
      updatedAt: now,
      processedAt: now,
      isPublic: false,
      downloadCount: 0,
      viewCount: 0,
      isDeleted: false,
      deletedAt: null,
      purgedAt: null,
    });
    const inserted = await this.videos.createQueryBuilder().insert().into(VideoEntity).values(row).orIgnore().returning('id').execute();
    const created = inserted.raw.length > 0;
    const stored = await this.videos.findOneByOrFail({ jobId });
    if (created) this.nats.publish(VideosEvents.recorded, { video_id: stored.id, job_id: stored.jobId, user_id: stored.userId });
    return toVideoMetadata(stored);
  }

  private checkRecord(req: RecordVideoRequest): void {
    const bad: Array<[string, string]> = [];
    if (typeof req?.job_id !== 'string' || !SAFE_ID.test(req.job_id)) bad.push(['job_id', 'job_id must be an id']);
    if (typeof req?.user_id !== 'string' || req.user_id.length < 1 || req.user_id.length > 100) bad.push(['user_id', 'user_id must be a string']);
    if (typeof req?.filename !== 'string' || !req.filename) bad.push(['filename', 'filename is required']);
    try {
      assertValidKey(req?.file_path);
    } catch {
      bad.push(['file_path', 'file_path must be a blob storage key']);
    }
    if (!Number.isInteger(req?.file_size) || req.file_size < 0) bad.push(['file_size', 'file_size must be a whole number of bytes']);
    if (!Object.values(VideoFormat).includes(req?.format)) bad.push(['format', 'format must be a VideoFormat']);
    if (req?.thumbnails !== undefined && !Array.isArray(req.thumbnails)) bad.push(['thumbnails', 'thumbnails must be an array']);
    if (req?.subtitle_tracks !== undefined && !Array.isArray(req.subtitle_tracks)) bad.push(['subtitle_tracks', 'subtitle_tracks must be an array']);
    for (const t of [...(req?.thumbnails ?? []), ...(req?.subtitle_tracks ?? [])]) {
      try {
        assertValidKey(t?.file_path);
      } catch {
        bad.push(['thumbnails', 'every asset needs a blob storage key']);
        break;
      }
    }
    if (bad.length) throw AppError.validation(bad.map(([field, message]) => ({ field, message, code: FieldErrorCode.INVALID_VALUE })), 'The video record is invalid');
  }

  /** The spec's "Video Metadata Response" of a job's video. No video: VIDEO_NOT_FOUND (the gateway tells "not ready" from "no such job"). */
  async getByJob(req: VideoByJobRequest): Promise<VideoMetadataView> {
    const e = await this.findByJob(req.user, req.job_id);
    return toMetadataView(e, this.ownerLinks(req.base_url, e));
  }

  async get(user: AuthContext, videoId: string): Promise<VideoMetadata> {
    return toVideoMetadata(await this.findVisible(user, videoId));
  }

  async list(req: ListVideosRequest): Promise<PaginatedResponse<VideoMetadata>> {
    const qb = this.videos.createQueryBuilder('v').where('v.user_id = :user AND NOT v.is_deleted', { user: req.user.user_id });
    if (req.status) qb.andWhere('v.status = :status', { status: req.status });
    if (req.format) qb.andWhere('v.format = :format', { format: req.format });
    if (req.tag) qb.andWhere(':tag = ANY(v.tags)', { tag: req.tag });
    if (req.created_after) qb.andWhere('v.created_at >= :after', { after: req.created_after });
    if (req.created_before) qb.andWhere('v.created_at < :before', { before: req.created_before });
    const order = req.sort_order === 'asc' ? 'ASC' : 'DESC';
    qb.orderBy(SORT_COLUMNS[req.sort_by] ?? 'v.created_at', order, order === 'ASC' ? 'NULLS FIRST' : 'NULLS LAST').addOrderBy('v.id', order);
    const { page, per, offset } = pageWindow(req.page, req.items_per_page);
    qb.skip(offset).take(per);
    const [rows, total] = await qb.getManyAndCount();
    return paginate(rows.map(toVideoMetadata), page, per, total);
  }

  /**
   * The owner's edit: only the fields given, in one UPDATE of the live row, so concurrent edits of
   * different fields all land and an edit racing a delete answers 404 like any deleted video.
   * Texts are stored whole: beyond the spec's limits (in code points, as the DTO and the CHECKs
   * count) it is a 422, never a shortened title.
   */
  async update(req: UpdateVideoRequest): Promise<VideoMetadata> {
    const notFound = AppError.notFound(ExtraErrorCode.VIDEO_NOT_FOUND, 'video', { video_id: req?.video_id });
    if (!isUuid(req?.video_id) || typeof req.user?.user_id !== 'string') throw notFound;
    const c = req.changes ?? {};
    this.checkChanges(c);
    const set: Partial<VideoEntity> = { updatedAt: new Date() };
    if (c.title !== undefined) set.title = c.title;
    if (c.description !== undefined) set.description = c.description;
    if (c.tags !== undefined) set.tags = [...new Set(c.tags ?? [])];
    if (c.is_public !== undefined) set.isPublic = c.is_public;
    const res = await this.videos
      .createQueryBuilder()
      .update(VideoEntity)
      .set(set)
      .where('id = :id AND user_id = :user AND NOT is_deleted', { id: req.video_id, user: req.user.user_id })
      .returning('*')
      .updateEntity(false)
      .execute();
    const [row] = (res.raw ?? []) as Array<Record<string, unknown>>;
    if (!row) throw notFound;
    return toVideoMetadata(this.hydrate(row));
  }

  /** The changes as the DTO lets them through; anything else from another caller is a 422, not a clipped or failed write. */
  private checkChanges(c: UpdateVideoRequest['changes']): void {
    const bad: FieldError[] = [];
    const text = (field: 'title' | 'description', min: number, max: number) => {
      const v = c[field];
      if (v === undefined || v === null) return;
      if (typeof v !== 'string') bad.push({ field, message: `${field} must be a string`, code: FieldErrorCode.INVALID_TYPE });
      else if (codePointLength(v) < min || codePointLength(v) > max) bad.push({ field, message: `${field} must be between ${min} and ${max} characters`, code: FieldErrorCode.INVALID_LENGTH });
    };
    text('title', 1, VIDEO_TITLE_MAX);
    text('description', 0, VIDEO_DESCRIPTION_MAX);
    if (c.tags !== undefined && c.tags !== null) {
      if (!Array.isArray(c.tags) || !c.tags.every((t) => typeof t === 'string')) bad.push({ field: 'tags', message: 'tags must be an array of strings', code: FieldErrorCode.INVALID_TYPE });
      else if (c.tags.length > VIDEO_TAGS_MAX) bad.push({ field: 'tags', message: `At most ${VIDEO_TAGS_MAX} tags`, code: FieldErrorCode.TOO_MANY_ITEMS });
      else if (c.tags.some((t) => codePointLength(t) < 1 || codePointLength(t) > VIDEO_TAG_MAX_LENGTH)) {
        bad.push({ field: 'tags', message: `every tag must be between 1 and ${VIDEO_TAG_MAX_LENGTH} characters`, code: FieldErrorCode.INVALID_LENGTH });
      }
    }
    if (c.is_public !== undefined && typeof c.is_public !== 'boolean') bad.push({ field: 'is_public', message: 'is_public must be true or false', code: FieldErrorCode.INVALID_TYPE });
    if (bad.length) throw AppError.validation(bad);
  }

  /** An entity from a raw row (`RETURNING *`), converted as TypeORM converts what it reads. */
  private hydrate(raw: Record<string, unknown>): VideoEntity {
    const driver = this.videos.manager.connection.driver;
    const e = this.videos.create();
    for (const col of this.videos.metadata.columns) (e as unknown as Record<string, unknown>)[col.propertyName] = driver.prepareHydratedValue(raw[col.databaseName], col);
    return e;
  }

  /** Soft delete: gone from lists and links at once; the bytes go after the retention period. */
  async remove(user: AuthContext, videoId: string): Promise<{ video_id: string; status: VideoStatus; deleted_at: string }> {
    const e = await this.findVisible(user, videoId, true);
    const now = new Date();
    const res = await this.videos.update({ id: e.id, isDeleted: false }, { isDeleted: true, deletedAt: now, status: VideoStatus.DELETED, isPublic: false, updatedAt: now });
    // A delete that raced this one and won: the video is already gone, as for any later request.
    if (!res.affected) throw AppError.notFound(ExtraErrorCode.VIDEO_NOT_FOUND, 'video', { video_id: videoId });
    this.nats.publish(VideosEvents.deleted, { video_id: e.id, job_id: e.jobId, user_id: e.userId });
    return { video_id: e.id, status: VideoStatus.DELETED, deleted_at: now.toISOString() };
  }

  /** Where an asset's bytes are; the gateway streams them from blob storage. */
  async resolveAsset(req: ResolveAssetRequest): Promise<ResolvedAsset> {
    const e = req.user || req.signed === true ? await this.findByJob(req.user ?? SIGNED_LINK, req.job_id) : await this.findPublic(req.video_id);
    const base = { video_id: e.id, job_id: e.jobId, last_modified: (e.processedAt ?? e.createdAt).toISOString() };
    const stem = slug(e.filename);
    if (req.kind === 'video') {
      return {
        ...base,
        key: e.filePath,
        size: e.fileSize,
        content_type: VIDEO_CONTENT_TYPES[e.format] ?? 'application/octet-stream',
        filename: e.filename,
        etag: e.fileHash ? `"${e.fileHash.slice(0, 40)}"` : undefined,
      };
    }
    if (req.kind === 'thumbnail') {
      const index = req.index ?? 0;
      const size = req.size ?? 'medium';
      const candidates = e.thumbnails.filter((t, i) => (t.index ?? i) === index);
      const t = candidates.find((c) => (c.size ?? 'medium') === size) ?? (candidates.every((c) => !c.size) ? candidates[0] : undefined);
      if (!t) {
        throw AppError.notFound(ExtraErrorCode.VIDEO_NOT_FOUND, 'thumbnail', { index, size, available_indexes: thumbnailIndexes(e) });
      }
      const fmt = (t.format ?? 'jpg').toLowerCase();
      return { ...base, key: t.file_path, size: t.file_size, content_type: fmt === 'png' ? 'image/png' : 'image/jpeg', filename: `${stem}_${index}_${size}.${fmt === 'png' ? 'png' : 'jpg'}` };
    }
    if (req.kind === 'subtitle') {
      const language = String(req.language ?? '');
      const format: SubtitleFormat = req.format === 'vtt' ? 'vtt' : 'srt';
      if (!LANGUAGE.test(language)) throw AppError.notFound(ExtraErrorCode.VIDEO_NOT_FOUND, 'subtitle track', { language });
      const t = e.subtitleTracks.find((s) => s.language.toLowerCase() === language.toLowerCase() && s.format.toLowerCase() === format);
      if (!t) {
        throw AppError.notFound(ExtraErrorCode.VIDEO_NOT_FOUND, 'subtitle track', {
          language,
          format,
          available: e.subtitleTracks.map((s) => `${s.language}.${s.format}`),
        });
      }
      return { ...base, key: t.file_path, size: t.file_size, content_type: SUBTITLE_CONTENT_TYPES[format], filename: `${stem}.${t.language}.${format}` };
    }
    throw new AppError(ErrorCode.INVALID_INPUT, 400, 'Unknown asset kind');
  }

  /** One view or download, atomically (concurrent requests each count once). */
  async count(req: CountVideoRequest): Promise<{ view_count: number; download_count: number }> {
    const column = req.counter === 'download' ? 'download_count' : 'view_count';
    if (!isUuid(req.video_id)) throw AppError.notFound(ExtraErrorCode.VIDEO_NOT_FOUND, 'video');
    const [updated] = returned<{ view_count: string; download_count: string }>(
      await this.videos.query(`UPDATE videos.videos SET ${column} = ${column} + 1 WHERE id = $1 AND NOT is_deleted RETURNING view_count, download_count`, [req.video_id]),
    );
    if (!updated) throw AppError.notFound(ExtraErrorCode.VIDEO_NOT_FOUND, 'video', { video_id: req.video_id });
    return { view_count: Number(updated.view_count), download_count: Number(updated.download_count) };
  }

  async getPublic(req: PublicVideoRequest): Promise<VideoMetadataView> {
    const e = await this.findPublic(req.video_id);
    return toMetadataView(e, {
      download_url: `${req.base_url}/public/videos/${e.id}/stream`,
      thumbnail_url: (i) => `${req.base_url}/public/videos/${e.id}/thumbnail?size=medium&index=${i}`,
    });
  }

  async stats(): Promise<VideoStatsView> {
    const rows: Array<{ status: string; n: string; bytes: string; views: string; downloads: string }> = await this.videos.query(
      `SELECT status, count(*) AS n, coalesce(sum(file_size), 0) AS bytes, coalesce(sum(view_count), 0) AS views, coalesce(sum(download_count), 0) AS downloads
         FROM videos.videos GROUP BY status`,
    );
    const live = rows.filter((r) => r.status !== VideoStatus.DELETED);
    return {
      total_videos: live.reduce((a, r) => a + Number(r.n), 0),
      total_bytes: live.reduce((a, r) => a + Number(r.bytes), 0),
      by_status: Object.fromEntries(rows.map((r) => [r.status, Number(r.n)])),
      total_views: rows.reduce((a, r) => a + Number(r.views), 0),
      total_downloads: rows.reduce((a, r) => a + Number(r.downloads), 0),
    };
  }

  private ownerLinks(baseUrl: string, e: VideoEntity) {
    const job = encodeURIComponent(e.jobId);
    return {
      download_url: `${baseUrl}/videos/jobs/${job}/download`,
      thumbnail_url: (i: number) => `${baseUrl}/videos/jobs/${job}/thumbnail?size=medium&index=${i}`,
    };
  }

  /**
   * The live video of a job for `reader`: the caller's own (anyone's for readers of every job), or,
   * for a signed link whose signature the gateway checked, whoever's it is.
   */
  private async findByJob(reader: AuthContext | typeof SIGNED_LINK | undefined, jobId: string | undefined): Promise<VideoEntity> {
    const missing = AppError.notFound(ExtraErrorCode.VIDEO_NOT_FOUND, 'video', { job_id: jobId, recorded: false });
    if (!reader || typeof jobId !== 'string' || !SAFE_ID.test(jobId)) throw missing;
    const e = await this.videos.findOneBy({ jobId: jobKey(jobId) });
    const mayRead = (v: VideoEntity) => reader === SIGNED_LINK || v.userId === reader.user_id || reader.permissions?.can_view_all_jobs;
    if (!e || !mayRead(e)) throw missing;
    if (e.isDeleted) throw AppError.notFound(ExtraErrorCode.VIDEO_NOT_FOUND, 'video', { job_id: jobId, recorded: true, deleted: true });
    // A link the owner shared stops working while the account is suspended or inactive, and once it is deleted.
    if (reader === SIGNED_LINK && !(await this.owners.showsPublicContent(e.userId))) throw missing;
    return e;
  }

  private async findVisible(user: AuthContext, videoId: string, ownerOnly = false): Promise<VideoEntity> {
    const notFound = AppError.notFound(ExtraErrorCode.VIDEO_NOT_FOUND, 'video', { video_id: videoId });
    if (!isUuid(videoId)) throw notFound;
    const e = await this.videos.findOneBy({ id: videoId, isDeleted: false });
    if (!e) throw notFound;
    const mayRead = e.userId === user.user_id || (!ownerOnly && user.permissions?.can_view_all_jobs);
    if (!mayRead) throw notFound;
    return e;
  }

  /**
   * A public, live video whose owner's account shows public content (not suspended, inactive or
   * deleted); any other answers exactly like a missing one.
   */
  private async findPublic(videoId: string | undefined): Promise<VideoEntity> {
    const notFound = AppError.notFound(ExtraErrorCode.VIDEO_NOT_FOUND, 'video', { video_id: videoId });
    if (!isUuid(videoId)) throw notFound;
    const e = await this.videos
      .createQueryBuilder('v')
      .where('v.id = :id AND v.is_public AND NOT v.is_deleted AND v.status = :ready', { id: videoId, ready: VideoStatus.READY })
      .getOne();
    if (!e || !(await this.owners.showsPublicContent(e.userId))) throw notFound;
    return e;
  }
}
