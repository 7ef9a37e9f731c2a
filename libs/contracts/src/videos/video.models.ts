import type { VideoFormat, VideoResolution, VideoStatus } from './video.enums.js';

export interface ThumbnailMetadata {
  id: string;
  filename: string;
  file_path: string;
  file_size: number;
  width: number;
  height: number;
  format: string;
  timestamp_seconds: number;
  created_at: string;
  /** small, medium or large (beyond the spec: a thumbnail comes in three sizes). */
  size?: string;
  /** Which of the moments this is, 0-based. */
  index?: number;
}

export interface SubtitleTrack {
  id: string;
  language: string;
  language_name: string;
  filename: string;
  file_path: string;
  file_size: number;
  format: string;
  is_auto_generated: boolean;
  created_at: string;
}

export interface VideoMetadata {
  id: string;
  job_id: string;
  user_id: string;
  filename: string;
  original_filename?: string;
  file_path: string;
  file_size: number;
  file_hash?: string;
  duration_seconds?: number;
  width?: number;
  height?: number;
  resolution?: VideoResolution;
  format: VideoFormat;
  status: VideoStatus;
  thumbnails: ThumbnailMetadata[];
  subtitle_tracks: SubtitleTrack[];
  title?: string;
  description?: string;
  tags: string[];
  custom_metadata?: Record<string, any>;
  created_at: string;
  updated_at: string;
  processed_at?: string;
  is_public: boolean;
  download_count: number;
  view_count: number;
  is_deleted: boolean;
  deleted_at?: string;
}

/** "Video Metadata Response" of the spec. */
export interface VideoMetadataView {
  video_id: string;
  job_id: string;
  filename: string;
  file_size: number;
  file_size_mb: number;
  duration_seconds?: number;
  duration_formatted: string;
  width?: number;
  height?: number;
  resolution?: VideoResolution;
  format: VideoFormat;
  status: VideoStatus;
  title?: string;
  description?: string;
  download_url: string;
  thumbnail_urls: string[];
  subtitle_tracks: Array<Pick<SubtitleTrack, 'id' | 'language' | 'language_name' | 'filename' | 'format' | 'is_auto_generated'>>;
  created_at: string;
}
