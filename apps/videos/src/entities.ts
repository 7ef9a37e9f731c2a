import type { EntityClass } from '@vgp/persistence';

/** Every entity of the `videos` schema. */
export const VIDEOS_ENTITIES: EntityClass[] = [];
