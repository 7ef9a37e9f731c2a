import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { OwnerStanding } from './owner-standing.js';
import { VideoEntity } from './video.entity.js';
import { VideoPurgeService } from './video-purge.service.js';
import { VideosHandler } from './videos.handler.js';
import { VideosService } from './videos.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([VideoEntity])],
  controllers: [VideosHandler],
  providers: [VideosService, VideoPurgeService, OwnerStanding],
  exports: [VideosService, VideoPurgeService],
})
export class VideosModule {}
