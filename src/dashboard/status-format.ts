import { type Timestamp, timestampDate } from "@bufbuild/protobuf/wkt";
import { InvocationStatus } from "../client/browser.js";
import { element } from "./element.js";

/** pynenc's name of a status (`running`), as the server's --help and metrics write it. */
export function statusLabel(status: InvocationStatus): string {
  return status === InvocationStatus.UNSPECIFIED ? "none" : (InvocationStatus[status] ?? String(status)).toLowerCase();
}

/** A status as a coloured badge. */
export function statusBadge(status: InvocationStatus): HTMLElement {
  const label = statusLabel(status);
  return element("span", { class: `status s-${label}` }, label);
}

/** A timestamp as local date and time with milliseconds; "" when unset. */
export function formatTime(timestamp: Timestamp | undefined): string {
  if (timestamp === undefined) return "";
  const date = timestampDate(timestamp);
  const time = date.toLocaleTimeString(undefined, { hour12: false });
  return `${date.toLocaleDateString()} ${time}.${String(date.getMilliseconds()).padStart(3, "0")}`;
}

/** How long ago, in words short enough for a table cell (`4 s`, `3 min`, `2 h`). */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${Math.round(s / 3600)} h`;
}
