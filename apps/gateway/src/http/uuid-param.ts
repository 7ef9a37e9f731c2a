import { type PipeTransform } from '@nestjs/common';
import { isUuid } from '@vgp/contracts';

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
