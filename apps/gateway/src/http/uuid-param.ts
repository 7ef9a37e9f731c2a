import { type PipeTransform } from '@nestjs/common';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A UUID in any case. */
export const isUuid = (value: string): boolean => UUID.test(value);

/**
 * A UUID path parameter in its canonical, lower-case form. Ids are written in lower case
 * everywhere (PostgreSQL prints uuids so, events name jobs so), and some are matched as text (the
 * job of a video, the job an event stream follows): `…/jobs/{ID IN UPPER CASE}/…` is the same job.
 * Anything else is passed on unchanged, for the service to answer as an id it does not know.
 */
export function canonicalId(value: string): string {
  return isUuid(value) ? value.toLowerCase() : value;
}

/** `@Param('job_id', UuidParam)`: see `canonicalId`. */
export class UuidParam implements PipeTransform<string, string> {
  transform(value: string): string {
    return canonicalId(value);
  }
}
