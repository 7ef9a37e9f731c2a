import type { AuthContext } from '../users/user.models.js';
import type { FileType } from './file.enums.js';
import type { FileMetadata } from './file.models.js';

/** `files.v1.passage.search` */
export interface SearchPassagesRequest {
  user_id: string;
  query: string;
  limit: number;
}

/**
 * `files.v1.file.register`: the gateway streamed the bytes to `key` (sniffed, hashed, within the
 * caller's limit); the files service records them, reads their metadata and indexes their text.
 */
export interface RegisterFileRequest extends Pick<FileMetadata, 'original_filename' | 'file_type' | 'mime_type' | 'file_size' | 'checksum'> {
  user: AuthContext;
  file_id: string;
  key: string;
  /** Stored name, made by the platform (`<file_id>.<ext>`). */
  filename: string;
  description?: string;
  subdirectory?: string;
  tags?: string[];
  /**
   * The file is stored only if its row can be written within this many milliseconds of the
   * request's arrival; later, the service answers 503 and stores nothing. The gateway waits longer
   * than this and removes the bytes when it gets no answer, so a late registration cannot leave a
   * file whose bytes are gone.
   */
  register_within_ms?: number;
}

/** Requests that address one file of the caller. */
export interface FileRefRequest {
  user: AuthContext;
  file_id: string;
}

/** `files.v1.file.list` */
export interface ListFilesRequest {
  user: AuthContext;
  page: number;
  items_per_page: number;
  sort_order: 'asc' | 'desc';
  file_type?: FileType;
}

/** `files.v1.file.resolve`: by owner (`user`) or, for a signed link, by id alone. */
export interface ResolveFileRequest {
  user?: AuthContext;
  file_id: string;
}

export interface ResolvedFile {
  file_id: string;
  user_id: string;
  key: string;
  size: number;
  mime_type: string;
  original_filename: string;
  checksum: string;
  created_at: string;
  /** A text document's encoding as recorded at upload (`metadata.encoding`: `utf-8`, `utf-16le`, `utf-16be`); absent for other files. */
  encoding?: string;
}
