import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { UserRole, UserStatus } from '@vgp/contracts';

/** A user of the `users` schema: Clerk profile, role, status, permission flags and limits. */
@Entity({ name: 'users' })
export class UserEntity {
  @PrimaryColumn('text')
  id: string;

  @Column('text', { nullable: true })
  username: string | null;

  @Column('text')
  fullName: string;

  @Column('text', { nullable: true })
  email: string | null;

  @Column('text', { nullable: true })
  imageUrl: string | null;

  @Column('boolean')
  emailVerified: boolean;

  @Column('text')
  role: UserRole;

  @Column('text')
  status: UserStatus;

  @Column('text', { array: true })
  permissions: string[];

  @Column('boolean')
  canGenerateVideos: boolean;

  @Column('boolean')
  canUploadFiles: boolean;

  @Column('boolean')
  canAccessPremiumFeatures: boolean;

  @Column('boolean')
  canViewAllJobs: boolean;

  @Column('boolean')
  canCancelAnyJob: boolean;

  @Column('boolean')
  canAccessSystemMetrics: boolean;

  @Column('int')
  maxConcurrentJobs: number;

  @Column('int')
  maxDailyJobs: number;

  @Column('int')
  maxFileSizeMb: number;

  @Column('timestamptz')
  createdAt: Date;

  @Column('timestamptz')
  updatedAt: Date;

  @Column('timestamptz', { nullable: true })
  lastSignInAt: Date | null;

  @Column('timestamptz', { nullable: true })
  deletedAt: Date | null;

  @Column('bigint', { nullable: true })
  clerkUpdatedAt: string | null;
}
