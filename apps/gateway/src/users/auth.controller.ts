import { Controller, Get, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AppError, type AuthContext, type UserPermissions, type UserProfile, type UserRole, type UserStatus } from '@vgp/contracts';
import type { FastifyRequest } from 'fastify';
import { type AuthenticatedRequest, CurrentUser, Public } from '../auth/auth.decorators.js';
import { AuthService, bearerToken } from '../auth/auth.service.js';
import { ResponseMessage } from '../http/response-message.decorator.js';

/** `GET /auth/status`: what the token in hand is worth. */
export interface AuthStatusView {
  authenticated: boolean;
  user_id?: string;
  role?: UserRole;
  status?: UserStatus;
  /** When the token expires (ISO). */
  expires_at?: string;
  /** Why the token is not accepted: `UNAUTHORIZED` or `TOKEN_EXPIRED`. */
  reason?: string;
}

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Get('me')
  @ApiBearerAuth()
  @ResponseMessage('User profile retrieved successfully')
  @ApiOperation({ summary: 'The caller\'s profile (created from the token on first sight)' })
  async me(@Req() req: AuthenticatedRequest): Promise<UserProfile> {
    return (await this.auth.resolve(bearerToken(req.headers.authorization), req.id)).profile;
  }

  @Get('permissions')
  @ApiBearerAuth()
  @ResponseMessage('User permissions retrieved successfully')
  @ApiOperation({ summary: 'The caller\'s role, permission flags and limits' })
  permissions(@CurrentUser() user: AuthContext): UserPermissions {
    return user.permissions;
  }

  @Get('status')
  @Public()
  @ResponseMessage('Authentication status retrieved successfully')
  @ApiOperation({ summary: 'Whether the bearer token (if any) is valid, and whose it is' })
  async status(@Req() req: FastifyRequest): Promise<AuthStatusView> {
    const header = req.headers.authorization;
    if (!header) return { authenticated: false, reason: 'UNAUTHORIZED' };
    try {
      const claims = await this.auth.verify(bearerToken(header));
      const { context } = await this.auth.resolve(bearerToken(header), req.id);
      return {
        authenticated: true,
        user_id: context.user_id,
        role: context.role,
        status: context.status,
        ...(claims.exp ? { expires_at: new Date(claims.exp * 1000).toISOString() } : {}),
      };
    } catch (err) {
      if (err instanceof AppError && err.status === 401) return { authenticated: false, reason: err.code };
      throw err;
    }
  }
}
