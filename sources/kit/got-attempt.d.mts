import type { Agent as HttpAgent } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import type { Got } from 'got';

/** got for upstream attempts: retries, statuses and redirects are the source's to decide, attempt by attempt. */
export declare const attemptClient: Got;

export interface KeepAliveAgents {
  http: HttpAgent;
  https: HttpsAgent;
}

/** Connections reused between calls (HTTP keep-alive), as many per host as calls may be in flight. */
export declare function keepAliveAgents(maxSockets: number): KeepAliveAgents;

/** An answer cut off because its body went over the attempt's cap. */
export declare class BodyTooLarge extends Error {}

export interface GotAttempt {
  headers?: Record<string, string> | undefined;
  timeoutMs: number;
  maxBytes: number;
  signal: AbortSignal;
  /** The agents to send with, when the client has none of its own. */
  agent?: KeepAliveAgents | undefined;
}

export interface GotAnswer {
  status: number;
  body: string;
  retryAfter: string | undefined;
}

/** Sends one GET: its status, body and Retry-After, got's error, or BodyTooLarge. */
export declare function sendAttempt(client: Got, url: string | URL, attempt: GotAttempt): Promise<GotAnswer>;
