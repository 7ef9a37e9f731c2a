import { Body, Controller, Get, Param, Patch, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  type AuthContext,
  ListUsersQueryDto,
  type PaginatedResponse,
  UpdatePermissionsDto,
  UpdateUserStatusDto,
  type UserDetail,
  type UserPermissions,
  UsersSubjects,
  type UserSummary,
} from '@vgp/contracts';
import { NatsClient } from '@vgp/messaging';
import type { FastifyRequest } from 'fastify';
import { AuthContextResolver } from '../auth/auth-context.resolver.js';
import { CurrentUser } from '../auth/auth.decorators.js';
import { ResponseMessage } from '../http/response-message.decorator.js';

/** Admin routes (role admin or permission `users:manage`; the users service checks). */
@ApiTags('users')
@ApiBearerAuth()
@Controller('users')
export class UsersController {
  constructor(
    private readonly nats: NatsClient,
    private readonly resolver: AuthContextResolver,
  ) {}

  @Get()
  @ResponseMessage('Users retrieved successfully')
  @ApiOperation({ summary: 'Users with role and status, paginated (admin)' })
  list(@Query() q: ListUsersQueryDto, @CurrentUser() user: AuthContext, @Req() req: FastifyRequest): Promise<PaginatedResponse<UserSummary>> {
    return this.nats.request(UsersSubjects.list, { user, ...q }, { requestId: req.id });
  }

  @Get(':user_id')
  @ResponseMessage('User retrieved successfully')
  @ApiOperation({ summary: 'Profile and permissions of a user (admin)' })
  get(@Param('user_id') userId: string, @CurrentUser() user: AuthContext, @Req() req: FastifyRequest): Promise<UserDetail> {
    return this.nats.request(UsersSubjects.get, { user, user_id: userId }, { requestId: req.id });
  }

  @Patch(':user_id/permissions')
  @ResponseMessage('User permissions updated successfully')
  @ApiOperation({ summary: 'Role, flags and limits of a user (admin); a new role brings its defaults unless flags or limits are given' })
  async updatePermissions(@Param('user_id') userId: string, @Body() body: UpdatePermissionsDto, @CurrentUser() user: AuthContext, @Req() req: FastifyRequest): Promise<UserPermissions> {
    const result = await this.nats.request<UserPermissions>(UsersSubjects.updatePermissions, { user, user_id: userId, changes: body }, { requestId: req.id });
    // The event reaches every replica; this one applies it before answering.
    this.resolver.evict(userId);
    return result;
  }

  @Patch(':user_id/status')
  @ResponseMessage('User status updated successfully')
  @ApiOperation({ summary: 'Activate, deactivate or suspend a user (admin)' })
  async updateStatus(@Param('user_id') userId: string, @Body() body: UpdateUserStatusDto, @CurrentUser() user: AuthContext, @Req() req: FastifyRequest): Promise<UserDetail> {
    const result = await this.nats.request<UserDetail>(UsersSubjects.updateStatus, { user, user_id: userId, status: body.status }, { requestId: req.id });
    this.resolver.evict(userId);
    return result;
  }
}
