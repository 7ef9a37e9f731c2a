export enum VideoFormat {
  MP4 = 'mp4',
  AVI = 'avi',
  MOV = 'mov',
  WMV = 'wmv',
  FLV = 'flv',
  WEBM = 'webm',
}

export enum VideoResolution {
  SD_480P = '480p',
  HD_720P = '720p',
  FHD_1080P = '1080p',
  QHD_1440P = '1440p',
  UHD_4K = '4k',
}

export enum VideoStatus {
  PROCESSING = 'processing',
  READY = 'ready',
  FAILED = 'failed',
  DELETED = 'deleted',
}

export const THUMBNAIL_SIZES = ['small', 'medium', 'large'] as const;
export type ThumbnailSize = (typeof THUMBNAIL_SIZES)[number];

export const SUBTITLE_FORMATS = ['srt', 'vtt'] as const;
export type SubtitleFormat = (typeof SUBTITLE_FORMATS)[number];
