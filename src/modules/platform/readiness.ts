import { AppError } from '../../errors/index.ts';

export interface Probe {
  name: string;
  check(): Promise<void>;
}

export interface ReadinessReport {
  status: 'ready';
  checks: Record<string, 'ok'>;
}

const withTimeout = (p: Promise<void>, ms: number) =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms).unref())]);

/** Every probe must answer in time; otherwise system:not_ready names the failing parts. */
export async function checkReadiness(probes: Probe[], timeoutMs = 2_000): Promise<ReadinessReport> {
  const results = await Promise.allSettled(probes.map((p) => withTimeout(p.check(), timeoutMs)));
  const failed = probes.flatMap((p, i) => {
    const r = results[i];
    return r?.status === 'rejected' ? [{ field: p.name, issue: r.reason instanceof Error ? r.reason.message : String(r.reason) }] : [];
  });
  if (failed.length > 0) {
    throw new AppError('system:not_ready', { message: `Not ready: ${failed.map((f) => f.field).join(', ')} unavailable`, details: failed });
  }
  return { status: 'ready', checks: Object.fromEntries(probes.map((p) => [p.name, 'ok' as const])) };
}
