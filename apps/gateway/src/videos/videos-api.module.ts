import { Module } from '@nestjs/common';
import { BlobResponder } from './blob-responder.js';
import { VideosController } from './videos.controller.js';

/** Video routes of the API: metadata, byte streaming (ranges), thumbnails, subtitles, edits. */
@Module({ controllers: [VideosController], providers: [BlobResponder], exports: [BlobResponder] })
export class VideosApiModule {}
