import type { HttpCallRequest } from './http-call';

/** What a pod agent (pod-agent.ts) is asked to do. */
export type AgentOp =
  | { readonly op: 'http'; readonly call: HttpCallRequest }
  | { readonly op: 'connect'; readonly host: string; readonly port: number; readonly timeoutMs: number };

/** A request to a pod agent, one JSON line. */
export type AgentRequest = AgentOp & { readonly id: number };

/** Its answer, one JSON line. */
export type AgentReply =
  | {
      readonly id: number;
      readonly ok: true;
      readonly status?: number;
      readonly body?: string;
      readonly connected?: boolean;
      readonly error?: string;
    }
  | { readonly id: number; readonly ok: false; readonly error: string };
