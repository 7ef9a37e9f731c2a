import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { FileJobsWorker } from './file-jobs.worker.js';
import { FilesHealth } from './files-health.js';
import { FileEntity } from './file.entity.js';
import { FilesHandler } from './files.handler.js';
import { FilesService } from './files.service.js';
import { OrphanUploadSweeper } from './orphan-upload.sweeper.js';
import { TextIndexer } from './text-indexer.service.js';
import { TextJobCancellations } from './text-job-cancellations.js';

@Module({
  imports: [TypeOrmModule.forFeature([FileEntity])],
  controllers: [FilesHandler],
  providers: [FilesHealth, FilesService, TextIndexer, FileJobsWorker, TextJobCancellations, OrphanUploadSweeper],
  exports: [FilesService, TextIndexer, OrphanUploadSweeper],
})
export class FilesModule {}
