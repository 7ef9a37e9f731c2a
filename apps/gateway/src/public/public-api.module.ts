import { Module } from '@nestjs/common';
import { VideosApiModule } from '../videos/videos-api.module.js';
import { PublicVideosController } from './public-videos.controller.js';

/** Routes anyone may call without a token: public videos. */
@Module({ imports: [VideosApiModule], controllers: [PublicVideosController] })
export class PublicApiModule {}
