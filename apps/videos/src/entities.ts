import type { EntityClass } from '@vgp/persistence';
import { VideoEntity } from './videos/video.entity.js';

/** Every entity of the `videos` schema. */
export const VIDEOS_ENTITIES: EntityClass[] = [VideoEntity];
