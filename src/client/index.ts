export * from "./generated.js";
export * from "./rpc-status-error.js";
export * from "./status-client.js";
