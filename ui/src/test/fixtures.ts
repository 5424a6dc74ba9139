import type { AppInfo, CatalogueDto, ProviderCapabilitiesDto, ServerDto } from "@/bindings";

const usd = (amount: string, minor: string) => ({ amount, minor, currency: "USD" });
const rate = (amount: string, micros: string) => ({ amount, micros, currency: "USD" });

export const catalogue: CatalogueDto = {
  provider: "sandbox",
  regions: [
    { id: "eu-west", label: "London, GB", country: "gb", available: true },
    { id: "ap-south", label: "Singapore, SG", country: "sg", available: true },
    { id: "sa-east", label: "São Paulo, BR", country: "br", available: false },
  ],
  types: [
    {
      id: "sb-small", label: "Sandbox Small 2 GB", vcpus: 1, memoryMb: 2048, diskGb: 50, transferGb: 2000,
      monthly: usd("12.00", "1200"), hourly: rate("0.018", "18000"),
      regionPrices: [{ region: "ap-south", monthly: usd("14.40", "1440"), hourly: rate("0.0216", "21600") }],
      regions: null,
    },
  ],
  images: [{ id: "sandbox/debian12", label: "Debian 12", vendor: "Debian", cloudInit: true }],
  stackscripts: [],
  refreshedAt: null,
};

/** Linode's and the Sandbox's offer: everything. */
export const fullCapabilities: ProviderCapabilitiesDto = {
  stackscripts: true, rescue: true, setRootPassword: true, rebuildSetsCredentials: true, resizeRunning: true, rdnsPerAddress: true,
  extraIpv4Max: null, firewallDropRules: true, firewallRuleLabels: true, transfer: true, diskIoStats: true, diskUsageStats: false, notes: [],
};

/** What DigitalOcean offers (as `cs_digitalocean::capabilities`, notes shortened). */
export const digitalOceanCapabilities: ProviderCapabilitiesDto = {
  ...fullCapabilities, stackscripts: false, rescue: false, setRootPassword: false, rebuildSetsCredentials: false, resizeRunning: false, rdnsPerAddress: false,
  extraIpv4Max: 1, firewallDropRules: false, firewallRuleLabels: false, transfer: false, diskIoStats: false, diskUsageStats: true,
  notes: [
    { topic: "catalogue", text: "DigitalOcean has no StackScripts: configure servers with cloud-init user data" },
    { topic: "network", text: "Reverse DNS comes from the server's name: name the server with the host name wanted (like mail.example.com); it cannot be set per address" },
    { topic: "lifecycle", text: "DigitalOcean cannot set a chosen root password on an existing server, has no rescue mode in its API, and a rebuild keeps the server's SSH keys" },
  ],
};

export const appInfo: AppInfo = {
  version: "0.1.0", databasePath: "/tmp/cs.db", logDir: "/tmp/logs", currency: "USD",
  providers: [
    { kind: "sandbox", name: "Sandbox", connected: true, detail: "Built in", capabilities: fullCapabilities },
    { kind: "linode", name: "Linode", connected: false, detail: "Not connected", capabilities: fullCapabilities },
    { kind: "digitalocean", name: "DigitalOcean", connected: false, detail: "Not connected", capabilities: digitalOceanCapabilities },
  ],
};

export function server(status: string, patch: Partial<ServerDto> = {}): ServerDto {
  return {
    id: "srv_1", label: "web-01", organizationId: "org_1", organizationName: "Acme", planId: "plan_1", planName: "Starter",
    provider: "sandbox", providerId: "sb-1", accountLabel: null, providerType: "sb-small", region: "eu-west", image: "sandbox/debian12", status,
    ipv4: "203.0.113.5", ipv6: null, monthly: usd("19.00", "1900"), hourly: rate("0.028", "28000"),
    createdAt: "2026-01-01T00:00:00Z", updatedAt: "2026-01-01T00:00:00Z", deletedAt: null, ...patch,
  };
}

export const eur = (amount: string, minor: string) => ({ amount, minor, currency: "EUR" });

export function wallet(patch: Partial<import("@/bindings").WalletDto> = {}): import("@/bindings").WalletDto {
  return {
    organizationId: "org_1", organizationName: "Acme", balance: eur("42.50", "4250"), lowBalanceThreshold: eur("10.00", "1000"),
    state: "good", stateSince: null, ...patch,
  };
}

export const billingOverview: import("@/bindings").BillingOverview = {
  revenueThisMonth: eur("1234.56", "123456"),
  walletsTotal: eur("987.00", "98700"),
  customersLow: 3,
  customersInGrace: 1,
  customersSuspended: 2,
  upcomingSuspensions: [
    { wallet: wallet({ organizationId: "org_2", organizationName: "Globex", balance: eur("-12.30", "-1230"), state: "grace" }), suspendAt: "2026-03-02T10:00:00Z" },
  ],
  lastRun: { at: "2026-03-01T10:00:00Z", through: "2026-03-01T09:00:00Z", hoursBilled: "24", invoicesIssued: 5, decisions: 2, error: null },
  failedRuns: [{ at: "2026-02-28T10:00:00Z", through: "2026-02-28T09:00:00Z", hoursBilled: "0", invoicesIssued: 0, decisions: 0, error: "Provider unreachable" }],
};

export function documentSummary(patch: Partial<import("@/bindings").DocumentSummaryDto> = {}): import("@/bindings").DocumentSummaryDto {
  return {
    id: "doc_1", kind: "invoice", number: "INV-2026-0001", organizationId: "org_1", organizationName: "Acme", period: "2026-02",
    subtotal: eur("100.00", "10000"), tax: eur("21.00", "2100"), total: eur("121.00", "12100"), issuedAt: "2026-03-01T00:00:00Z",
    creditsDocumentId: null, voidedBy: null, ...patch,
  };
}

export const documentDetail: import("@/bindings").DocumentDetail = {
  summary: documentSummary(),
  customerName: "Acme", customerCountry: "NL", customerTaxId: "NL123456789B01", taxNote: null, reference: null, reason: null,
  lines: [
    { description: "web-01 (Starter)", hours: "672", rate: { amount: "0.0275", micros: "27500", currency: "EUR" }, amount: eur("18.48", "1848"), capped: false, taxName: "VAT" },
    { description: "db-01 (Pro)", hours: "672", rate: { amount: "0.15", micros: "150000", currency: "EUR" }, amount: eur("81.52", "8152"), capped: true, taxName: "VAT" },
  ],
  taxTotals: [{ name: "VAT", ratePercent: "21", net: eur("100.00", "10000"), tax: eur("21.00", "2100") }],
};
