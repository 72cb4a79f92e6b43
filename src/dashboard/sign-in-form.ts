import { Code, type ConnectError } from "@connectrpc/connect";
import { element } from "./element.js";
import { tokenFromInput } from "./session-token.js";

/**
 * What the sign-in form says about a refusal: the server wants a token, refused the one given
 * (unknown or expired: the server's message says which), or the token's principal may not read
 * this (its message names what it lacks).
 */
export function signInPrompt(error: Pick<ConnectError, "code" | "rawMessage">, signedIn: boolean): string {
  if (error.code === Code.PermissionDenied) {
    return `The server refused this token: ${error.rawMessage}. Sign in with a token of a principal with the reader role.`;
  }
  return signedIn
    ? `The server refused this token: ${error.rawMessage}. Sign in again.`
    : "This server asks who you are: sign in with a token of a principal with the reader role.";
}

/**
 * The sign-in form, shown in place of a view when the server refuses the page's calls: a token
 * field whose value goes to `onToken` (trimmed, without a pasted `Bearer `).
 */
export function signInForm(prompt: string, onToken: (token: string) => void): HTMLElement {
  const input = element("input", {
    type: "password",
    name: "token",
    autocomplete: "off",
    spellcheck: "false",
    required: "",
    "data-testid": "token",
  });
  const problem = element("p", { class: "error", "data-testid": "sign-in-problem" });
  const form = element(
    "form",
    {},
    element("label", {}, "token ", input),
    element("button", { type: "submit" }, "Sign in"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const token = tokenFromInput(input.value);
    if (token === undefined) {
      problem.textContent = "Enter the token itself: one word, no spaces.";
      return;
    }
    onToken(token);
  });
  const panel = element(
    "section",
    { class: "panel sign-in", "data-testid": "sign-in" },
    element("h2", {}, "Sign in"),
    element("p", { "data-testid": "sign-in-prompt" }, prompt),
    form,
    problem,
    element(
      "p",
      { class: "muted" },
      "The token stays in this tab (sessionStorage) and is sent as ",
      element("code", {}, "authorization: Bearer"),
      " with every call. Sign out forgets it.",
    ),
  );
  queueMicrotask(() => input.focus());
  return panel;
}
