import { FileType } from './file.enums.js';

export const FILENAME_MAX = 255;
export const FILE_TAGS_MAX = 10;
export const FILE_TAG_MAX_LENGTH = 50;
export const BATCH_UPLOAD_MAX_FILES = 50;

/** Decodes percent-encoding repeatedly (`%252e` → `%2e` → `.`), so encoded traversal is seen. */
function fullyDecoded(name: string): string {
  let cur = name;
  for (let i = 0; i < 5; i++) {
    let next: string;
    try {
      next = decodeURIComponent(cur);
    } catch {
      return cur;
    }
    if (next === cur) return cur;
    cur = next;
  }
  return cur;
}

/**
 * Why a client-supplied name (a filename or a subdirectory) is unsafe, or null when it is fine:
 * no `/`, `\`, `..`, NUL or control characters, no absolute or drive paths, also once
 * percent-decoded. Such names are refused, never "cleaned".
 */
export function unsafeNameReason(name: unknown, max = FILENAME_MAX): string | null {
  if (typeof name !== 'string' || name.length === 0) return 'must not be empty';
  if (name.length > max) return `must be at most ${max} characters`;
  for (const candidate of [name, fullyDecoded(name)]) {
    if ([...candidate].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) return 'must not contain control characters';
    if (candidate.includes('/') || candidate.includes('\\')) return 'must not contain path separators';
    if (candidate.includes('..')) return 'must not contain ".."';
    if (/^[A-Za-z]:/.test(candidate)) return 'must not be a drive path';
    if (candidate.trim() === '' || candidate === '.') return 'must be a name';
  }
  return null;
}

export interface AllowedType {
  file_type: FileType;
  /** Extension of the stored name. */
  ext: string;
}

/**
 * The upload allow-list: media types as sniffed from the content (magic bytes), never as claimed.
 * Text formats have no magic bytes; they are recognised as UTF-8 text (see the gateway's sniffer).
 */
export const ALLOWED_UPLOAD_TYPES: Record<string, AllowedType> = {
  'image/jpeg': { file_type: FileType.IMAGE, ext: 'jpg' },
  'image/png': { file_type: FileType.IMAGE, ext: 'png' },
  'image/gif': { file_type: FileType.IMAGE, ext: 'gif' },
  'image/webp': { file_type: FileType.IMAGE, ext: 'webp' },
  'video/mp4': { file_type: FileType.VIDEO, ext: 'mp4' },
  'video/webm': { file_type: FileType.VIDEO, ext: 'webm' },
  'video/quicktime': { file_type: FileType.VIDEO, ext: 'mov' },
  'video/x-msvideo': { file_type: FileType.VIDEO, ext: 'avi' },
  'video/x-matroska': { file_type: FileType.VIDEO, ext: 'mkv' },
  'video/x-flv': { file_type: FileType.VIDEO, ext: 'flv' },
  'audio/mpeg': { file_type: FileType.AUDIO, ext: 'mp3' },
  'audio/wav': { file_type: FileType.AUDIO, ext: 'wav' },
  'audio/ogg': { file_type: FileType.AUDIO, ext: 'ogg' },
  'audio/flac': { file_type: FileType.AUDIO, ext: 'flac' },
  'audio/x-m4a': { file_type: FileType.AUDIO, ext: 'm4a' },
  'audio/aac': { file_type: FileType.AUDIO, ext: 'aac' },
  'application/pdf': { file_type: FileType.DOCUMENT, ext: 'pdf' },
  'text/plain': { file_type: FileType.DOCUMENT, ext: 'txt' },
  'text/markdown': { file_type: FileType.DOCUMENT, ext: 'md' },
  'text/html': { file_type: FileType.DOCUMENT, ext: 'html' },
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': { file_type: FileType.DOCUMENT, ext: 'docx' },
  'application/zip': { file_type: FileType.ARCHIVE, ext: 'zip' },
  'application/gzip': { file_type: FileType.ARCHIVE, ext: 'gz' },
  'application/x-tar': { file_type: FileType.ARCHIVE, ext: 'tar' },
  'application/x-7z-compressed': { file_type: FileType.ARCHIVE, ext: '7z' },
};

/** Media types whose text is extracted and indexed for retrieval (`use_rag`). */
export const TEXT_EXTRACTABLE_TYPES = ['text/plain', 'text/markdown', 'text/html', 'application/pdf'] as const;
