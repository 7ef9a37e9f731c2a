import type { EntityClass } from '@vgp/persistence';

/** Every entity of the `users` schema. */
export const USERS_ENTITIES: EntityClass[] = [];
