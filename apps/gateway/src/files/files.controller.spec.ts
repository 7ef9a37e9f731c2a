import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type AuthContext, ROLE_DEFAULT_PERMISSIONS, type ResolvedFile, UserRole, UserStatus } from '@vgp/contracts';
import { MetricsService } from '@vgp/observability';
import { LocalFsStorage } from '@vgp/storage';
import Fastify, { type FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GatewayConfig } from '../gateway.config.js';
import { SignedLinksService } from '../links/signed-links.service.js';
import { signFileLink } from '../links/signed-links.js';
import { BlobResponder } from '../videos/blob-responder.js';
import type { FileResolver } from './file-resolver.js';
import { FilesController } from './files.controller.js';
import { servedContentType } from './served-content-type.js';

const SECRET = 'files-controller-spec-secret-0123456789abcdef';
const owner: AuthContext = {
  user_id: 'u1',
  role: UserRole.USER,
  status: UserStatus.ACTIVE,
  permissions: { user_id: 'u1', role: UserRole.USER, ...ROLE_DEFAULT_PERMISSIONS[UserRole.USER] },
};

/** FilesController's download routes over real files, a real BlobResponder and Fastify; the files service's answers given. */
describe('FilesController: a text file is served with its charset', () => {
  let dir: string;
  let app: FastifyInstance;
  let base: string;
  const files = new Map<string, ResolvedFile>();

  const add = async (storage: LocalFsStorage, body: Buffer, mime: string, encoding?: string) => {
    const id = randomUUID();
    const key = `files/u1/${id}`;
    const put = await storage.put(key, body);
    files.set(id, {
      file_id: id,
      user_id: 'u1',
      key,
      size: put.size,
      mime_type: mime,
      original_filename: 'a.bin',
      checksum: put.sha256,
      created_at: new Date().toISOString(),
      ...(encoding ? { encoding } : {}),
    });
    return id;
  };
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vgp-files-ctl-'));
    const storage = new LocalFsStorage(dir);
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('a² + b²', 'utf16le')]);
    ids.utf8 = await add(storage, Buffer.from('a² + b²'), 'text/plain', 'utf-8');
    ids.utf16le = await add(storage, le, 'text/plain', 'utf-16le');
    ids.utf16be = await add(storage, Buffer.from(le.map((_, i, b) => b[i ^ 1])), 'text/plain', 'utf-16be');
    ids.markdown = await add(storage, Buffer.from('# Über'), 'text/markdown', 'utf-8');
    ids.html = await add(storage, Buffer.from('<!doctype html><p>café</p>'), 'text/html', 'utf-8');
    ids.unrecorded = await add(storage, Buffer.from('a² + b²'), 'text/plain');
    ids.png = await add(storage, Buffer.from('89504e470d0a1a0a', 'hex'), 'image/png');
    const resolver = { resolve: async (fileId: string) => files.get(fileId) } as unknown as FileResolver;
    const links = new SignedLinksService({ FILES_SIGNING_SECRET: SECRET } as GatewayConfig);
    const blobs = new BlobResponder(storage, new MetricsService({ service: 'gateway', version: 'test' }));
    const controller = new FilesController(null as never, null as never, links, blobs, resolver);
    app = Fastify({ forceCloseConnections: true });
    app.get('/files/:id/download', (req, reply) => controller.download((req.params as { id: string }).id, owner, req, reply));
    app.get('/files/:id/secure', (req, reply) => {
      const q = req.query as { expires?: string; signature?: string };
      return controller.secure((req.params as { id: string }).id, q.expires, q.signature, req, reply);
    });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    await app?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it.each<[string, string]>([
    ['utf8', 'text/plain; charset=utf-8'],
    ['utf16le', 'text/plain; charset=utf-16le'],
    ['utf16be', 'text/plain; charset=utf-16be'],
    ['markdown', 'text/markdown; charset=utf-8'],
    ['html', 'text/html; charset=utf-8'],
    ['unrecorded', 'text/plain; charset=utf-8'],
    ['png', 'image/png'],
  ])('%s: /download and /secure answer %s', async (name, type) => {
    const id = ids[name];
    const download = await fetch(`${base}/files/${id}/download`);
    expect([download.status, download.headers.get('content-type')]).toEqual([200, type]);
    const range = await fetch(`${base}/files/${id}/download`, { headers: { range: 'bytes=0-1' } });
    expect([range.status, range.headers.get('content-type')]).toEqual([206, type]);
    const expires = Math.floor(Date.now() / 1000) + 60;
    const secure = await fetch(`${base}/files/${id}/secure?expires=${expires}&signature=${signFileLink(SECRET, id, 'u1', expires)}`);
    expect([secure.status, secure.headers.get('content-type')]).toEqual([200, type]);
    expect(Buffer.from(await secure.arrayBuffer()).length).toBe(files.get(id)?.size);
  });

  it('servedContentType adds a known charset to text types only', () => {
    expect(servedContentType('text/plain', 'UTF-16LE')).toBe('text/plain; charset=utf-16le');
    expect(servedContentType('text/plain', 'latin1')).toBe('text/plain; charset=utf-8');
    expect(servedContentType('text/html', 42)).toBe('text/html; charset=utf-8');
    expect(servedContentType('text/plain; charset=us-ascii', 'utf-8')).toBe('text/plain; charset=us-ascii');
    expect(servedContentType('application/pdf', 'utf-8')).toBe('application/pdf');
    expect(servedContentType('video/mp4')).toBe('video/mp4');
  });
});
