// The one module of the portal UI that talks to the portal's server
// (crates/cs-portal/API.md). Every answer is JSON or nothing; every refusal
// becomes a `PortalError { code, message, fields }`, so pages branch on
// `code` and show `fields` next to their inputs, never parsing messages.
//
// CSRF: every state-changing request carries `X-CSRF-Token` — the session's
// token once signed in (from any `Session` answer), before that the value of
// the `cs_csrf` cookie the server sets with the branding and every page.
import type * as T from "./types";

export type ErrorCode =
  | "invalid"
  | "too_large"
  | "signed_out"
  | "invalid_credentials"
  | "invalid_code"
  | "second_factor"
  | "forbidden"
  | "csrf"
  | "not_found"
  | "expired"
  | "conflict"
  /** A server action while the reseller's desktop is offline and the reseller holds no requests. */
  | "desktop_offline"
  | "rate_limited"
  /** The server could not be reached, or answered with something that is not the API's. */
  | "unavailable"
  | "internal";

const KNOWN: readonly string[] = [
  "invalid", "too_large", "signed_out", "invalid_credentials", "invalid_code", "second_factor",
  "forbidden", "csrf", "not_found", "expired", "conflict", "desktop_offline", "rate_limited", "unavailable", "internal",
];

export class PortalError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Messages per field, keyed by the request body's camelCase field name. */
  readonly fields: Record<string, string>;
  /** From `Retry-After`, for `rate_limited`. */
  readonly retryAfterSeconds?: number;

  constructor(code: ErrorCode, message: string, opts: { status?: number; fields?: Record<string, string>; retryAfterSeconds?: number } = {}) {
    super(message);
    this.name = "PortalError";
    this.code = code;
    this.status = opts.status ?? 0;
    this.fields = opts.fields ?? {};
    this.retryAfterSeconds = opts.retryAfterSeconds;
  }

  static from(e: unknown): PortalError {
    if (e instanceof PortalError) return e;
    if (e instanceof Error) return new PortalError("internal", e.message);
    return new PortalError("internal", "Something went wrong: try again");
  }
}

let sessionCsrf: string | null = null;

/** Remembers the signed-in session's CSRF token (or forgets it on sign-out). */
export function setSessionCsrf(token: string | null) {
  sessionCsrf = token;
}

export function readCookie(name: string): string | null {
  for (const part of document.cookie.split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === name) return decodeURIComponent(v.join("="));
  }
  return null;
}

function csrfToken(): string | null {
  return sessionCsrf ?? readCookie("cs_csrf");
}

function retryAfter(res: Response): number | undefined {
  const h = res.headers.get("Retry-After");
  if (!h) return undefined;
  if (/^\d+$/.test(h.trim())) return Number(h.trim());
  const at = Date.parse(h);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.round((at - Date.now()) / 1000));
}

function isErrorBody(x: unknown): x is { code: string; message: string; fields?: Record<string, string> } {
  return typeof x === "object" && x !== null && typeof (x as { code?: unknown }).code === "string" && typeof (x as { message?: unknown }).message === "string";
}

async function errorOf(res: Response): Promise<PortalError> {
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    /* not JSON: a proxy's page, a crash */
  }
  const opts = { status: res.status, retryAfterSeconds: retryAfter(res) };
  if (isErrorBody(body)) {
    const code = (KNOWN.includes(body.code) ? body.code : "internal") as ErrorCode;
    const fields = body.fields && typeof body.fields === "object" ? body.fields : {};
    return new PortalError(code, body.message, { ...opts, fields });
  }
  if (res.status === 413) return new PortalError("too_large", "The request is too large", opts);
  if (res.status >= 500) {
    return new PortalError("unavailable", `The portal could not answer (HTTP ${res.status}): try again in a moment`, opts);
  }
  return new PortalError("internal", `The portal gave an unexpected answer (HTTP ${res.status})`, opts);
}

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export async function request<R>(method: Method, path: string, body?: unknown): Promise<R> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (method !== "GET") {
    headers["Content-Type"] = "application/json";
    const token = csrfToken();
    if (token) headers["X-CSRF-Token"] = token;
  }
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: "same-origin",
      body: method === "GET" ? undefined : JSON.stringify(body ?? {}),
    });
  } catch {
    throw new PortalError("unavailable", "Cannot reach the portal: check your connection and try again");
  }
  if (!res.ok) throw await errorOf(res);
  // 202 may carry a body (a server action's `Action`) or none (a mail sent).
  if (res.status === 204) return undefined as R;
  const text = await res.text();
  if (!text) return undefined as R;
  try {
    return JSON.parse(text) as R;
  } catch {
    throw new PortalError("internal", "The portal gave an answer that is not JSON: reload the page");
  }
}

function remember(s: T.Session): T.Session {
  setSessionCsrf(s.csrfToken);
  return s;
}

