// The portal's customer API (crates/cs-portal/API.md), as TypeScript types.
// Money is `{ minor, currency }` with the minor units as a string; times are
// RFC 3339 UTC strings.
import type { PowerAction } from "@/lib/status";

export type Money = { minor: string; currency: string };

export type Branding = {
  tenant: string;
  name: string;
  /** `#rrggbb` */
  accent: string;
  logoUrl?: string | null;
  email?: string | null;
  website?: string | null;
};

export type Role = "admin" | "member" | "billing";
export type Stage = "signed_in" | "second_factor";

export type Account = { id: string; name: string; email: string; role: Role; twoFactor: boolean };

/**
 * A session. `account` and `organization` come only once both factors are
 * passed: a password alone does not show whose account it is.
 */
export type Session = {
  stage: Stage;
  csrfToken: string;
  account?: Account;
  organization?: { id: string; name: string };
  tenant: { slug: string; name: string };
};

export type SignedInSession = Session & { stage: "signed_in"; account: Account; organization: { id: string; name: string } };

export type Invitation = {
  tenant: string;
  tenantName: string;
  email: string;
  name: string;
  organization: string;
  expiresAt: string;
};

export type SessionInfo = {
  id: string;
  createdAt: string;
  lastSeenAt: string;
  ip?: string | null;
  userAgent?: string | null;
  current: boolean;
};

export type ServerStatus =
  | "provisioning"
  | "booting"
  | "running"
  | "rebooting"
  | "shutting_down"
  | "offline"
  | "suspended"
  | "deleting"
  | "deleted"
  | "failed";

export type Server = {
  id: string;
  label: string;
  status: ServerStatus;
  plan: string;
  region: string;
  image: string;
  ipv4?: string | null;
  ipv6?: string | null;
  createdAt: string;
};

/** A power action a customer may ask for (the desktop's `PowerAction`, less what only the reseller does). */
export type ServerActionKind = PowerAction;

/**
 * What an `Action` asks for: a power action, or `delete` (asked for through
 * `POST /api/v1/servers/{id}/delete`, with the server's label typed to confirm).
 */
export type ServerActionName = ServerActionKind | "delete";

/**
 * Where a request stands: `requested` (waiting for the reseller's desktop),
 * `applied`, `refused` (`reason` says why, in words) or `expired` (the desktop
 * stayed offline longer than the reseller holds requests; nothing was done).
 */
export type ServerActionState = "requested" | "applied" | "refused" | "expired";

export type ServerAction = {
  id: string;
  action: ServerActionName;
  state: ServerActionState;
  reason?: string | null;
  requestedAt: string;
  /** The contact's name. */
  requestedBy: string;
  decidedAt?: string | null;
};

/** Whether the reseller's desktop called the portal in the last 90 s, and how long it holds requests while it is away. */
export type DesktopPresence = {
  online: boolean;
  lastSeenAt?: string | null;
  /** 0: requests are refused while the desktop is offline. */
  holdMinutes: number;
};

/** `GET /api/v1/servers/{id}`: the server, its 10 newest actions (newest first) and the desktop's presence. */
export type ServerDetail = Server & { actions: ServerAction[]; desktop: DesktopPresence };

export type DocumentKind = "invoice" | "receipt" | "credit_note";
export type DocumentStatus = "paid" | "unpaid" | "voided";

/** A document's period: API.md leaves its shape open, so both a label and a date range are read. */
export type Period = string | { start: string; end: string };

export type DocumentSummary = {
  id: string;
  kind: DocumentKind;
  number: string;
  issueDate: string;
  period?: Period | null;
  total: Money;
  status: DocumentStatus;
};

export type TaxCategory = "standard" | "zero_rated" | "exempt" | "reverse_charge" | "export" | "outside_scope";

export type DocumentLine = {
  description: string;
  period?: Period | null;
  /** Hours in thousandths, as a string ("720000" is 720 h). */
  hoursMilli: string;
  /** Millionths of the currency unit per hour, as a string. */
  unitRateMicro: string;
  amount: Money;
  /** The monthly cap applied to this line. */
  capped: boolean;
  taxCategory: TaxCategory;
  /** The tax rate in basis points (2100 is 21 %). */
  taxRateBp: number;
};

export type TaxRow = { category: TaxCategory; rateBp: number; taxable: Money; tax: Money };

export type Document = DocumentSummary & {
  dueDate?: string | null;
  seller: string;
  buyer: string;
  lines: DocumentLine[];
  taxBreakdown: TaxRow[];
  totals: { net: Money; tax: Money; gross: Money; paid: Money; due: Money };
  reverseCharge: boolean;
  notes: string[];
  /** For a credit note: the number of the invoice it corrects. */
  corrects?: string | null;
  /** For a voided invoice: the credit note that voided it. */
  voidedBy?: string | null;
  /** Invoices and credit notes have a UBL form; receipts do not. */
  hasUbl: boolean;
};

export type WalletState = "good" | "low" | "grace" | "suspended" | "terminated";

export type Wallet = {
  balance: Money;
  lowBalanceThreshold: Money;
  state: WalletState;
  stateSince?: string | null;
  terminatesAt?: string | null;
  asOf: string;
};

export type WalletTransaction = {
  id: string;
  at: string;
  kind: string;
  memo: string;
  amount: Money;
  document?: string | null;
};

export type Page<T> = { items: T[]; next?: string | null };

export type Dashboard = {
  /** Absent for a role that may not see servers. */
  servers?: { total: number; running: number; stopped: number; other: number } | null;
  wallet?: Wallet | null;
  recentDocuments: DocumentSummary[];
};

export type TwoFactorSetup = { secret: string; otpauthUri: string };
export type RecoveryCodes = { recoveryCodes: string[] };

/** What `GET /api/v1/events` says changed. */
export type ChangeEvent = { what: string };
