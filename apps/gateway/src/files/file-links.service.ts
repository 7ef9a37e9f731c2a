import { Injectable } from '@nestjs/common';
import { AppError, ErrorCode, type FileMetadata } from '@vgp/contracts';
import { GatewayConfig } from '../gateway.config.js';
import { apiBaseUrl } from '../videos/video-links.js';
import { checkFileLink, signFileLink } from './signed-links.js';

/** Signed, expiring links to files (`/files/{id}/secure`), keyed by FILES_SIGNING_SECRET. */
@Injectable()
export class FileLinksService {
  constructor(private readonly config: GatewayConfig) {}

  /** FileMetadata with its signed `download_url`. */
  withLink(file: FileMetadata, userId: string): FileMetadata {
    const expires = Math.floor(Date.now() / 1000) + this.config.FILES_LINK_TTL_SECONDS;
    const signature = signFileLink(this.config.FILES_SIGNING_SECRET, file.id, userId, expires);
    return { ...file, download_url: `${apiBaseUrl(this.config)}/files/${file.id}/secure?expires=${expires}&signature=${signature}` };
  }

  /** 403 unless the link was made by us for this file and owner and has not expired. */
  verify(fileId: string, ownerId: string, expires: unknown, signature: unknown): void {
    const check = checkFileLink(this.config.FILES_SIGNING_SECRET, fileId, ownerId, expires, signature);
    if (check === 'expired') throw AppError.forbidden('This link has expired', { reason: 'expired' });
    if (check !== 'ok') throw AppError.forbidden('This link is not valid', { reason: 'invalid_signature' });
  }

  /** The same refusal for a link to a file that does not exist (ids cannot be probed). */
  invalid(): AppError {
    return new AppError(ErrorCode.FORBIDDEN, 403, 'This link is not valid', { reason: 'invalid_signature' });
  }
}
