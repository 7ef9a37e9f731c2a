import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { type AuthContext, FilesEvents, FilesSubjects, type ResolvedFile } from '@vgp/contracts';
import { NatsClient } from '@vgp/messaging';

/** How long a resolved file is reused without asking the files service again. */
export const FILE_RESOLVE_CACHE_MS = 5_000;
const MAX_ENTRIES = 10_000;

interface Entry {
  file: ResolvedFile;
  until: number;
}

/**
 * `files.v1.file.resolve` for downloads, reused for FILE_RESOLVE_CACHE_MS: a player or download
 * manager asking for many ranges of one file costs one NATS round trip (and one query) every few
 * seconds instead of one per range. What it answers never changes for a file id (owner, key,
 * size, type, checksum), so the only staleness is a deleted file: `files.v1.file.deleted` evicts it
 * on every replica at once (and a delete through this replica evicts it before answering), the
 * bytes are removed before that event, and every download `stat`s and opens the bytes, so a
 * deleted file answers 404 at once; if its bytes could not be removed and the event was lost, it
 * is served for at most FILE_RESOLVE_CACHE_MS more. Ownership is checked on every hit: another
 * user's request for a cached file goes to the files service (and gets its 404).
 */
@Injectable()
export class FileResolver implements OnModuleInit, OnModuleDestroy {
  private readonly cache = new Map<string, Entry>();
  // Bumped by every eviction: an answer that was on its way while a file was deleted is not cached.
  private evictions = 0;
  private sub?: { unsubscribe(): void };

  constructor(private readonly nats: NatsClient) {}

  onModuleInit(): void {
    this.sub = this.nats.subscribe<{ file_id?: unknown }>(FilesEvents.deleted, (e) => {
      if (typeof e?.file_id === 'string') this.evict(e.file_id);
    });
  }

  onModuleDestroy(): void {
    this.sub?.unsubscribe();
  }

  /** The file as its owner `user` may download it, or (no user) by id alone for a signed link. */
  async resolve(fileId: string, user: AuthContext | undefined, requestId: string): Promise<ResolvedFile> {
    const hit = this.cache.get(fileId);
    if (hit && hit.until > Date.now() && (!user || hit.file.user_id === user.user_id)) return hit.file;
    const evictions = this.evictions;
    const file = await this.nats.request<ResolvedFile>(FilesSubjects.resolve, user ? { user, file_id: fileId } : { file_id: fileId }, { requestId });
    if (evictions === this.evictions && file.file_id === fileId) {
      if (this.cache.size >= MAX_ENTRIES) this.cache.clear();
      this.cache.set(fileId, { file, until: Date.now() + FILE_RESOLVE_CACHE_MS });
    }
    return file;
  }

  evict(fileId: string): void {
    this.evictions++;
    this.cache.delete(fileId);
  }
}
