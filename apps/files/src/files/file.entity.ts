import { Column, Entity, PrimaryColumn, type ValueTransformer } from 'typeorm';
import type { FileType } from '@vgp/contracts';

const bigint: ValueTransformer = { to: (v: number) => v, from: (v: string | null) => (v === null ? null : Number(v)) };

export type TextStatus = 'none' | 'queued' | 'pending' | 'processing' | 'done' | 'failed';

/** An uploaded file in the `files` schema. The bytes are in blob storage at `storageKey`. */
@Entity({ name: 'files' })
export class FileEntity {
  @PrimaryColumn('uuid')
  id: string;

  @Column('text')
  userId: string;

  /** Made by the platform (`<id>.<ext>`), never by the client. */
  @Column('text')
  filename: string;

  @Column('text')
  originalFilename: string;

  @Column('text')
  fileType: FileType;

  @Column('text')
  mimeType: string;

  @Column('bigint', { transformer: bigint })
  fileSize: number;

  /** SHA-256 of the bytes, hex. */
  @Column('text')
  checksum: string;

  @Column('text')
  storageKey: string;

  @Column('text', { nullable: true })
  description: string | null;

  @Column('text', { nullable: true })
  subdirectory: string | null;

  @Column('text', { array: true })
  tags: string[];

  /** What could be read from the content: dimensions, duration, codecs, pages. */
  @Column('jsonb')
  metadata: Record<string, any>;

  @Column('text')
  textStatus: TextStatus;

  @Column('timestamptz', { nullable: true })
  textClaimedAt: Date | null;

  /** The `file_processing` job that extracts the text; null when the jobs service could not take it. */
  @Column('uuid', { nullable: true })
  textJobId: string | null;

  @Column('timestamptz')
  createdAt: Date;
}
