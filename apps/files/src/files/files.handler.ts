import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  type FileRefRequest,
  FilesSubjects,
  type ListFilesRequest,
  type RegisterFileRequest,
  type ResolveFileRequest,
  type SearchPassagesRequest,
} from '@vgp/contracts';
import type { AuthContext } from '@vgp/contracts';
import { FilesService } from './files.service.js';

/** NATS request handlers: thin, delegating to the service. */
@Controller()
export class FilesHandler {
  constructor(private readonly files: FilesService) {}

  @MessagePattern(FilesSubjects.register)
  register(@Payload() req: RegisterFileRequest) {
    return this.files.register(req);
  }

  @MessagePattern(FilesSubjects.get)
  get(@Payload() req: FileRefRequest) {
    return this.files.get(req.user, req.file_id);
  }

  @MessagePattern(FilesSubjects.list)
  list(@Payload() req: ListFilesRequest) {
    return this.files.list(req);
  }

  @MessagePattern(FilesSubjects.delete)
  remove(@Payload() req: FileRefRequest) {
    return this.files.remove(req.user, req.file_id);
  }

  @MessagePattern(FilesSubjects.stats)
  stats(@Payload() req: { user: AuthContext }) {
    return this.files.stats(req.user);
  }

  @MessagePattern(FilesSubjects.resolve)
  resolve(@Payload() req: ResolveFileRequest) {
    return this.files.resolve(req);
  }

  @MessagePattern(FilesSubjects.searchPassages)
  search(@Payload() req: SearchPassagesRequest) {
    return this.files.searchPassages(req);
  }
}
