import multipart from '@fastify/multipart';
import { Module, type OnModuleInit } from '@nestjs/common';
import { APP_GUARD, HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { LinksModule } from '../links/links.module.js';
import { VideosApiModule } from '../videos/videos-api.module.js';
import { FileResolver } from './file-resolver.js';
import { FilesController } from './files.controller.js';
import { MultipartGuard } from './multipart.guard.js';
import { UploadService } from './upload.service.js';

/** File routes of the API: streamed uploads, lists, signed links, downloads. */
@Module({
  imports: [VideosApiModule, LinksModule],
  controllers: [FilesController],
  providers: [UploadService, FileResolver, { provide: APP_GUARD, useClass: MultipartGuard }],
})
export class FilesApiModule implements OnModuleInit {
  constructor(private readonly host: HttpAdapterHost) {}

  onModuleInit(): void {
    // The parser only marks the request; the upload routes stream the parts themselves.
    // MultipartGuard keeps multipart bodies away from every other route. Not awaited: loading it
    // now would load the routes queued so far before Nest sets its error handler on them.
    const fastify = this.host.httpAdapter.getInstance<FastifyInstance>();
    void fastify.register(multipart);
  }
}
