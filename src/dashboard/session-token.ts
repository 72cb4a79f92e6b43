const STORAGE_KEY = "pynenc-status.token";

/**
 * The token typed or pasted into the sign-in form, as it is sent: without surrounding spaces or
 * a pasted `Bearer ` scheme; undefined when nothing is left, or when it holds spaces inside (no
 * bearer token does, and a header cannot carry a line break).
 */
export function tokenFromInput(text: string): string | undefined {
  const token = text.trim().replace(/^Bearer\s+/i, "");
  return token === "" || /\s/.test(token) ? undefined : token;
}

/** The token this tab signed in with. */
export interface SessionToken {
  /** The token, or undefined when signed out. */
  get(): string | undefined;
  /** Sign in with `token`, or out when undefined. */
  set(token: string | undefined): void;
}

/**
 * Create the tab's token, kept in sessionStorage (so a reload keeps it and closing the tab
 * forgets it, and other tabs never see it). Where storage is off, it lasts until the page reloads.
 */
export function createSessionToken(storage: () => Pick<Storage, "getItem" | "setItem" | "removeItem">): SessionToken {
  let token: string | undefined;
  try {
    // Reading window.sessionStorage itself throws where storage is off.
    token = storage().getItem(STORAGE_KEY) ?? undefined;
  } catch {
    token = undefined;
  }
  return {
    get: () => token,
    set(next) {
      token = next;
      try {
        if (next === undefined) storage().removeItem(STORAGE_KEY);
        else storage().setItem(STORAGE_KEY, next);
      } catch {
        // Storage may be off (some private windows): the token is still held in memory.
      }
    },
  };
}
