import { Module } from '@nestjs/common';
import { SignedLinksService } from './signed-links.service.js';

/** Signed, expiring links to files and to a video's media. */
@Module({ providers: [SignedLinksService], exports: [SignedLinksService] })
export class LinksModule {}
