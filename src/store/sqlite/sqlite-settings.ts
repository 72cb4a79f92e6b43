import { randomBytes } from "node:crypto";
import type Database from "better-sqlite3";
import { StateMachineProfileMismatchError } from "../errors.js";

/** What a store file keeps about itself. */
export interface SqliteSettings {
  /** The secret page tokens are signed with: 32 random bytes, made with the file. */
  readonly pageTokenSecret: Buffer;
}

/**
 * Read a store file's settings, making them on its first open: pin the state machine's profile
 * (a file opened later under another one throws StateMachineProfileMismatchError naming it) and
 * make the page-token secret.
 */
export function pinSqliteSettings(db: Database.Database, location: string, profile: string): SqliteSettings {
  const select = db.prepare<[string], { value: string }>(`SELECT value FROM settings WHERE key = ?`);
  const insert = db.prepare(`INSERT INTO settings (key, value) VALUES (?, ?)`);
  return db.transaction(() => {
    const pinned = select.get("profile")?.value;
    if (pinned === undefined) insert.run("profile", profile);
    else if (pinned !== profile) throw new StateMachineProfileMismatchError(location, pinned, profile);
    let secret = select.get("page_token_secret")?.value;
    if (secret === undefined) {
      secret = randomBytes(32).toString("hex");
      insert.run("page_token_secret", secret);
    }
    return { pageTokenSecret: Buffer.from(secret, "hex") };
  })();
}
