import type { VideoMetadata, VideoMetadataView } from '@vgp/contracts';
import type { VideoEntity } from './video.entity.js';

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : undefined);

/** The spec's VideoMetadata. */
export function toVideoMetadata(e: VideoEntity): VideoMetadata {
  const v: VideoMetadata = {
    id: e.id,
    job_id: e.jobId,
    user_id: e.userId,
    filename: e.filename,
    file_path: e.filePath,
    file_size: e.fileSize,
    format: e.format,
    status: e.status,
    thumbnails: e.thumbnails,
    subtitle_tracks: e.subtitleTracks,
    tags: e.tags,
    created_at: e.createdAt.toISOString(),
    updated_at: e.updatedAt.toISOString(),
    is_public: e.isPublic,
    download_count: e.downloadCount,
    view_count: e.viewCount,
    is_deleted: e.isDeleted,
  };
  if (e.originalFilename) v.original_filename = e.originalFilename;
  if (e.fileHash) v.file_hash = e.fileHash;
  if (e.durationSeconds !== null) v.duration_seconds = e.durationSeconds;
  if (e.width !== null) v.width = e.width;
  if (e.height !== null) v.height = e.height;
  if (e.resolution) v.resolution = e.resolution;
  if (e.title !== null) v.title = e.title;
  if (e.description !== null) v.description = e.description;
  if (e.customMetadata) v.custom_metadata = e.customMetadata;
  if (e.processedAt) v.processed_at = iso(e.processedAt);
  if (e.deletedAt) v.deleted_at = iso(e.deletedAt);
  return v;
}

/** `MM:SS`, or `H:MM:SS` from an hour on (spec: 120.5 s is "02:00"). */
export function formatDuration(seconds: number | null | undefined): string {
  const s = Math.max(0, Math.floor(seconds ?? 0));
  const pad = (n: number) => String(n).padStart(2, '0');
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h}:${pad(m)}:${pad(s % 60)}` : `${pad(m)}:${pad(s % 60)}`;
}

/** Distinct thumbnail moments, in order. */
export function thumbnailIndexes(e: VideoEntity): number[] {
  return [...new Set(e.thumbnails.map((t, i) => t.index ?? i))].sort((a, b) => a - b);
}

export interface ViewLinks {
  download_url: string;
  thumbnail_url: (index: number) => string;
}

/** The spec's "Video Metadata Response" (its key order), with absolute links made by the caller. */
export function toMetadataView(e: VideoEntity, links: ViewLinks): VideoMetadataView {
  const opt = <T>(v: T | null): T | undefined => (v === null ? undefined : v);
  const v: VideoMetadataView = {
    video_id: e.id,
    job_id: e.jobId,
    filename: e.filename,
    file_size: e.fileSize,
    file_size_mb: Math.round((e.fileSize / (1024 * 1024)) * 100) / 100,
    duration_seconds: opt(e.durationSeconds),
    duration_formatted: formatDuration(e.durationSeconds),
    width: opt(e.width),
    height: opt(e.height),
    resolution: opt(e.resolution),
    format: e.format,
    status: e.status,
    title: opt(e.title),
    description: opt(e.description),
    download_url: links.download_url,
    thumbnail_urls: thumbnailIndexes(e).map(links.thumbnail_url),
    subtitle_tracks: e.subtitleTracks.map((t) => ({
      id: t.id,
      language: t.language,
      language_name: t.language_name,
      filename: t.filename,
      format: t.format,
      is_auto_generated: t.is_auto_generated,
    })),
    created_at: e.createdAt.toISOString(),
  };
  // Absent optional fields are left out rather than sent as null.
  for (const k of Object.keys(v) as (keyof VideoMetadataView)[]) if (v[k] === undefined) delete v[k];
  return v;
}
