import type { ConnectError } from "@connectrpc/connect";
import { createStatusClient, type DescribeStateMachineResponse } from "../client/browser.js";
import { authorizationInterceptor, isSignInRefusal } from "./authorization-interceptor.js";
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
import { createSessionToken } from "./session-token.js";
import { signInForm, signInPrompt } from "./sign-in-form.js";

const VIEWS: Record<string, View> = {
  overview: overviewView,
  invocations: invocationsView,
  invocation: invocationView,
  runners: runnersView,
  feed: liveFeedView,
};

// The page is served by the server it shows: its HTTP port speaks Connect at the same origin.
// Under authentication every call carries the tab's token; a refusal brings up the sign-in form.
const session = createSessionToken(() => window.sessionStorage);
const client = createStatusClient(window.location.origin, {
  interceptors: [authorizationInterceptor(session.get, (error, token) => askToSignIn(error, token))],
});
const connection = createConnectionState(document.getElementById("connection")!);
const container = document.getElementById("view")!;
const signOut = document.getElementById("sign-out") as HTMLButtonElement;
const picker = bindNamespacePicker(
  document.getElementById("namespace") as HTMLInputElement,
  document.getElementById("namespaces") as HTMLDataListElement,
  (namespace) => {
    window.location.hash = hashWithNamespace(window.location.hash, namespace);
  },
);

/** The server's state machine, read once it answers. */
let stateMachine: DescribeStateMachineResponse | undefined;
/** Aborted when the current view is left: its streams and timers end. */
let leave: AbortController | undefined;
/** The sign-in form on screen, if any. */
let form: HTMLElement | undefined;
/** Whether loadStateMachine is running (one at a time). */
let loading = false;

/** Read the state machine (retrying while the server is away), then show the route; a refusal stops here. */
async function loadStateMachine(): Promise<void> {
  const never = new AbortController().signal;
  for (let attempt = 0; stateMachine === undefined; attempt++) {
    try {
      stateMachine = await client.describeStateMachine({});
    } catch (error) {
      // The interceptor has put up the sign-in form (unless the token changed meanwhile): signing
      // in starts again.
      if (isSignInRefusal(error) && form !== undefined) break;
      connection.report("state machine", "reconnecting");
      await sleep(retryDelayMs(attempt), never);
    }
  }
  connection.forget("state machine");
  if (stateMachine !== undefined && form === undefined) show(stateMachine);
}

/** Show the route, or first read the state machine; with a new token, every stream starts over. */
function start(): void {
  form = undefined;
  connection.forget("sign-in");
  signOut.hidden = session.get() === undefined;
  if (stateMachine !== undefined) show(stateMachine);
  else if (!loading) {
    loading = true;
    void loadStateMachine().finally(() => {
      loading = false;
    });
  }
}

/** A call was refused: end the view's streams and ask for a token instead. */
function askToSignIn(error: ConnectError, token: string | undefined): void {
  if (form?.isConnected) return;
  leave?.abort();
  connection.report("sign-in", "signed-out");
  form = signInForm(signInPrompt(error, token !== undefined), (entered) => {
    session.set(entered);
    start();
  });
  container.replaceChildren(form);
}

function show(stateMachine: DescribeStateMachineResponse): void {
  leave?.abort();
  leave = new AbortController();
  form = undefined;
  connection.forget("sign-in");
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

signOut.addEventListener("click", (event) => {
  event.preventDefault();
  session.set(undefined);
  start();
});
window.addEventListener("hashchange", () => {
  if (stateMachine !== undefined) show(stateMachine);
});
start();
