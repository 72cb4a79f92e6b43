export * from "./generated.js";
export * from "./status-client.js";
