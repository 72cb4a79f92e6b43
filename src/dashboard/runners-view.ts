import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { RunnerInfo } from "../client/browser.js";
import type { View } from "./dashboard-context.js";
import { element } from "./element.js";
import { retryDelayMs, sleep } from "./retry-delay.js";
import { formatAge, statusLabel } from "./status-format.js";

const REFRESH_MS = 2_000;

function runnerRow(runner: RunnerInfo, serverMs: number, namespaceQuery: string): HTMLTableRowElement {
  const age =
    runner.lastHeartbeat === undefined ? "" : formatAge(serverMs - timestampDate(runner.lastHeartbeat).getTime());
  const owned = runner.owned.map((c) => {
    const name = statusLabel(c.status);
    const query = new URLSearchParams(namespaceQuery.slice(1));
    query.set("status", name);
    query.set("runner", runner.runnerId);
    return element("a", { href: `#/invocations?${query}` }, `${name} ${c.count}`);
  });
  return element(
    "tr",
    { "data-runner": runner.runnerId },
    element("td", { class: "mono" }, runner.runnerId),
    element("td", { class: runner.alive ? "alive" : "dead" }, runner.alive ? "alive" : "dead"),
    element("td", {}, age),
    element("td", {}, ...owned.flatMap((link, i) => (i === 0 ? [link] : [", ", link]))),
    element("td", { class: "hide-narrow" }, runner.consumedQueues.join(", ")),
    element("td", { class: "hide-narrow" }, runner.canRunAtomicService ? "yes" : ""),
  );
}

/**
 * Runners: every runner of the namespace with the age of its last heartbeat (on the server's
 * clock), whether the server considers it alive, and what it owns, read with ListRunners every
 * two seconds (heartbeats are not changes, so there is nothing to watch).
 */
export const runnersView: View = (container, context) => {
  const { client, namespace, signal, connection } = context;
  const namespaceQuery = namespace === "" ? "" : `?ns=${encodeURIComponent(namespace)}`;
  const body = element("tbody");
  const header = element(
    "tr",
    {},
    ...["runner", "state", "last heartbeat", "owns", "queues", "atomic service"].map((name, i) =>
      element("th", { class: i >= 4 ? "hide-narrow" : undefined }, name),
    ),
  );
  container.replaceChildren(
    element("h2", {}, "Runners"),
    element(
      "div",
      { class: "panel" },
      element("table", { "data-testid": "runners" }, element("thead", {}, header), body),
    ),
  );
  void (async () => {
    let attempt = 0;
    connection.report("runners", "connecting");
    while (!signal.aborted) {
      try {
        const { runners, serverTime } = await client.listRunners({ namespace }, { signal });
        const serverMs = serverTime === undefined ? Date.now() : timestampDate(serverTime).getTime();
        body.replaceChildren(...runners.map((r) => runnerRow(r, serverMs, namespaceQuery)));
        if (runners.length === 0)
          body.append(
            element("tr", {}, element("td", { colspan: "6", class: "muted" }, "no runner has sent a heartbeat")),
          );
        connection.report("runners", "live");
        attempt = 0;
        await sleep(REFRESH_MS, signal);
      } catch {
        if (signal.aborted) break;
        connection.report("runners", "reconnecting");
        await sleep(retryDelayMs(attempt++), signal);
      }
    }
    connection.forget("runners");
  })();
};
