import { Column, Entity, PrimaryColumn, type ValueTransformer } from 'typeorm';
import type { SubtitleTrack, ThumbnailMetadata, VideoFormat, VideoResolution, VideoStatus } from '@vgp/contracts';

/** bigint columns come back from pg as strings; sizes and counters fit a JS number. */
const bigint: ValueTransformer = { to: (v: number) => v, from: (v: string | null) => (v === null ? null : Number(v)) };

/** A recorded video in the `videos` schema. Thumbnails and subtitle tracks live in jsonb beside it. */
@Entity({ name: 'videos' })
export class VideoEntity {
  @PrimaryColumn('uuid')
  id: string;

  @Column('text', { unique: true })
  jobId: string;

  @Column('text')
  userId: string;

  @Column('text')
  filename: string;

  @Column('text', { nullable: true })
  originalFilename: string | null;

  /** Blob storage key of the video. */
  @Column('text')
  filePath: string;

  @Column('bigint', { transformer: bigint })
  fileSize: number;

  @Column('text', { nullable: true })
  fileHash: string | null;

  @Column('double precision', { nullable: true })
  durationSeconds: number | null;

  @Column('int', { nullable: true })
  width: number | null;

  @Column('int', { nullable: true })
  height: number | null;

  @Column('text', { nullable: true })
  resolution: VideoResolution | null;

  @Column('text')
  format: VideoFormat;

  @Column('text')
  status: VideoStatus;

  @Column('jsonb')
  thumbnails: ThumbnailMetadata[];

  @Column('jsonb')
  subtitleTracks: SubtitleTrack[];

  @Column('text', { nullable: true })
  title: string | null;

  @Column('text', { nullable: true })
  description: string | null;

  @Column('text', { array: true })
  tags: string[];

  @Column('jsonb', { nullable: true })
  customMetadata: Record<string, any> | null;

  @Column('timestamptz')
  createdAt: Date;

  @Column('timestamptz')
  updatedAt: Date;

  @Column('timestamptz', { nullable: true })
  processedAt: Date | null;

  @Column('boolean')
  isPublic: boolean;

  @Column('bigint', { transformer: bigint })
  downloadCount: number;

  @Column('bigint', { transformer: bigint })
  viewCount: number;

  @Column('boolean')
  isDeleted: boolean;

  @Column('timestamptz', { nullable: true })
  deletedAt: Date | null;

  /** When the sweeper removed the bytes (internal). */
  @Column('timestamptz', { nullable: true })
  purgedAt: Date | null;
}
