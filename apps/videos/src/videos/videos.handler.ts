import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  type CountVideoRequest,
  type ListVideosRequest,
  type PublicVideoRequest,
  type RecordVideoRequest,
  type ResolveAssetRequest,
  type UpdateVideoRequest,
  type VideoByJobRequest,
  type VideoRefRequest,
  VideosSubjects,
} from '@vgp/contracts';
import { VideosService } from './videos.service.js';

/** NATS request handlers: thin, delegating to the service. */
@Controller()
export class VideosHandler {
  constructor(private readonly videos: VideosService) {}

  @MessagePattern(VideosSubjects.record)
  record(@Payload() req: RecordVideoRequest) {
    return this.videos.record(req);
  }

  @MessagePattern(VideosSubjects.getByJob)
  getByJob(@Payload() req: VideoByJobRequest) {
    return this.videos.getByJob(req);
  }

  @MessagePattern(VideosSubjects.get)
  get(@Payload() req: VideoRefRequest) {
    return this.videos.get(req.user, req.video_id);
  }

  @MessagePattern(VideosSubjects.list)
  list(@Payload() req: ListVideosRequest) {
    return this.videos.list(req);
  }

  @MessagePattern(VideosSubjects.update)
  update(@Payload() req: UpdateVideoRequest) {
    return this.videos.update(req);
  }

  @MessagePattern(VideosSubjects.delete)
  remove(@Payload() req: VideoRefRequest) {
    return this.videos.remove(req.user, req.video_id);
  }

  @MessagePattern(VideosSubjects.resolveAsset)
  resolveAsset(@Payload() req: ResolveAssetRequest) {
    return this.videos.resolveAsset(req);
  }

  @MessagePattern(VideosSubjects.count)
  count(@Payload() req: CountVideoRequest) {
    return this.videos.count(req);
  }

  @MessagePattern(VideosSubjects.getPublic)
  getPublic(@Payload() req: PublicVideoRequest) {
    return this.videos.getPublic(req);
  }

  @MessagePattern(VideosSubjects.stats)
  stats() {
    return this.videos.stats();
  }
}
