import { Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { ExtraErrorCode, type ResolvedAsset, ThumbnailQueryDto, type VideoMetadataView, VideosSubjects } from '@vgp/contracts';
import { NatsClient } from '@vgp/messaging';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../auth/auth.decorators.js';
import { GatewayConfig } from '../gateway.config.js';
import { RawResponse, ResponseMessage } from '../http/response-message.decorator.js';
import { BlobResponder } from '../videos/blob-responder.js';
import { apiBaseUrl } from '../links/api-base-url.js';
import { UuidParam } from '../http/uuid-param.js';

/** Public videos, without a token. A private, deleted or missing video answers 404 alike. */
@ApiTags('public')
@Public()
@Controller('public/videos')
export class PublicVideosController {
  constructor(
    private readonly nats: NatsClient,
    private readonly blobs: BlobResponder,
    private readonly config: GatewayConfig,
  ) {}

  @Get(':video_id')
  @ResponseMessage('Video metadata retrieved')
  @ApiOperation({ summary: 'Metadata of a public video' })
  get(@Param('video_id', UuidParam) videoId: string, @Req() req: FastifyRequest): Promise<VideoMetadataView> {
    return this.nats.request(VideosSubjects.getPublic, { video_id: videoId, base_url: apiBaseUrl(this.config) }, { requestId: req.id });
  }

  @Get(':video_id/stream')
  @RawResponse()
  @ApiProduces('video/mp4', 'video/webm')
  @ApiOperation({ summary: 'Streams a public video (Range, 206); counts a view' })
  async stream(@Param('video_id', UuidParam) videoId: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const asset = await this.nats.request<ResolvedAsset>(VideosSubjects.resolveAsset, { video_id: videoId, kind: 'video' }, { requestId: req.id });
    await this.blobs.send(req, reply, {
      key: asset.key,
      contentType: asset.content_type,
      filename: asset.filename,
      etag: asset.etag,
      disposition: 'inline',
      notFoundCode: ExtraErrorCode.VIDEO_NOT_FOUND,
      cache: 'public',
      onServe: () => this.nats.request(VideosSubjects.count, { video_id: asset.video_id, counter: 'view' }, { requestId: req.id }),
    });
  }

  @Get(':video_id/thumbnail')
  @RawResponse()
  @ApiProduces('image/jpeg')
  @ApiOperation({ summary: 'A thumbnail of a public video: ?size=small|medium|large, ?index=N' })
  async thumbnail(@Param('video_id', UuidParam) videoId: string, @Query() q: ThumbnailQueryDto, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const asset = await this.nats.request<ResolvedAsset>(VideosSubjects.resolveAsset, { video_id: videoId, kind: 'thumbnail', size: q.size, index: q.index }, { requestId: req.id });
    await this.blobs.send(req, reply, {
      key: asset.key,
      contentType: asset.content_type,
      filename: asset.filename,
      disposition: 'inline',
      notFoundCode: ExtraErrorCode.VIDEO_NOT_FOUND,
      cache: 'public',
    });
  }
}
