import type { NatsConnection } from '@nats-io/transport-node';
import { timed } from '@vgp/observability';

/** The NATS server as the gateway's own connection sees it. */
export function connectionFigures(nc: NatsConnection): Record<string, unknown> {
  const info = nc.info;
  const stats = nc.stats();
  return {
    server: nc.getServer(),
    server_id: info?.server_id ?? null,
    server_name: info?.server_name ?? null,
    server_version: info?.version ?? null,
    jetstream: Boolean(info?.jetstream),
    max_payload_bytes: info?.max_payload ?? null,
    connection_messages_in: stats.inMsgs,
    connection_messages_out: stats.outMsgs,
    connection_bytes_in: stats.inBytes,
    connection_bytes_out: stats.outBytes,
  };
}

/**
 * The server-wide figures from nats-server's monitoring endpoint (`/varz`), when `monitorUrl`
 * is set; null otherwise or when it does not answer in time.
 */
export async function monitorFigures(monitorUrl: string, timeoutMs: number): Promise<{ figures: Record<string, unknown> | null; error?: string }> {
  if (!monitorUrl) return { figures: null };
  const o = await timed(async () => {
    const res = await fetch(new URL('/varz', monitorUrl), { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) throw new Error(`monitoring endpoint answered ${res.status}`);
    return (await res.json()) as Record<string, any>;
  }, timeoutMs);
  if (!o.ok || !o.value) return { figures: null, error: o.error };
  const v = o.value;
  return {
    figures: {
      connected_clients: v.connections ?? null,
      total_connections: v.total_connections ?? null,
      subscriptions: v.subscriptions ?? null,
      slow_consumers: v.slow_consumers ?? null,
      server_memory_bytes: v.mem ?? null,
      server_cpu_percent: v.cpu ?? null,
      messages_in: v.in_msgs ?? null,
      messages_out: v.out_msgs ?? null,
      bytes_in: v.in_bytes ?? null,
      bytes_out: v.out_bytes ?? null,
      server_uptime: v.uptime ?? null,
    },
  };
}
