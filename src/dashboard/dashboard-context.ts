import type { DescribeStateMachineResponse, StatusClient } from "../client/browser.js";
import type { ConnectionState } from "./connection-state.js";

/** What every view gets: the client, the namespace shown, and when to stop. */
export interface DashboardContext {
  readonly client: StatusClient;
  readonly namespace: string;
  /** The server's state machine (DescribeStateMachine), read once per page load. */
  readonly stateMachine: DescribeStateMachineResponse;
  readonly connection: ConnectionState;
  /** Aborted when the view is left (another route or namespace): its streams and timers end. */
  readonly signal: AbortSignal;
  /** The route's parameters (`#/invocations?status=running` -> status=running). */
  readonly params: URLSearchParams;
  /** Go to another route of the dashboard, e.g. `#/invocation/ID`. */
  navigate(hash: string): void;
}

/** A view: fills `container` and keeps it live until the context's signal aborts. */
export type View = (container: HTMLElement, context: DashboardContext) => void;
