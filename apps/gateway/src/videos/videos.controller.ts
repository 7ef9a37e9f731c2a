import { Body, Controller, Delete, Get, Param, Patch, type PipeTransform, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import {
  AppError,
  type AuthContext,
  ErrorCode,
  ExtraErrorCode,
  isUuid,
  JobsSubjects,
  JobStatus,
  type JobStatusView,
  ListVideosQueryDto,
  type PaginatedResponse,
  type ResolvedAsset,
  type ResolveAssetRequest,
  SubtitleQueryDto,
  ThumbnailQueryDto,
  UpdateVideoDto,
  VideoBytesQueryDto,
  type VideoMetadata,
  type VideoMetadataView,
  VideosSubjects,
} from '@vgp/contracts';
import { NatsClient } from '@vgp/messaging';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CurrentUser, SignedAccess } from '../auth/auth.decorators.js';
import { SignedLinksService } from '../links/signed-links.service.js';
import { GatewayConfig } from '../gateway.config.js';
import { RawResponse, ResponseMessage } from '../http/response-message.decorator.js';
import { BlobResponder } from './blob-responder.js';
import { apiBaseUrl } from '../links/api-base-url.js';
import { canonicalId, UuidParam } from '../http/uuid-param.js';

/**
 * Video ids are UUIDs. Anything else under `/videos/` (`DELETE /videos/generate`) is no route at
 * all rather than a missing video (a regex in the path would break the OpenAPI document).
 */
class VideoIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!isUuid(value)) throw new AppError(ExtraErrorCode.ROUTE_NOT_FOUND, 404, 'No route matches this method and path');
    return canonicalId(value);
  }
}

@ApiTags('videos')
@ApiBearerAuth()
@Controller('videos')
export class VideosController {
  constructor(
    private readonly nats: NatsClient,
    private readonly blobs: BlobResponder,
    private readonly config: GatewayConfig,
    private readonly links: SignedLinksService,
  ) {}

  @Get('jobs/:job_id/metadata')
  @ResponseMessage('Video metadata retrieved')
  @ApiOperation({ summary: 'The spec "Video Metadata Response"; 409 VIDEO_NOT_READY while the job runs' })
  async metadata(@Param('job_id', UuidParam) jobId: string, @CurrentUser() user: AuthContext, @Req() req: FastifyRequest): Promise<VideoMetadataView> {
    const view = await this.byJob(user, jobId, req.id, () =>
      this.nats.request<VideoMetadataView>(VideosSubjects.getByJob, { user, job_id: jobId, base_url: apiBaseUrl(this.config) }, { requestId: req.id }),
    );
    // Signed, so that a browser's <video> and <img> elements, which send no token, can load them.
    return this.links.withVideoLinks(view);
  }

  @Get('jobs/:job_id/download')
  @SignedAccess()
  @RawResponse()
  @ApiProduces('video/mp4', 'video/webm', 'video/quicktime', 'video/x-msvideo', 'video/x-ms-wmv', 'video/x-flv')
  @ApiOperation({ summary: 'The video file: Range (206), ETag/Last-Modified (304), attachment unless ?inline=true; counts a download' })
  async download(@Param('job_id', UuidParam) jobId: string, @Query() q: VideoBytesQueryDto, @CurrentUser() user: AuthContext | undefined, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const asset = await this.resolve(user, jobId, req, { kind: 'video' });
    await this.blobs.send(req, reply, {
      ...this.blob(asset),
      disposition: q.inline ? 'inline' : 'attachment',
      onServe: () => this.nats.request(VideosSubjects.count, { video_id: asset.video_id, counter: 'download' }, { requestId: req.id }),
    });
  }

  @Get('jobs/:job_id/stream')
  @SignedAccess()
  @RawResponse()
  @ApiProduces('video/mp4', 'video/webm')
  @ApiOperation({ summary: 'The video inline for a player: Range (206) for seeking; counts a view' })
  async stream(@Param('job_id', UuidParam) jobId: string, @CurrentUser() user: AuthContext | undefined, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const asset = await this.resolve(user, jobId, req, { kind: 'video' });
    await this.blobs.send(req, reply, {
      ...this.blob(asset),
      disposition: 'inline',
      onServe: () => this.nats.request(VideosSubjects.count, { video_id: asset.video_id, counter: 'view' }, { requestId: req.id }),
    });
  }

  @Get('jobs/:job_id/thumbnail')
  @SignedAccess()
  @RawResponse()
  @ApiProduces('image/jpeg')
  @ApiOperation({ summary: 'A thumbnail: ?size=small|medium|large, ?index=N' })
  async thumbnail(@Param('job_id', UuidParam) jobId: string, @Query() q: ThumbnailQueryDto, @CurrentUser() user: AuthContext | undefined, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const asset = await this.resolve(user, jobId, req, { kind: 'thumbnail', size: q.size, index: q.index });
    await this.blobs.send(req, reply, { ...this.blob(asset), disposition: 'inline' });
  }