const enc = encodeURIComponent;

function withCursor(path: string, before?: string | null): string {
  return before ? `${path}?before=${enc(before)}` : path;
}

export const portalApi = {
  // Before signing in.
  branding: (tenant: string) => request<T.Branding>("GET", `/api/v1/t/${enc(tenant)}/branding`),
  signIn: (tenant: string, email: string, password: string) =>
    request<T.Session>("POST", `/api/v1/t/${enc(tenant)}/sign-in`, { email, password }).then(remember),
  requestPasswordReset: (tenant: string, email: string) =>
    request<void>("POST", `/api/v1/t/${enc(tenant)}/password-reset`, { email }),
  invitation: (token: string) => request<T.Invitation>("GET", `/api/v1/invitations/${enc(token)}`),
  acceptInvitation: (token: string, password: string) =>
    request<T.Session>("POST", "/api/v1/invitations/accept", { token, password }).then(remember),
  confirmPasswordReset: (token: string, password: string) =>
    request<void>("POST", "/api/v1/password-reset/confirm", { token, password }),
  confirmEmailChange: (token: string) => request<void>("POST", "/api/v1/email-change/confirm", { token }),

  // The session.
  /** The session, or null when signed out. */
  session: async (): Promise<T.Session | null> => {
    try {
      return remember(await request<T.Session>("GET", "/api/v1/session"));
    } catch (e) {
      if (e instanceof PortalError && e.code === "signed_out") {
        setSessionCsrf(null);
        return null;
      }
      throw e;
    }
  },
  secondFactor: (proof: { code: string } | { recoveryCode: string }) =>
    request<T.Session>("POST", "/api/v1/sign-in/second-factor", proof).then(remember),
  signOut: async () => {
    await request<void>("POST", "/api/v1/sign-out");
    setSessionCsrf(null);
  },
  sessions: () => request<T.SessionInfo[]>("GET", "/api/v1/sessions"),
  revokeSession: (id: string) => request<void>("DELETE", `/api/v1/sessions/${enc(id)}`),

  // The account.
  changePassword: (currentPassword: string, newPassword: string) =>
    request<void>("POST", "/api/v1/account/password", { currentPassword, newPassword }),
  changeEmail: (newEmail: string, password: string) => request<void>("POST", "/api/v1/account/email", { newEmail, password }),
  twoFactorSetup: () => request<T.TwoFactorSetup>("POST", "/api/v1/account/two-factor/setup"),
  /** The pending secret's QR code (an SVG the server draws); `nonce` defeats the browser cache after a new setup. */
  twoFactorQrUrl: (nonce: string) => `/api/v1/account/two-factor/qr.svg?v=${enc(nonce)}`,
  twoFactorEnable: (code: string) => request<T.RecoveryCodes>("POST", "/api/v1/account/two-factor/enable", { code }),
  twoFactorDisable: (password: string, code: string) =>
    request<void>("POST", "/api/v1/account/two-factor/disable", { password, code }),
  regenerateRecoveryCodes: (password: string) => request<T.RecoveryCodes>("POST", "/api/v1/account/recovery-codes", { password }),

  // What the customer sees.
  dashboard: () => request<T.Dashboard>("GET", "/api/v1/dashboard"),
  servers: () => request<T.Server[]>("GET", "/api/v1/servers"),
  server: (id: string) => request<T.ServerDetail>("GET", `/api/v1/servers/${enc(id)}`),
  /** Asks the reseller's desktop to boot, reboot or shut down a server: answers the request (state `requested`), never its outcome. */
  requestServerAction: (id: string, action: T.ServerActionKind) =>
    request<T.ServerAction>("POST", `/api/v1/servers/${enc(id)}/actions`, { action }),
  /**
   * Asks the reseller's desktop to delete a server, `label` being the server's
   * label as the customer typed it to confirm (`invalid` on `fields.label` when
   * it differs): answers the request (action `delete`, state `requested`).
   */
  requestServerDelete: (id: string, label: string) =>
    request<T.ServerAction>("POST", `/api/v1/servers/${enc(id)}/delete`, { label }),
  documents: (before?: string | null) => request<T.Page<T.DocumentSummary>>("GET", withCursor("/api/v1/documents", before)),
  document: (id: string) => request<T.Document>("GET", `/api/v1/documents/${enc(id)}`),
  documentPdfUrl: (id: string) => `/api/v1/documents/${enc(id)}/pdf`,
  documentUblUrl: (id: string) => `/api/v1/documents/${enc(id)}/ubl`,
  wallet: () => request<T.Wallet>("GET", "/api/v1/wallet"),
  walletTransactions: (before?: string | null) =>
    request<T.Page<T.WalletTransaction>>("GET", withCursor("/api/v1/wallet/transactions", before)),
  eventsUrl: "/api/v1/events",
};
