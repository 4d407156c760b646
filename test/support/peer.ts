/** Controls the Cloudflare API stand-in (test/peers/cloudflare-api.ts) from a test. */
import { QUEUES_API_BASE_URL } from "./constants";

export type Fault = { status?: number; retry_after?: number; hang?: boolean; malformed?: boolean };

const origin = new URL(QUEUES_API_BASE_URL).origin;

/** Queues faults for the next API calls (and an optional standing rule); clears the call log. */
export interface FaultRules {
  reject_containing?: string;
  push_failure_rate?: number;
  outage_ms?: number;
}

export async function injectFaults(faults: Fault[] = [], rules: FaultRules = {}): Promise<void> {
  const res = await fetch(`${origin}/__faults`, { method: "POST", body: JSON.stringify({ faults, ...rules }) });
  if (!res.ok) throw new Error(`stand-in refused the fault plan: ${res.status}`);
}

export async function apiCalls(): Promise<{ path: string; authorization: string | null }[]> {
  return (await (await fetch(`${origin}/__calls`)).json()) as { path: string; authorization: string | null }[];
}
