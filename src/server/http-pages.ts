import { existsSync, readdirSync, readFileSync } from "node:fs";
import type * as http from "node:http";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** A request a page refuses to answer: its HTTP status, extra headers and a one-line reason. */
export interface PageRefusal {
  readonly status: 401 | 403;
  readonly headers: Readonly<Record<string, string>>;
  readonly message: string;
}

/** The Prometheus exposition of GET /metrics. */
export interface MetricsPage {
  readonly contentType: string;
  scrape(): Promise<string>;
  /** Checks each request first (under authentication); undefined = /metrics is open. */
  readonly admit?: (request: http.IncomingMessage) => Promise<PageRefusal | undefined>;
}

/** What the HTTP port serves besides the RPCs. */
export interface HttpPagesOptions {
  /** The Prometheus exposition (GET /metrics); undefined = no /metrics. */
  readonly metrics?: MetricsPage;
  /** The built dashboard (index.html and its assets); undefined = dashboardAssetsDir(). */
  readonly dashboardDir?: string;
}

/** A step of the HTTP port's request pipeline: true when it answered the request. */
export type HttpPages = (request: http.IncomingMessage, response: http.ServerResponse) => boolean;

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".map": "application/json",
};

// The dashboard needs nothing from another origin: no fonts, scripts or styles from a CDN. Its
// state diagram is drawn by Graphviz compiled to WebAssembly, which 'wasm-unsafe-eval' allows.
const PAGE_HEADERS = {
  "content-security-policy":
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "cache-control": "no-cache",
};

/**
 * Where `npm run build` puts the dashboard: dist/dashboard, found from this module whether it runs
 * compiled (dist/src/server) or from the sources through tsx (src/server).
 */
export function dashboardAssetsDir(): string {
  const here = fileURLToPath(new URL(".", import.meta.url));
  const candidates = [join(here, "../../dashboard"), join(here, "../../dist/dashboard")];
  return candidates.find((dir) => existsSync(join(dir, "index.html"))) ?? candidates[1]!;
}

/** The files of a built dashboard, by URL path ("/" is index.html); empty when it was not built. */
function loadAssets(dir: string): Map<string, { body: Buffer; type: string }> {
  const assets = new Map<string, { body: Buffer; type: string }>();
  if (!existsSync(join(dir, "index.html"))) return assets;
  for (const name of readdirSync(dir)) {
    const type = CONTENT_TYPES[extname(name)];
    if (type !== undefined) assets.set(`/${name}`, { body: readFileSync(join(dir, name)), type });
  }
  assets.set("/", assets.get("/index.html")!);
  return assets;
}

/** Answer GET (or HEAD) /metrics: the scrape, once the request is admitted. */
async function answerMetrics(metrics: MetricsPage, request: http.IncomingMessage, response: http.ServerResponse) {
  const head = request.method === "HEAD";
  try {
    const refusal = await metrics.admit?.(request);
    if (refusal !== undefined) {
      const body = `${refusal.message}\n`;
      response.writeHead(refusal.status, {
        ...refusal.headers,
        "content-type": "text/plain; charset=utf-8",
        "content-length": Buffer.byteLength(body),
      });
      response.end(head ? undefined : body);
      return;
    }
    const text = await metrics.scrape();
    response.writeHead(200, { "content-type": metrics.contentType, "content-length": Buffer.byteLength(text) });
    response.end(head ? undefined : text);
  } catch (error) {
    response.writeHead(500, { "content-type": "text/plain" }).end(`scrape failed: ${error}\n`);
  }
}

/**
 * The HTTP port's pages, a step before Connect: `GET /metrics` (Prometheus text format, behind
 * its `admit` check) and the dashboard at `/` with its assets, read once at start from the build
 * (open to all: they hold no data, the dashboard reads through the RPCs). Anything else (every
 * RPC) is left to the next step.
 */
export function createHttpPages(options: HttpPagesOptions = {}): HttpPages {
  const assets = loadAssets(options.dashboardDir ?? dashboardAssetsDir());
  const { metrics } = options;
  return (request, response) => {
    if (request.method !== "GET" && request.method !== "HEAD") return false;
    const path = (request.url ?? "/").split("?", 1)[0]!;
    if (path === "/metrics" && metrics !== undefined) {
      void answerMetrics(metrics, request, response);
      return true;
    }
    const asset = assets.get(path);
    if (asset !== undefined) {
      response.writeHead(200, { ...PAGE_HEADERS, "content-type": asset.type, "content-length": asset.body.length });
      response.end(request.method === "HEAD" ? undefined : asset.body);
      return true;
    }
    if (path === "/") {
      response.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
      response.end("The dashboard is not built: run `npm run build` (npm install runs it).\n");
      return true;
    }
    return false;
  };
}
