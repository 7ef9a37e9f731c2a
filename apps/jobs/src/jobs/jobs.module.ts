import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { JobEntity } from './job.entity.js';
import { JobsHandler } from './jobs.handler.js';
import { JobsService } from './jobs.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([JobEntity])],
  controllers: [JobsHandler],
  providers: [JobsService],
  exports: [JobsService],
})
export class JobsModule {}
