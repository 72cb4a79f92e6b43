/** A dashboard route, parsed from the location's hash. */
export interface DashboardRoute {
  /** overview, invocations, invocation, runners or feed. */
  readonly view: string;
  /** The query parameters, plus `id` for an invocation's route. */
  readonly params: URLSearchParams;
  /** The namespace shown (`ns`; "" = the default one). */
  readonly namespace: string;
}

/** Parse `#/invocation/ID?ns=NS&...` (an empty hash is the overview). */
export function routeFromHash(hash: string): DashboardRoute {
  const [path = "", query = ""] = hash.replace(/^#\/?/, "").split("?", 2);
  const params = new URLSearchParams(query);
  const [view = "", ...rest] = path.split("/");
  if (view === "invocation") params.set("id", rest.join("/"));
  return { view: view === "" ? "overview" : view, params, namespace: params.get("ns") ?? "" };
}

/** The same hash with another namespace (`ns` removed for the default one). */
export function hashWithNamespace(hash: string, namespace: string): string {
  const [path = "#/", query = ""] = (hash === "" ? "#/" : hash).split("?", 2);
  const params = new URLSearchParams(query);
  if (namespace === "") params.delete("ns");
  else params.set("ns", namespace);
  const rest = params.toString();
  return rest === "" ? path : `${path}?${rest}`;
}
