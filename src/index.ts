// The package root (`pynenc-status`): embed the server, its stores and pynenc's state machine.
// The client is `pynenc-status/client`; the command line is the `pynenc-status` bin.
export * from "./core/index.js";
export { SERVE_DEFAULTS, type ServeDefaults } from "./server/defaults.js";
export { createLogger, LOG_LEVELS, type Logger, type LogLevel } from "./server/logger.js";
export { type RunningServer, type ServeOptions, serve } from "./server/serve.js";
export type { RpcContext, ServiceHandlers } from "./service/service-handlers.js";
export {
  createStatusService,
  type StatusServiceHandlers,
  type StatusServiceOptions,
} from "./service/status-service.js";
export * from "./store/index.js";
