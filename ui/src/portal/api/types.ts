// The portal's customer API (crates/cs-portal/API.md), as TypeScript types.
// Money is `{ minor, currency }` with the minor units as a string; times are
// RFC 3339 UTC strings.

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

export type Session = {
  stage: Stage;
  csrfToken: string;
  account: { id: string; name: string; email: string; role: Role; twoFactor: boolean };
  organization: { id: string; name: string };
  tenant: { slug: string; name: string };
};

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

export type DocumentLine = {
  description: string;
  period?: Period | null;
  /** Hours (or another quantity) as a decimal string. */
  quantity?: string | null;
  hours?: string | null;
  unitPrice?: Money | null;
  amount: Money;
  taxRate?: string | null;
};

export type TaxRow = {
  category?: string | null;
  /** A percentage as a decimal string, e.g. "21". */
  rate?: string | null;
  taxable: Money;
  tax: Money;
};

export type Document = DocumentSummary & {
  lines: DocumentLine[];
  taxBreakdown: TaxRow[];
  net?: Money | null;
  tax?: Money | null;
  dueDate?: string | null;
  voidedBy?: string | null;
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
  servers: { total: number; running: number; stopped: number; other: number };
  wallet?: Wallet | null;
  recentDocuments: DocumentSummary[];
};

export type TwoFactorSetup = { secret: string; otpauthUri: string };
export type RecoveryCodes = { recoveryCodes: string[] };

/** What `GET /api/v1/events` says changed. */
export type ChangeEvent = { what: string };
