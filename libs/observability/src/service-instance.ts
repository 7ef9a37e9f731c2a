import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

export const SERVICE_INSTANCE = Symbol('SERVICE_INSTANCE');

/** One running instance of a service: what tells replicas apart in health reports. */
export interface ServiceInstance {
  /** `<hostname>-<pid>-<random>`: the pod name on Kubernetes, unique even for apps sharing a process. */
  instance_id: string;
  hostname: string;
  started_at: Date;
}

export function createServiceInstance(now = new Date()): ServiceInstance {
  const host = hostname();
  return { instance_id: `${host}-${process.pid}-${randomBytes(3).toString('hex')}`, hostname: host, started_at: now };
}