  @Get('jobs/:job_id/subtitles/:language')
  @SignedAccess()
  @RawResponse()
  @ApiProduces('application/x-subrip', 'text/vtt')
  @ApiOperation({ summary: 'A subtitle track: ?format=srt|vtt' })
  async subtitles(
    @Param('job_id', UuidParam) jobId: string,
    @Param('language') language: string,
    @Query() q: SubtitleQueryDto,
    @CurrentUser() user: AuthContext | undefined,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const asset = await this.resolve(user, jobId, req, { kind: 'subtitle', language, format: q.format });
    await this.blobs.send(req, reply, { ...this.blob(asset), disposition: 'inline' });
  }

  @Get()
  @ResponseMessage('Videos retrieved')
  @ApiOperation({ summary: 'The caller\'s videos: filters status, format, tag, created_after, created_before; sort_by, sort_order' })
  list(@Query() q: ListVideosQueryDto, @CurrentUser() user: AuthContext, @Req() req: FastifyRequest): Promise<PaginatedResponse<VideoMetadata>> {
    return this.nats.request(VideosSubjects.list, { user, ...q }, { requestId: req.id });
  }

  @Get(':video_id')
  @ResponseMessage('Video retrieved')
  @ApiOperation({ summary: 'VideoMetadata' })
  get(@Param('video_id', VideoIdPipe) videoId: string, @CurrentUser() user: AuthContext, @Req() req: FastifyRequest): Promise<VideoMetadata> {
    return this.nats.request(VideosSubjects.get, { user, video_id: videoId }, { requestId: req.id });
  }

  @Patch(':video_id')
  @ResponseMessage('Video updated')
  @ApiOperation({ summary: 'Edit title (<=200), description (<=1000), tags (<=10), is_public' })
  update(@Param('video_id', VideoIdPipe) videoId: string, @Body() body: UpdateVideoDto, @CurrentUser() user: AuthContext, @Req() req: FastifyRequest): Promise<VideoMetadata> {
    return this.nats.request(VideosSubjects.update, { user, video_id: videoId, changes: body }, { requestId: req.id });
  }

  @Delete(':video_id')
  @ResponseMessage('Video deleted')
  @ApiOperation({ summary: 'Soft delete (status deleted); the bytes are removed after the retention period' })
  remove(@Param('video_id', VideoIdPipe) videoId: string, @CurrentUser() user: AuthContext, @Req() req: FastifyRequest): Promise<unknown> {
    return this.nats.request(VideosSubjects.delete, { user, video_id: videoId }, { requestId: req.id });
  }

  private blob(asset: ResolvedAsset) {
    return { key: asset.key, contentType: asset.content_type, filename: asset.filename, etag: asset.etag, notFoundCode: ExtraErrorCode.VIDEO_NOT_FOUND, cache: 'private' as const };
  }

  /**
   * The caller's asset, or, without a caller (a signed link, let through by the guard), the job's
   * asset once the link's signature is checked: 403 for an altered or expired link, before
   * anything is looked up.
   */
  private resolve(user: AuthContext | undefined, jobId: string, req: FastifyRequest, what: Omit<ResolveAssetRequest, 'user' | 'job_id' | 'signed'>): Promise<ResolvedAsset> {
    const requestId = req.id;
    if (user) return this.byJob(user, jobId, requestId, () => this.nats.request<ResolvedAsset>(VideosSubjects.resolveAsset, { user, job_id: jobId, ...what }, { requestId }));
    const q = req.query as Record<string, unknown>;
    this.links.verifyVideo(jobId, q.expires, q.signature);
    return this.nats.request<ResolvedAsset>(VideosSubjects.resolveAsset, { job_id: jobId, signed: true, ...what }, { requestId });
  }

  /**
   * No video recorded for the job: the jobs service tells a job still on its way (409
   * VIDEO_NOT_READY) from one that will never have one (failed, cancelled, or a job that makes no
   * video: 404 VIDEO_NOT_FOUND, so a client waiting for the video stops), and from one that is not
   * the caller's or does not exist (404 JOB_NOT_FOUND).
   */
  private async byJob<T>(user: AuthContext, jobId: string, requestId: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof AppError) || err.code !== ExtraErrorCode.VIDEO_NOT_FOUND || err.details?.recorded !== false) throw err;
      const job = await this.nats.request<JobStatusView>(JobsSubjects.status, { user, job_id: jobId }, { requestId });
      const details = { job_id: job.job_id, job_status: job.status, progress: job.progress?.percentage ?? 0 };
      if (job.status === JobStatus.QUEUED || job.status === JobStatus.PROCESSING) {
        throw AppError.conflict(ErrorCode.VIDEO_NOT_READY, `The video of this job is not ready yet (job is ${job.status})`, details);
      }
      throw new AppError(ExtraErrorCode.VIDEO_NOT_FOUND, 404, `This job has no video and will not have one (job is ${job.status})`, details);
    }
  }
}
