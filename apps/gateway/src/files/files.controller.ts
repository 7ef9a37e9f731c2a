import { Controller, Delete, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  AppError,
  type AuthContext,
  type BatchUploadResult,
  ExtraErrorCode,
  type FileMetadata,
  FilesSubjects,
  type FileStatsView,
  ListFilesQueryDto,
  type PaginatedResponse,
  type ResolvedFile,
} from '@vgp/contracts';
import { NatsClient } from '@vgp/messaging';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CurrentUser, Public } from '../auth/auth.decorators.js';
import { Messaged, RawResponse, ResponseMessage } from '../http/response-message.decorator.js';
import { BlobResponder } from '../videos/blob-responder.js';
import { SignedLinksService } from '../links/signed-links.service.js';
import { FileResolver } from './file-resolver.js';
import { servedContentType } from './served-content-type.js';
import { AcceptsMultipart } from './multipart.guard.js';
import { UploadService } from './upload.service.js';
import { UuidParam } from '../http/uuid-param.js';

const FORM_FIELDS = {
  file_type: { type: 'string', enum: ['image', 'video', 'audio', 'document', 'archive'], description: 'Optional; must agree with the content' },
  subdirectory: { type: 'string', maxLength: 100, description: 'A label; one name, no path' },
  description: { type: 'string', maxLength: 1000 },
  tags: { type: 'array', items: { type: 'string', maxLength: 50 }, maxItems: 10, description: 'Repeated fields or comma-separated' },
};

@ApiTags('files')
@ApiBearerAuth()
@Controller('files')
export class FilesController {
  constructor(
    private readonly nats: NatsClient,
    private readonly uploads: UploadService,
    private readonly links: SignedLinksService,
    private readonly blobs: BlobResponder,
    private readonly resolver: FileResolver,
  ) {}

  @Post('upload')
  @HttpCode(201)
  @AcceptsMultipart()
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: { type: 'object', required: ['file'], properties: { file: { type: 'string', format: 'binary' }, ...FORM_FIELDS } } })
  @ResponseMessage('File uploaded successfully')
  @ApiOperation({ summary: 'multipart `file` + `file_type?`, `subdirectory?`, `description?`, `tags?`; streamed, size-limited, type read from content' })
  async upload(@CurrentUser() user: AuthContext, @Req() req: FastifyRequest): Promise<FileMetadata> {
    this.mayUpload(user);
    return this.links.withFileLink(await this.uploads.uploadOne(req, user), user.user_id);
  }

  @Post('batch-upload')
  @HttpCode(201)
  @AcceptsMultipart()
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: { type: 'object', required: ['files'], properties: { files: { type: 'array', items: { type: 'string', format: 'binary' }, maxItems: 50 }, ...FORM_FIELDS } } })
  @ApiOperation({ summary: 'multipart `files` (<=50) + shared fields; lists of stored and rejected files' })
  async batchUpload(@CurrentUser() user: AuthContext, @Req() req: FastifyRequest): Promise<Messaged<BatchUploadResult>> {
    this.mayUpload(user);
    const result = await this.uploads.uploadBatch(req, user);
    result.stored = result.stored.map((f) => this.links.withFileLink(f, user.user_id));
    return new Messaged(result, `${result.stored.length} file(s) stored, ${result.rejected.length} rejected`);
  }

  @Get()
  @ResponseMessage('Files retrieved')
  @ApiOperation({ summary: 'The caller\'s files, each with a signed, expiring download_url; `file_type` filter' })
  async list(@Query() q: ListFilesQueryDto, @CurrentUser() user: AuthContext, @Req() req: FastifyRequest): Promise<PaginatedResponse<FileMetadata>> {
    const page = await this.nats.request<PaginatedResponse<FileMetadata>>(FilesSubjects.list, { user, ...q }, { requestId: req.id });
    return { ...page, items: page.items.map((f) => this.links.withFileLink(f, user.user_id)) };
  }

  @Get('stats')
  @ResponseMessage('File statistics retrieved')
  @ApiOperation({ summary: 'Total files, total bytes, by type' })
  stats(@CurrentUser() user: AuthContext, @Req() req: FastifyRequest): Promise<FileStatsView> {
    return this.nats.request(FilesSubjects.stats, { user }, { requestId: req.id });
  }

  @Get(':file_id')
  @ResponseMessage('File retrieved')
  @ApiOperation({ summary: 'FileMetadata with a signed, expiring download_url' })
  async get(@Param('file_id', UuidParam) fileId: string, @CurrentUser() user: AuthContext, @Req() req: FastifyRequest): Promise<FileMetadata> {
    const file = await this.nats.request<FileMetadata>(FilesSubjects.get, { user, file_id: fileId }, { requestId: req.id });
    return this.links.withFileLink(file, user.user_id);
  }

  @Get(':file_id/download')
  @RawResponse()
  @ApiOperation({ summary: 'The file, Range (206), ETag (304)' })
  async download(@Param('file_id', UuidParam) fileId: string, @CurrentUser() user: AuthContext, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const file = await this.resolver.resolve(fileId, user, req.id);
    await this.send(req, reply, file);
  }

  @Get(':file_id/secure')
  @Public()
  @RawResponse()
  @ApiOperation({ summary: 'A signed link (`expires`, `signature`), no token; expired or altered links answer 403', security: [] })
  async secure(
    @Param('file_id', UuidParam) fileId: string,
    @Query('expires') expires: string | undefined,
    @Query('signature') signature: string | undefined,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    // Links without their parameters are refused before anything is looked up; a missing file and a
    // bad signature get the same answer (the signature is checked before the expiry).
    if (typeof expires !== 'string' || typeof signature !== 'string') throw this.links.invalid();
    const file = await this.resolver.resolve(fileId, undefined, req.id).catch((err: unknown) => {
      if (err instanceof AppError && err.status === 404) throw this.links.invalid();
      throw err;
    });
    this.links.verifyFile(file.file_id, file.user_id, expires, signature);
    await this.send(req, reply, file);
  }

  @Delete(':file_id')
  @ResponseMessage('File deleted')
  @ApiOperation({ summary: 'Delete the file and its bytes' })
  async remove(@Param('file_id', UuidParam) fileId: string, @CurrentUser() user: AuthContext, @Req() req: FastifyRequest): Promise<unknown> {
    const deleted = await this.nats.request(FilesSubjects.delete, { user, file_id: fileId }, { requestId: req.id });
    // Not served from this replica's cache after the answer, whatever the event's timing.
    this.resolver.evict(fileId);
    return deleted;
  }

  private send(req: FastifyRequest, reply: FastifyReply, file: ResolvedFile): Promise<void> {
    return this.blobs.send(req, reply, {
      key: file.key,
      contentType: servedContentType(file.mime_type, file.encoding),
      filename: file.original_filename,
      etag: `"${file.checksum.slice(0, 40)}"`,
      disposition: 'attachment',
      notFoundCode: ExtraErrorCode.FILE_NOT_FOUND,
      cache: 'private',
    });
  }

  private mayUpload(user: AuthContext): void {
    if (!user.permissions.can_upload_files) throw AppError.forbidden('Your account may not upload files');
  }
}
