import type { FileType } from './file.enums.js';

export interface FileMetadata {
  id: string;
  filename: string;
  original_filename: string;
  file_type: FileType;
  mime_type: string;
  file_size: number;
  checksum: string;
  created_at: string;
  download_url?: string;
  metadata: Record<string, any>;
}

export interface FileStatsView {
  total_files: number;
  total_bytes: number;
  by_type: Record<string, { files: number; bytes: number }>;
}

/** A passage of a user's own document, found for a render (`use_rag`). */
export interface RetrievedPassage {
  file_id: string;
  filename: string;
  chunk_index: number;
  text: string;
  rank: number;
}

/** A file of a batch upload that was not stored, and why. */
export interface RejectedUpload {
  filename: string;
  error: { code: string; status: number; message: string; details?: Record<string, any>; field_errors?: Array<{ field: string; message: string; code: string }> };
}

/** `POST /files/batch-upload`: what was stored and what was rejected; one bad file does not sink the rest. */
export interface BatchUploadResult {
  stored: FileMetadata[];
  rejected: RejectedUpload[];
}
