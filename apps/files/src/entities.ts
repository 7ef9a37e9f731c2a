import type { EntityClass } from '@vgp/persistence';
import { FileEntity } from './files/file.entity.js';

/** Every entity of the `files` schema (chunks are written with SQL: they carry a generated tsvector). */
export const FILES_ENTITIES: EntityClass[] = [FileEntity];
