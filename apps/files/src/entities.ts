import type { EntityClass } from '@vgp/persistence';

/** Every entity of the `files` schema. */
export const FILES_ENTITIES: EntityClass[] = [];
