import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { FileEntity } from './file.entity.js';
import { FilesHandler } from './files.handler.js';
import { FilesService } from './files.service.js';
import { TextIndexer } from './text-indexer.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([FileEntity])],
  controllers: [FilesHandler],
  providers: [FilesService, TextIndexer],
  exports: [FilesService, TextIndexer],
})
export class FilesModule {}
