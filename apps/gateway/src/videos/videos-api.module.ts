import { Module } from '@nestjs/common';
import { LinksModule } from '../links/links.module.js';
import { BlobResponder } from './blob-responder.js';
import { VideosController } from './videos.controller.js';

/** Video routes of the API: metadata, byte streaming (ranges), thumbnails, subtitles, edits. */
@Module({ imports: [LinksModule], controllers: [VideosController], providers: [BlobResponder], exports: [BlobResponder] })
export class VideosApiModule {}
