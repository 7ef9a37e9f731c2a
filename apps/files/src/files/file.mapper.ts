import type { FileMetadata } from '@vgp/contracts';
import type { FileEntity } from './file.entity.js';

/** The spec's FileMetadata; what the client said about the file and what was read from it go in `metadata`. */
export function toFileMetadata(e: FileEntity): FileMetadata {
  return {
    id: e.id,
    filename: e.filename,
    original_filename: e.originalFilename,
    file_type: e.fileType,
    mime_type: e.mimeType,
    file_size: e.fileSize,
    checksum: e.checksum,
    created_at: e.createdAt.toISOString(),
    metadata: {
      ...e.metadata,
      ...(e.description !== null ? { description: e.description } : {}),
      ...(e.subdirectory !== null ? { subdirectory: e.subdirectory } : {}),
      tags: e.tags,
      checksum_algorithm: 'sha256',
      ...(e.textStatus !== 'none' ? { text_extraction: e.textStatus === 'processing' || e.textStatus === 'queued' ? 'pending' : e.textStatus } : {}),
      ...(e.textJobId ? { text_job_id: e.textJobId } : {}),
    },
  };
}
