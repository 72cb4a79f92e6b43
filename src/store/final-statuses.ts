import { ALL_STATUSES, isFinal } from "../core/index.js";

/** The final statuses, in declaration order (for queries by status). */
export const FINAL_STATUSES = ALL_STATUSES.filter((status) => isFinal(status));
