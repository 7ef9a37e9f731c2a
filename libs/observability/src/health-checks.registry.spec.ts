import { describe, expect, it } from '@jest/globals';
import { HealthIndicatorService } from '@nestjs/terminus';
import { BaseConfig } from '@vgp/config';
import { type CapacityReporter, HealthChecksRegistry } from './health-checks.registry.js';

const config = Object.assign(new BaseConfig(), { HEALTH_CHECK_TIMEOUT_MS: 100 });

function storageCheck(storage: CapacityReporter) {
  const registry = new HealthChecksRegistry(new HealthIndicatorService(), config);
  registry.addStorage(storage);
  const [check] = registry.all();
  return async () => (await (check as unknown as () => Promise<Record<string, Record<string, unknown>>>)()).blob_storage;
}

describe('HealthChecksRegistry.addStorage', () => {
  it('is up with the free space when the store answers and can be written', async () => {
    let writes = 0;
    const check = storageCheck({ driver: 'local', capacity: async () => ({ total_bytes: 10, free_bytes: 4 }), probeWrite: async () => void writes++ });
    expect(await check()).toEqual({ status: 'up', driver: 'local', free_bytes: 4 });
    expect(await check()).toMatchObject({ status: 'up' });
    // Writability is checked at most once a minute.
    expect(writes).toBe(1);
  });

  it('is down when the store cannot be written (a read-only or foreign-owned volume)', async () => {
    const check = storageCheck({
      driver: 'local',
      capacity: async () => ({ total_bytes: 10, free_bytes: 4 }),
      probeWrite: async () => {
        throw new Error("EACCES: permission denied, open '/data/.tmp/x'");
      },
    });
    expect(await check()).toMatchObject({ status: 'down', error: expect.stringContaining('not writable: EACCES') });
  });

  it('is down within HEALTH_CHECK_TIMEOUT_MS when the store hangs, and asks it once while it hangs', async () => {
    let asked = 0;
    const check = storageCheck({ driver: 'local', capacity: () => (asked++, new Promise(() => undefined)) });
    const started = Date.now();
    expect(await check()).toMatchObject({ status: 'down', error: 'no answer within 100 ms' });
    expect(await check()).toMatchObject({ status: 'down', error: 'no answer within 100 ms' });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(asked).toBe(1);
  });
});
