export * from "./definitions.js";
export * from "./errors.js";
export * from "./invocation-status.js";
export * from "./server-transitions.js";
export * from "./state-diagram.js";
export * from "./state-machine.js";
export * from "./status-record.js";
