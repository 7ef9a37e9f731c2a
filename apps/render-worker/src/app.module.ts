import { Module } from '@nestjs/common';
import { ConfigModule } from '@vgp/config';
import { ServiceName } from '@vgp/contracts';
import { MessagingModule } from '@vgp/messaging';
import { ObservabilityModule } from '@vgp/observability';
import { StorageModule } from '@vgp/storage';
import { cgroupCpuLimit } from './media/cpu-limit.js';
import { RenderPipeline } from './pipeline/render-pipeline.js';
import { ScriptGenerators } from './pipeline/script-generation/script-generators.js';
import { RenderHealth } from './render-health.js';
import { RenderWorkerConfig } from './render-worker.config.js';
import { JobRunner } from './worker/job-runner.service.js';
import { JobsClient } from './worker/jobs.client.js';
import { RenderMetrics } from './worker/render-metrics.js';
import { WorkerService } from './worker/worker.service.js';

@Module({
  imports: [
    ConfigModule.forRoot(RenderWorkerConfig),
    MessagingModule.forRoot(ServiceName.RENDER_WORKER),
    ObservabilityModule.forRoot(ServiceName.RENDER_WORKER),
    StorageModule.forRoot(),
  ],
  providers: [
    JobsClient,
    RenderMetrics,
    RenderHealth,
    JobRunner,
    WorkerService,
    {
      provide: RenderPipeline,
      inject: [RenderWorkerConfig, JobsClient],
      useFactory: (c: RenderWorkerConfig, jobs: JobsClient) =>
        new RenderPipeline({
          tools: { ffmpeg: c.FFMPEG_PATH, ffprobe: c.FFPROBE_PATH, espeak: c.ESPEAK_PATH, ffmpegThreads: c.RENDER_FFMPEG_THREADS || cgroupCpuLimit() || undefined },
          voice: c.TTS_VOICE,
          wordsPerMinute: c.TTS_WORDS_PER_MINUTE,
          ragLimit: c.RAG_PASSAGE_LIMIT,
          generators: new ScriptGenerators({ baseUrl: c.SCRIPT_PROVIDER_BASE_URL, apiKey: c.SCRIPT_PROVIDER_API_KEY, models: c.SCRIPT_PROVIDER_MODELS, timeoutMs: c.SCRIPT_PROVIDER_TIMEOUT_MS }),
          searchPassages: (userId, query, limit) => jobs.searchPassages(userId, query, limit),
        }),
    },
  ],
})
export class AppModule {}
