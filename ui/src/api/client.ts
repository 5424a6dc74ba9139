// The one place the UI talks to the backend. Every command's Result is
// unwrapped here: data is returned, errors are thrown as `ApiError`, so
// screens branch on `error.code` and show `error.fieldErrors` beside inputs,
// and never parse message strings.
import { commands, events, type Result } from "../bindings";
import type * as T from "../bindings";

// The codes are the backend's closed set (`cs_app::dto::ErrorCode`), generated
// into the bindings as a union. The record below must name exactly its members
// (the type check fails otherwise); at run time it recognises an answer that is
// not one of ours (a stray rejection), which becomes "internal".
export type ErrorCode = T.ErrorCode;
const CODES: Record<ErrorCode, true> = { validation: true, not_found: true, conflict: true, provider: true, unavailable: true, internal: true };
const isErrorCode = (c: string): c is ErrorCode => Object.hasOwn(CODES, c);

export class ApiError extends Error {
  readonly code: ErrorCode;
  /** Per-field messages keyed by the DTO's camelCase field name. */
  readonly fields: Record<string, string>;

  constructor(code: ErrorCode, message: string, fields: Record<string, string> = {}) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.fields = fields;
  }

  /** Turns whatever a command rejected with into an ApiError. */
  static from(raw: unknown): ApiError {
    if (raw instanceof ApiError) return raw;
    if (isErrorDto(raw)) {
      const code: ErrorCode = isErrorCode(raw.code) ? raw.code : "internal";
      const fields: Record<string, string> = {};
      for (const f of raw.fields ?? []) {
        const key = camelCase(f.field);
        // Keep the first message per field: it is the one to fix first.
        if (!(key in fields)) fields[key] = f.message;
      }
      return new ApiError(code, raw.message, fields);
    }
    if (raw instanceof Error) return new ApiError("internal", raw.message);
    if (typeof raw === "string") return new ApiError("internal", raw);
    return new ApiError("internal", "The app's backend gave an unexpected answer");
  }
}

function isErrorDto(x: unknown): x is T.ErrorDto {
  return (
    typeof x === "object" &&
    x !== null &&
    typeof (x as T.ErrorDto).code === "string" &&
    typeof (x as T.ErrorDto).message === "string"
  );
}

/** The backend names some fields in snake_case (`contact_email`); forms use the DTO's camelCase. */
export function camelCase(field: string): string {
  return field.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

export async function unwrap<D>(p: Promise<Result<D, T.ErrorDto>>): Promise<D> {
  let r: Result<D, T.ErrorDto>;
  try {
    r = await p;
  } catch (e) {
    throw ApiError.from(e);
  }
  if (r.status === "ok") return r.data;
  throw ApiError.from(r.error);
}

export const api = {
  appInfo: () => unwrap(commands.appInfo()),
  dashboard: () => unwrap(commands.dashboard()),
  listOrganizationsPage: (input: T.OrganizationListInput) => unwrap(commands.listOrganizationsPage(input)),
  getOrganization: (id: string) => unwrap(commands.getOrganization(id)),
  createOrganization: (input: T.OrganizationInput) => unwrap(commands.createOrganization(input)),
  updateOrganization: (id: string, input: T.OrganizationInput) => unwrap(commands.updateOrganization(id, input)),
  listPlans: () => unwrap(commands.listPlans()),
  createPlan: (input: T.PlanInput) => unwrap(commands.createPlan(input)),
  updatePlan: (id: string, input: T.PlanInput) => unwrap(commands.updatePlan(id, input)),
  catalogue: (provider: string) => unwrap(commands.catalogue(provider)),
  listServers: (input: T.ServerListInput) => unwrap(commands.listServers(input)),
  getServer: (id: string) => unwrap(commands.getServer(id)),
  createServer: (input: T.ServerInput, options: T.CreateOptionsInput) => unwrap(commands.createServer(input, options)),
  serverAction: (id: string, action: T.ServerAction) => unwrap(commands.serverAction(id, action)),
  deleteServer: (id: string) => unwrap(commands.deleteServer(id)),
  serverStats: (id: string) => unwrap(commands.serverStats(id)),
  listActivity: (limit: number, subject: string | null) => unwrap(commands.listActivity(limit, subject)),
  listActivityPage: (input: T.ActivityListInput) => unwrap(commands.listActivityPage(input)),
  getSettings: () => unwrap(commands.getSettings()),
  updateSettings: (input: T.SettingsInput) => unwrap(commands.updateSettings(input)),
  billingOverview: () => unwrap(commands.billingOverview()),
  runBillingNow: () => unwrap(commands.runBillingNow()),
  listWallets: () => unwrap(commands.listWallets()),
  getWallet: (organizationId: string) => unwrap(commands.getWallet(organizationId)),
  listWalletEntries: (input: T.WalletEntryListInput) => unwrap(commands.listWalletEntries(input)),
  recordPayment: (input: T.PaymentInput) => unwrap(commands.recordPayment(input)),
  recordAdjustment: (input: T.AdjustmentInput) => unwrap(commands.recordAdjustment(input)),
  listDocuments: (input: T.DocumentListInput) => unwrap(commands.listDocuments(input)),
  getDocument: (id: string) => unwrap(commands.getDocument(id)),
  voidInvoice: (id: string, reason: string) => unwrap(commands.voidInvoice(id, reason)),
  saveDocumentPdf: (id: string) => unwrap(commands.saveDocumentPdf(id)),
  getBillingSettings: () => unwrap(commands.getBillingSettings()),
  updateBillingSettings: (input: T.BillingSettingsDto) => unwrap(commands.updateBillingSettings(input)),
};

export { events };
export type {
  ActivityDto,
  ActivityKindFilter,
  ActivityRecorded,
  AdjustmentInput,
  AppInfo,
  BillingOverview,
  BillingRunDto,
  BillingSettingsDto,
  DocumentDetail,
  DocumentListInput,
  DocumentPage,
  OrganizationListInput,
  OrganizationPage,
  ServerListInput,
  ServerPage,
  DocumentLineDto,
  DocumentSummaryDto,
  PaymentInput,
  SavedFile,
  TaxRateDto,
  TaxTotalDto,
  UpcomingSuspension,
  WalletDetail,
  WalletDto,
  WalletEntryDto,
  CatalogueDto,
  CreateOptionsInput,
  Dashboard,
  ErrorDto,
  FieldErrorDto,
  ImageDto,
  InstanceTypeDto,
  MetricPoint,
  MoneyDto,
  OrganizationDetail,
  OrganizationDto,
  OrganizationInput,
  PlanDto,
  PlanInput,
  ProviderInfo,
  RateDto,
  RegionDto,
  RegionPriceDto,
  ServerAction,
  ServerChanged,
  ServerDetail,
  ServerDto,
  ServerInput,
  ServerStatsDto,
  SettingsDto,
  SettingsInput,
  StatusCount,
} from "../bindings";
