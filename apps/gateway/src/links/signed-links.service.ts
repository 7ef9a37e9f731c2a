import { Injectable } from '@nestjs/common';
import { AppError, ErrorCode, type FileMetadata, type VideoMetadataView } from '@vgp/contracts';
import { GatewayConfig } from '../gateway.config.js';
import { apiBaseUrl } from './api-base-url.js';
import { checkLink, securePath, signFileLink, signLink, videoScope } from './signed-links.js';

/** What a video's links are signed for besides their job's scope. */
const VIDEO_SUBJECT = 'video-media';

/**
 * Signed, expiring links, keyed by FILES_SIGNING_SECRET and living FILES_LINK_TTL_SECONDS: a
 * file's `/files/{id}/secure`, and a video's media routes, so that a browser's `<video>`, `<img>`
 * and `<track>` elements, which send no bearer token, can load a private video's bytes.
 */
@Injectable()
export class SignedLinksService {
  constructor(private readonly config: GatewayConfig) {}

  private expiry(): number {
    return Math.floor(Date.now() / 1000) + this.config.FILES_LINK_TTL_SECONDS;
  }

  /** FileMetadata with its signed `download_url`. */
  withFileLink(file: FileMetadata, userId: string): FileMetadata {
    const expires = this.expiry();
    const signature = signFileLink(this.config.FILES_SIGNING_SECRET, file.id, userId, expires);
    return { ...file, download_url: `${apiBaseUrl(this.config)}/files/${file.id}/secure?expires=${expires}&signature=${signature}` };
  }

  /**
   * The metadata with its `download_url` and `thumbnail_urls` signed: one signature opens every
   * media route of the job (download, stream, thumbnails, subtitles), so a client may put the
   * same `expires` and `signature` on any of them. A job has at most one video.
   */
  withVideoLinks(view: VideoMetadataView): VideoMetadataView {
    const expires = this.expiry();
    const query = `expires=${expires}&signature=${signLink(this.config.FILES_SIGNING_SECRET, videoScope(view.job_id), VIDEO_SUBJECT, expires)}`;
    const signed = (url: string) => `${url}${url.includes('?') ? '&' : '?'}${query}`;
    return { ...view, download_url: signed(view.download_url), thumbnail_urls: view.thumbnail_urls.map(signed) };
  }

  /** 403 unless the link was made by us for this file and owner and has not expired. */
  verifyFile(fileId: string, ownerId: string, expires: unknown, signature: unknown): void {
    this.verify(securePath(fileId), ownerId, expires, signature);
  }

  /** 403 unless the link was made by us for the media of this job and has not expired. */
  verifyVideo(jobId: string, expires: unknown, signature: unknown): void {
    this.verify(videoScope(jobId), VIDEO_SUBJECT, expires, signature);
  }

  /** 403 unless the link was made by us for this scope and subject and has not expired. */
  private verify(scope: string, subject: string, expires: unknown, signature: unknown): void {
    const check = checkLink(this.config.FILES_SIGNING_SECRET, scope, subject, expires, signature);
    if (check === 'expired') throw AppError.forbidden('This link has expired', { reason: 'expired' });
    if (check !== 'ok') throw this.invalid();
  }

  /** The same refusal for a link to something that does not exist (ids cannot be probed). */
  invalid(): AppError {
    return new AppError(ErrorCode.FORBIDDEN, 403, 'This link is not valid', { reason: 'invalid_signature' });
  }
}
