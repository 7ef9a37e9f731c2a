import type { EntityClass } from '@vgp/persistence';
import { UserEntity } from './users/user.entity.js';

/** Every entity of the `users` schema. */
export const USERS_ENTITIES: EntityClass[] = [UserEntity];
