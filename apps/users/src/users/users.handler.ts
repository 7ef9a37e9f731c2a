import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  type ApplyWebhookRequest,
  type ListUsersRequest,
  type RateLimitReserveRequest,
  type ResolveUserRequest,
  type UpdatePermissionsRequest,
  type UpdateStatusRequest,
  type UserRefRequest,
  type UserStandingRequest,
  UsersSubjects,
} from '@vgp/contracts';
import { ClerkWebhookService } from './clerk-webhook.service.js';
import { RateLimitStore } from './rate-limit.store.js';
import { UsersService } from './users.service.js';

/** NATS request handlers: thin, delegating to the services. */
@Controller()
export class UsersHandler {
  constructor(
    private readonly users: UsersService,
    private readonly webhooks: ClerkWebhookService,
    private readonly rateLimits: RateLimitStore,
  ) {}

  @MessagePattern(UsersSubjects.resolve)
  resolve(@Payload() req: ResolveUserRequest) {
    return this.users.resolve(req?.claims);
  }

  @MessagePattern(UsersSubjects.get)
  get(@Payload() req: UserRefRequest) {
    return this.users.get(req.user, req.user_id);
  }

  @MessagePattern(UsersSubjects.standing)
  standing(@Payload() req: UserStandingRequest) {
    return this.users.standing(req?.user_id);
  }

  @MessagePattern(UsersSubjects.list)
  list(@Payload() req: ListUsersRequest) {
    return this.users.list(req);
  }

  @MessagePattern(UsersSubjects.updatePermissions)
  updatePermissions(@Payload() req: UpdatePermissionsRequest) {
    return this.users.updatePermissions(req);
  }

  @MessagePattern(UsersSubjects.updateStatus)
  updateStatus(@Payload() req: UpdateStatusRequest) {
    return this.users.updateStatus(req);
  }

  @MessagePattern(UsersSubjects.applyWebhook)
  applyWebhook(@Payload() req: ApplyWebhookRequest) {
    return this.webhooks.apply(req);
  }

  @MessagePattern(UsersSubjects.reserveRateLimit)
  reserve(@Payload() req: RateLimitReserveRequest) {
    return this.rateLimits.reserve(req);
  }
}
