import { createStatusClient, type DescribeStateMachineResponse } from "../client/browser.js";
import { createConnectionState } from "./connection-state.js";
import type { View } from "./dashboard-context.js";
import { hashWithNamespace, routeFromHash } from "./dashboard-route.js";
import { invocationView } from "./invocation-view.js";
import { invocationsView } from "./invocations-view.js";
import { liveFeedView } from "./live-feed-view.js";
import { bindNamespacePicker } from "./namespace-picker.js";
import { overviewView } from "./overview-view.js";
import { retryDelayMs, sleep } from "./retry-delay.js";
import { runnersView } from "./runners-view.js";

const VIEWS: Record<string, View> = {
  overview: overviewView,
  invocations: invocationsView,
  invocation: invocationView,
  runners: runnersView,
  feed: liveFeedView,
};

// The page is served by the server it shows: its HTTP port speaks Connect at the same origin.
const client = createStatusClient(window.location.origin);
const connection = createConnectionState(document.getElementById("connection")!);
const container = document.getElementById("view")!;
const picker = bindNamespacePicker(
  document.getElementById("namespace") as HTMLInputElement,
  document.getElementById("namespaces") as HTMLDataListElement,
  (namespace) => {
    window.location.hash = hashWithNamespace(window.location.hash, namespace);
  },
);

async function describeStateMachine(): Promise<DescribeStateMachineResponse> {
  const never = new AbortController().signal;
  for (let attempt = 0; ; attempt++) {
    try {
      return await client.describeStateMachine({});
    } catch {
      connection.report("state machine", "reconnecting");
      await sleep(retryDelayMs(attempt), never);
    }
  }
}

let leave: AbortController | undefined;

function show(stateMachine: DescribeStateMachineResponse): void {
  leave?.abort();
  leave = new AbortController();
  const route = routeFromHash(window.location.hash);
  const view = VIEWS[route.view] ?? overviewView;
  for (const link of document.querySelectorAll<HTMLAnchorElement>("nav a")) {
    link.classList.toggle(
      "active",
      link.dataset.view === route.view || (route.view === "invocation" && link.dataset.view === "invocations"),
    );
    link.href = hashWithNamespace(`#/${link.dataset.view === "overview" ? "" : link.dataset.view}`, route.namespace);
  }
  picker.show(route.namespace);
  document.title = `pynenc-status · ${route.view}${route.namespace === "" ? "" : ` · ${route.namespace}`}`;
  view(container, {
    client,
    namespace: route.namespace,
    stateMachine,
    connection,
    signal: leave.signal,
    params: route.params,
    navigate: (hash) => {
      window.location.hash = hashWithNamespace(hash, route.namespace);
    },
  });
}

void describeStateMachine().then((stateMachine) => {
  connection.forget("state machine");
  window.addEventListener("hashchange", () => show(stateMachine));
  show(stateMachine);
});
