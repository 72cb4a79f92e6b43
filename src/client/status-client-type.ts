import type { Client } from "@connectrpc/connect";
import type { StatusService } from "../../gen/ts/pynenc/status/v1/status_pb.js";

/** A client of pynenc.status.v1.StatusService, one method per RPC (Node and browser alike). */
export type StatusClient = Client<typeof StatusService>;
