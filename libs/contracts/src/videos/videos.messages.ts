import type { VideoFormat, VideoResolution } from './video.enums.js';
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
