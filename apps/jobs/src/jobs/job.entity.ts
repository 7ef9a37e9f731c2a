import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { JobConfiguration, JobError, JobPriority, JobProgress, JobStatus, JobType } from '@vgp/contracts';

/** A job row in the `jobs` schema. Scheduling columns are internal and never leave the service. */
@Entity({ name: 'jobs' })
@Index('jobs_user_created_idx', ['userId', 'createdAt'])
export class JobEntity {
  @PrimaryColumn('uuid')
  id: string;

  @Column('text')
  userId: string;

  @Column('text')
  jobType: JobType;

  @Column('text')
  priority: JobPriority;

  /** 3 urgent … 0 low, for the claim order. */
  @Column('smallint')
  priorityRank: number;

  @Column('jsonb')
  configuration: JobConfiguration;

  @Column('text')
  status: JobStatus;

  @Column('jsonb')
  progress: JobProgress;

  @Column('jsonb', { nullable: true })
  error: JobError | null;

  @Column('jsonb', { nullable: true })
  result: Record<string, any> | null;

  @Column('timestamptz')
  createdAt: Date;

  @Column('timestamptz')
  updatedAt: Date;

  @Column('timestamptz', { nullable: true })
  startedAt: Date | null;

  @Column('timestamptz', { nullable: true })
  completedAt: Date | null;

  @Column('uuid', { nullable: true })
  batchId: string | null;

  @Column('uuid', { nullable: true })
  parentJobId: string | null;

  @Column('boolean', { default: false })
  isDeleted: boolean;

  @Column('timestamptz', { nullable: true })
  deletedAt: Date | null;

  /** Attempts started so far. */
  @Column('int', { default: 0 })
  retryCount: number;

  @Column('int', { default: 3 })
  maxRetries: number;

  /** Not claimable before this moment (retry backoff). */
  @Column('timestamptz')
  runAfter: Date;

  @Column('uuid', { nullable: true })
  leaseToken: string | null;

  @Column('timestamptz', { nullable: true })
  leaseExpiresAt: Date | null;

  @Column('text', { nullable: true })
  workerId: string | null;

  @Column('boolean', { default: false })
  cancelRequested: boolean;

  @Column('text', { nullable: true })
  idempotencyKey: string | null;

  @Column('text', { nullable: true })
  requestHash: string | null;

  /** Sequence number of the job's latest stored event. */
  @Column('int', { default: 0 })
  eventSeq: number;
}
