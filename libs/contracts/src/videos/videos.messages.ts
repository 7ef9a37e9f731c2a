import type { AuthContext } from '../users/user.models.js';
import type { VideoSortField } from './video.dto.js';
import type { SubtitleFormat, ThumbnailSize, VideoFormat, VideoResolution, VideoStatus } from './video.enums.js';
import type { SubtitleTrack, ThumbnailMetadata } from './video.models.js';

/** `videos.v1.video.record`: what the render worker produced. Paths are blob storage keys. */
export interface RecordVideoRequest {
  job_id: string;
  user_id: string;
  filename: string;
  file_path: string;
  file_size: number;
  file_hash: string;
  duration_seconds: number;
  width: number;
  height: number;
  resolution: VideoResolution;
  format: VideoFormat;
  title: string;
  description?: string;
  tags?: string[];
  thumbnails: Omit<ThumbnailMetadata, 'id' | 'created_at'>[];
  subtitle_tracks: Omit<SubtitleTrack, 'id' | 'created_at'>[];
  custom_metadata?: Record<string, any>;
}

/** Requests that address one video of the caller, by id. */
export interface VideoRefRequest {
  user: AuthContext;
  video_id: string;
}

/** `videos.v1.video.get-by-job`: `base_url` is where the gateway's API is reachable (absolute links). */
export interface VideoByJobRequest {
  user: AuthContext;
  job_id: string;
  base_url: string;
}

/** `videos.v1.video.list` */
export interface ListVideosRequest {
  user: AuthContext;
  page: number;
  items_per_page: number;
  sort_order: 'asc' | 'desc';
  sort_by: VideoSortField;
  status?: VideoStatus;
  format?: VideoFormat;
  tag?: string;
  created_after?: string;
  created_before?: string;
}

/** `videos.v1.video.update` */
export interface UpdateVideoRequest extends VideoRefRequest {
  changes: { title?: string; description?: string; tags?: string[]; is_public?: boolean };
}

export type VideoAssetKind = 'video' | 'thumbnail' | 'subtitle';

/**
 * `videos.v1.asset.resolve`: where the bytes of one asset are. Addressed by `job_id` for the
 * owner (`user` set) or by `video_id` for anyone when the video is public (`user` absent).
 */
export interface ResolveAssetRequest {
  user?: AuthContext;
  job_id?: string;
  /**
   * For a signed link (no caller): the job's video whoever owns it, not deleted. The gateway
   * serves it only if the link's signature is valid for the `video_id` answered.
   */
  signed?: boolean;
  video_id?: string;
  kind: VideoAssetKind;
  size?: ThumbnailSize;
  index?: number;
  language?: string;
  format?: SubtitleFormat;
}

export interface ResolvedAsset {
  video_id: string;
  job_id: string;
  /** Blob storage key. */
  key: string;
  size: number;
  content_type: string;
  /** What the client's file should be called. */
  filename: string;
  /** Strong validator of the bytes (from the recorded hash where there is one). */
  etag?: string;
  last_modified: string;
}

/** `videos.v1.video.count`: one view or one download, counted atomically. */
export interface CountVideoRequest {
  video_id: string;
  counter: 'view' | 'download';
}

/** `videos.v1.public.get`: a public video's metadata; `base_url` as for get-by-job. */
export interface PublicVideoRequest {
  video_id: string;
  base_url: string;
}

/** `videos.v1.stats.get` */
export interface VideoStatsView {
  total_videos: number;
  total_bytes: number;
  by_status: Record<string, number>;
  total_views: number;
  total_downloads: number;
}
