// DEV/PREVIEW ONLY. A stateful stand-in for the Rust backend so the UI can be
// looked at in a plain browser (`npm run dev` or `npm run build:mock`, then
// open `/?mock#/servers`). main.tsx imports it only when
// import.meta.env.DEV or VITE_IPC_MOCK is set, so production bundles never
// contain it. Data and timings imitate the Sandbox provider.
import { mockIPC } from "@tauri-apps/api/mocks";
import { emit } from "@tauri-apps/api/event";
import type * as T from "@/bindings";
import { handleBilling } from "./mock-billing";
import { handleMail } from "./mock-mail";
import { handlePayments } from "./mock-payments";
import { handleDocuments } from "./mock-documents";
import { handleLinode } from "./mock-linode";
import { handlePricing } from "./mock-pricing";

const CUR = "USD";

function money(amount: string): T.MoneyDto {
  const [i, f = ""] = amount.split(".");
  return { amount: `${i}.${f.padEnd(2, "0").slice(0, 2)}`, minor: String(BigInt(i + f.padEnd(2, "0").slice(0, 2))), currency: CUR };
}
function rate(amount: string): T.RateDto {
  const [i, f = ""] = amount.split(".");
  return { amount, micros: String(BigInt(i + f.padEnd(6, "0").slice(0, 6))), currency: CUR };
}
function microsToAmount(micros: bigint): string {
  const s = micros.toString().padStart(7, "0");
  return `${s.slice(0, -6)}.${s.slice(-6)}`.replace(/0+$/, "").replace(/\.$/, ".00");
}

const REGIONS: T.RegionDto[] = [
  { id: "eu-west", label: "London, GB", country: "gb", available: true },
  { id: "eu-central", label: "Frankfurt, DE", country: "de", available: true },
  { id: "us-east", label: "Newark, NJ", country: "us", available: true },
  { id: "ap-south", label: "Singapore, SG", country: "sg", available: true },
  { id: "sa-east", label: "São Paulo, BR", country: "br", available: false },
];

function type(id: string, label: string, vcpus: number, memoryMb: number, diskGb: number, transferGb: number, m: bigint, h: bigint): T.InstanceTypeDto {
  const monthly = money(`${m / 100n}.${String(m % 100n).padStart(2, "0")}`);
  const sg = (m * 6n) / 5n;
  return {
    id, label, vcpus, memoryMb, diskGb, transferGb, monthly,
    hourly: rate(microsToAmount(h)),
    regionPrices: [{ region: "ap-south", monthly: money(`${sg / 100n}.${String(sg % 100n).padStart(2, "0")}`), hourly: rate(microsToAmount((h * 6n) / 5n)) }],
  };
}

const TYPES = [
  type("sb-nano", "Sandbox Nano 1 GB", 1, 1024, 25, 1000, 500n, 7500n),
  type("sb-small", "Sandbox Small 2 GB", 1, 2048, 50, 2000, 1200n, 18000n),
  type("sb-medium", "Sandbox Medium 4 GB", 2, 4096, 80, 4000, 2400n, 36000n),
  type("sb-large", "Sandbox Large 8 GB", 4, 8192, 160, 5000, 4800n, 72000n),
];
const IMAGES: T.ImageDto[] = [
  { id: "sandbox/debian12", label: "Debian 12", vendor: "Debian", cloudInit: true },
  { id: "sandbox/ubuntu24.04", label: "Ubuntu 24.04 LTS", vendor: "Ubuntu", cloudInit: true },
  { id: "sandbox/almalinux9", label: "AlmaLinux 9", vendor: "AlmaLinux", cloudInit: true },
  { id: "sandbox/alpine3.20", label: "Alpine 3.20", vendor: "Alpine", cloudInit: false },
];

const now = Date.now();
const ago = (min: number) => new Date(now - min * 60_000).toISOString();
let seq = 100;
let idn = 1000;
// Deterministic ids, so a deep link (#/servers/<id>) survives a reload of the mock.
const newId = (p: string) => `${p}_${(idn++).toString(36)}`;

const settings: T.SettingsDto = { currency: CUR, currencyLocked: true, resellerName: "Northwind Cloud" };
const empty = new URLSearchParams(location.search).get("mock") === "empty";

const orgs: T.OrganizationDto[] = empty ? [] : [
  ["Ødegård Hosting AS", "NO", "NO987654321", "Zoë Ødegård", "zoe@odegard.no", 9000],
  ["Acme Web Studio", "GB", null, "Priya Shah", "priya@acmeweb.co.uk", 7000],
  ["Brightline Analytics GmbH", "DE", "DE123456789", "Jonas Weber", "jonas.weber@brightline.de", 5000],
  ["Cafe Lumen", "FR", null, "Camille Martin", "camille@cafelumen.fr", 2500],
  ["Kestrel Robotics Inc.", "US", "US-44-1234567", "Dana Brooks", "ops@kestrel-robotics.com", 1200],
  ["Sunda Digital", "SG", null, "Wei Ling Tan", "weiling@sunda.sg", 300],
].map(([name, country, taxId, contactName, contactEmail, min]) => ({
  id: newId("org"), name: name as string, country: country as string, taxId: taxId as string | null,
  contactName: contactName as string, contactEmail: contactEmail as string, liveServers: 0,
  createdAt: ago(min as number), updatedAt: ago((min as number) / 2),
}));

function plan(name: string, typeId: string, regions: string[], m: string, h: string, min: number): T.PlanDto {
  const t = TYPES.find((x) => x.id === typeId)!;
  return {
    id: newId("plan"), name, provider: "sandbox", providerType: typeId, providerTypeLabel: t.label, regions,
    monthly: money(m), hourly: rate(h),
    providerPrices: regions.map((r) => t.regionPrices.find((p) => p.region === r) ?? { region: r, monthly: t.monthly, hourly: t.hourly }),
    active: true, liveServers: 0, createdAt: ago(min),
  };
}

const plans: T.PlanDto[] = empty ? [] : [
  plan("Starter 1 GB", "sb-nano", ["eu-west", "us-east"], "8.00", "0.012", 9500),
  plan("Business 2 GB", "sb-small", ["eu-west", "eu-central", "ap-south"], "19.00", "0.028", 9400),
  plan("Pro 4 GB", "sb-medium", ["eu-central", "us-east"], "36.00", "0.054", 8000),
  plan("Scale 8 GB", "sb-large", ["eu-west", "ap-south"], "72.00", "0.108", 6000),
];

const servers: T.ServerDto[] = [];
function addServer(orgIdx: number, planIdx: number, label: string, region: string, status: string, min: number, n: number) {
  const o = orgs[orgIdx];
  const p = plans[planIdx];
  servers.push({
    id: newId("srv"), label, organizationId: o.id, organizationName: o.name, planId: p.id, planName: p.name,
    provider: "sandbox", providerId: status === "provisioning" ? null : `sb-${40000 + n}`, accountLabel: null, providerType: p.providerType,
    region, image: IMAGES[n % IMAGES.length].id, status,
    ipv4: status === "provisioning" ? null : `203.0.113.${10 + n}`,
    ipv6: status === "provisioning" ? null : `2001:db8:${(n * 7).toString(16)}::${n + 1}/64`,
    monthly: p.monthly, hourly: p.hourly, createdAt: ago(min), updatedAt: ago(min / 3),
    deletedAt: status === "deleted" ? ago(min / 4) : null,
  });
}
if (!empty) {
  addServer(0, 1, "odegard-web-01", "eu-west", "running", 8800, 1);
  addServer(0, 2, "odegard-db-01", "eu-central", "running", 8700, 2);
  addServer(0, 0, "odegard-staging", "eu-west", "offline", 5000, 3);
  addServer(1, 0, "acme-wp", "eu-west", "running", 6900, 4);
  addServer(1, 1, "acme-shop", "eu-central", "rebooting", 6000, 5);
  addServer(2, 3, "brightline-etl-1", "eu-west", "running", 4900, 6);
  addServer(2, 3, "brightline-etl-2", "ap-south", "provisioning", 2, 7);
  addServer(2, 2, "brightline-api", "us-east", "suspended", 4000, 8);
  addServer(3, 0, "lumen-site", "us-east", "running", 2400, 9);
  addServer(4, 2, "kestrel-ci", "us-east", "failed", 1100, 10);
  addServer(4, 1, "kestrel-old", "eu-west", "deleted", 1150, 11);
  addServer(5, 1, "sunda-app", "ap-south", "booting", 1, 12);
}

const activity: T.ActivityDto[] = [];
function record(action: string, subjectKind: string, subjectId: string | null, organizationId: string | null, summary: string, at = new Date().toISOString(), actor = "staff:demo") {
  const a: T.ActivityDto = { seq: String(seq++), at, actor, action, subjectKind, subjectId, organizationId, summary };
  activity.unshift(a);
  return a;
}
for (const o of orgs.slice().reverse()) record("organization.created", "organization", o.id, o.id, `Created customer ${o.name}`, o.createdAt);
for (const p of plans) record("plan.created", "plan", p.id, null, `Created plan ${p.name} at ${p.monthly.amount} ${CUR}/month`, p.createdAt);
for (const s of servers.slice().sort((a, b) => a.createdAt.localeCompare(b.createdAt))) {
  record("server.created", "server", s.id, s.organizationId, `Created server ${s.label} for ${s.organizationName}`, s.createdAt);
  if (s.status === "deleted") record("server.deleted", "server", s.id, s.organizationId, `Deleted server ${s.label}`, s.deletedAt!);
  if (s.status === "suspended") record("server.suspended", "server", s.id, s.organizationId, `Suspended ${s.label}: wallet balance below the limit`, s.updatedAt, "billing");
  if (s.status === "failed") record("server.failed", "server", s.id, s.organizationId, `Sandbox could not create server ${s.label}: out of capacity in ${s.region}`, s.updatedAt, "provider:sandbox");
}
activity.sort((a, b) => b.at.localeCompare(a.at));
activity.forEach((a, i) => (a.seq = String(activity.length - i)));
seq = activity.length + 1;

const isLive = (s: T.ServerDto) => s.status !== "deleted";

function refreshCounts() {
  for (const o of orgs) o.liveServers = servers.filter((s) => s.organizationId === o.id && isLive(s)).length;
  for (const p of plans) p.liveServers = servers.filter((s) => s.planId === p.id && isLive(s)).length;
}
refreshCounts();

function fail(code: string, message: string, fields: [string, string][] = []): never {
  throw { code, message, fields: fields.map(([field, m]) => ({ field, message: m })) } satisfies T.ErrorDto;
}

function changed(s: T.ServerDto) {
  s.updatedAt = new Date().toISOString();
  refreshCounts();
  void emit("server-changed", { server: { ...s } } satisfies T.ServerChanged);
}
function log(a: T.ActivityDto) {
  void emit("activity-recorded", { activity: a } satisfies T.ActivityRecorded);
}

/** Moves a server through statuses with delays, like the Sandbox provider. */
function schedule(s: T.ServerDto, steps: [number, Partial<T.ServerDto>][]) {
  let t = 0;
  for (const [delay, patch] of steps) {
    t += delay;
    setTimeout(() => {
      Object.assign(s, patch);
      changed(s);
    }, t);
  }
}

function revenue(): T.MoneyDto {
  const total = servers.filter((s) => isLive(s) && s.status !== "failed").reduce((acc, s) => acc + BigInt(s.monthly.minor), 0n);
  return money(`${total / 100n}.${String(total % 100n).padStart(2, "0")}`);
}

function stats(id: string): T.ServerStatsDto {
  const seed = [...id].reduce((a, c) => a + c.charCodeAt(0), 0);
  const end = Math.floor(Date.now() / 1000 / 300) * 300;
  const pts = (f: (i: number) => number) => Array.from({ length: 96 }, (_, i) => ({ t: end - (95 - i) * 900, v: Math.max(0, f(i)) }));
  const noise = (i: number, k: number) => Math.sin(i * 1.7 + seed * k) * 0.5 + Math.sin(i * 0.37 + seed) * 0.5;
  return {
    cpuPercent: pts((i) => 18 + 12 * Math.sin((i / 96) * Math.PI * 2 + seed) + 6 * noise(i, 1) + (i > 70 && i < 76 ? 35 : 0)),
    networkInBitsPerS: pts((i) => 2.4e6 + 1.6e6 * Math.sin((i / 96) * Math.PI * 2 + seed) + 4e5 * noise(i, 2)),
    networkOutBitsPerS: pts((i) => 9e5 + 6e5 * Math.sin((i / 96) * Math.PI * 2 + seed + 1) + 2e5 * noise(i, 3)),
    diskIoBlocksPerS: pts((i) => 40 + 25 * Math.sin((i / 96) * Math.PI * 2 + seed + 2) + 10 * noise(i, 4)),
    transferUsedGb: (((seed % 900) + 37) / 10).toFixed(1),
    transferQuotaGb: 2000,
  };
}

const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function orgInput(input: T.OrganizationInput, self?: string) {
  const f: [string, string][] = [];
  if (!input.name.trim()) f.push(["name", "Name is required"]);
  else if (orgs.some((o) => o.id !== self && o.name.toLowerCase() === input.name.trim().toLowerCase()))
    f.push(["name", `A customer named "${input.name.trim()}" already exists: choose another name or edit that customer`]);
  if (!input.contactName.trim()) f.push(["contact_name", "Contact name is required"]);
  if (!EMAIL_RE.test(input.contactEmail)) f.push(["contact_email", `"${input.contactEmail}" is not a valid email address: check for typos, e.g. name@example.com`]);
  if (!/^[A-Z]{2}$/.test(input.country)) f.push(["country", "Country is required"]);
  if (f.length) fail("validation", "Some fields need attention", f);
}

function handle(cmd: string, args: Record<string, any>): unknown {
  switch (cmd) {
    case "app_info":
      return {
        version: "0.1.0-preview", databasePath: "/home/demo/.local/share/containerstacks/containerstacks.db", logDir: "/home/demo/.local/state/containerstacks/logs", currency: CUR,
        providers: [
          { kind: "sandbox", name: "Sandbox", connected: true, detail: "Built in: simulated servers, no account needed" },
          { kind: "linode", name: "Linode", connected: false, detail: "Not connected" },
        ],
      } satisfies T.AppInfo;
    case "dashboard": {
      const by = new Map<string, number>();
      for (const s of servers) by.set(s.status, (by.get(s.status) ?? 0) + 1);
      return {
        organizations: orgs.length, plans: plans.length, liveServers: servers.filter(isLive).length,
        serversByStatus: [...by].map(([status, count]) => ({ status, count })), monthlyRevenue: revenue(), recentActivity: activity.slice(0, 8),
      } satisfies T.Dashboard;
    }
    case "list_organizations":
      return orgs;
    case "get_organization": {
      const o = orgs.find((x) => x.id === args.id) ?? fail("not_found", "No such customer");
      return { organization: o, servers: servers.filter((s) => s.organizationId === o.id), activity: activity.filter((a) => a.organizationId === o.id) };
    }
    case "create_organization": {
      const input = args.input as T.OrganizationInput;
      orgInput(input);
      const at = new Date().toISOString();
      const o: T.OrganizationDto = { id: newId("org"), ...input, name: input.name.trim(), liveServers: 0, createdAt: at, updatedAt: at };
      orgs.push(o);
      log(record("organization.created", "organization", o.id, o.id, `Created customer ${o.name}`));
      return o;
    }
    case "update_organization": {
      const o = orgs.find((x) => x.id === args.id) ?? fail("not_found", "No such customer");
      orgInput(args.input, o.id);
      Object.assign(o, args.input, { updatedAt: new Date().toISOString() });
      log(record("organization.updated", "organization", o.id, o.id, `Updated customer ${o.name}`));
      return o;
    }
    case "list_plans":
      return plans;
    case "create_plan":
    case "update_plan": {
      const input = args.input as T.PlanInput;
      const f: [string, string][] = [];
      if (!input.name.trim()) f.push(["name", "Plan name is required"]);
      else if (plans.some((p) => p.id !== args.id && p.name === input.name.trim())) f.push(["name", `A plan named "${input.name.trim()}" already exists: choose another name`]);
      const t = TYPES.find((x) => x.id === input.providerType);
      if (!t) f.push(["provider_type", "Choose the provider's instance type this plan sells"]);
      if (!input.regions.length) f.push(["regions", "Choose at least one region"]);
      if (!/^\d+(\.\d{1,2})?$/.test(input.monthlyPrice)) f.push(["monthly_price", "Monthly price: not a valid amount"]);
      if (!/^\d+(\.\d{1,6})?$/.test(input.hourlyPrice)) f.push(["hourly_price", "Hourly price: not a valid amount"]);
      if (f.length) fail("validation", "Some fields need attention", f);
      const fresh = plan(input.name.trim(), input.providerType, input.regions, input.monthlyPrice, input.hourlyPrice, 0);
      if (cmd === "update_plan") {
        const p = plans.find((x) => x.id === args.id) ?? fail("not_found", "No such plan");
        Object.assign(p, { ...fresh, id: p.id, createdAt: p.createdAt, liveServers: p.liveServers });
        log(record("plan.updated", "plan", p.id, null, `Updated plan ${p.name}`));
        return p;
      }
      plans.push(fresh);
      settings.currencyLocked = true;
      log(record("plan.created", "plan", fresh.id, null, `Created plan ${fresh.name} at ${fresh.monthly.amount} ${CUR}/month`));
      return fresh;
    }
    case "catalog":
      if (args.provider !== "sandbox") fail("provider", "Linode is not connected: add a token in Settings → Providers");
      return { provider: "sandbox", regions: REGIONS, types: TYPES, images: IMAGES, stackscripts: [], refreshedAt: null } satisfies T.CatalogDto;
    case "list_servers":
      return servers;
    case "get_server": {
      const s = servers.find((x) => x.id === args.id) ?? fail("not_found", "No such server");
      return { server: s, activity: activity.filter((a) => a.subjectId === s.id) };
    }
    case "create_server_with_options":
    case "create_server": {
      const input = args.input as T.ServerInput;
      const o = orgs.find((x) => x.id === input.organizationId);
      const p = plans.find((x) => x.id === input.planId);
      const f: [string, string][] = [];
      if (!o) f.push(["organization_id", "Choose a customer"]);
      if (!p) f.push(["plan_id", "Choose a plan"]);
      if (servers.some((s) => isLive(s) && s.label === input.label)) f.push(["label", `A server labelled "${input.label}" already exists: choose another label`]);
      if (f.length) fail("validation", "Some fields need attention", f);
      const at = new Date().toISOString();
      const n = servers.length + 20;
      const s: T.ServerDto = {
        id: newId("srv"), label: input.label, organizationId: o!.id, organizationName: o!.name, planId: p!.id, planName: p!.name,
        provider: p!.provider, providerId: null, accountLabel: null, providerType: p!.providerType, region: input.region, image: input.image,
        status: "provisioning", ipv4: null, ipv6: null, monthly: p!.monthly, hourly: p!.hourly, createdAt: at, updatedAt: at, deletedAt: null,
      };
      servers.unshift(s);
      refreshCounts();
      log(record("server.created", "server", s.id, o!.id, `Created server ${s.label} for ${o!.name}`));
      // A label containing "fail" imitates the provider failing the build.
      schedule(s, input.label.includes("fail") ? [[3000, { status: "failed" }]] : [
        [2500, { providerId: `sb-${40000 + n}`, ipv4: `203.0.113.${n}`, ipv6: `2001:db8:${n.toString(16)}::1/64`, status: "booting" }],
        [3500, { status: "running" }],
      ]);
      return s;
    }
    case "server_action": {
      const s = servers.find((x) => x.id === args.id) ?? fail("not_found", "No such server");
      const a = args.action as T.ServerAction;
      const ok = (a === "boot" && s.status === "offline") || ((a === "reboot" || a === "shutdown") && s.status === "running");
      if (!ok) fail("conflict", `Cannot ${a} a server that is ${s.status.replace("_", " ")}: refresh and try again`);
      const [mid, end] = a === "boot" ? ["booting", "running"] : a === "reboot" ? ["rebooting", "running"] : ["shutting_down", "offline"];
      s.status = mid;
      changed(s);
      log(record(`server.${a}`, "server", s.id, s.organizationId, `${a === "boot" ? "Booted" : a === "reboot" ? "Rebooted" : "Shut down"} ${s.label}`));
      schedule(s, [[4000, { status: end }]]);
      return s;
    }
    case "delete_server": {
      const s = servers.find((x) => x.id === args.id) ?? fail("not_found", "No such server");
      if (s.status === "deleting" || s.status === "deleted") fail("conflict", "This server is already being deleted");
      s.status = "deleting";
      changed(s);
      log(record("server.deleted", "server", s.id, s.organizationId, `Deleted server ${s.label}`));
      schedule(s, [[3000, { status: "deleted", deletedAt: new Date(Date.now() + 3000).toISOString() }]]);
      return s;
    }
    case "server_stats":
      return stats(args.id);
    case "list_activity":
      return activity.filter((a) => !args.subject || a.subjectId === args.subject).slice(0, args.limit);
    case "get_settings":
      return { ...settings, currencyLocked: plans.length > 0 };
    case "update_settings": {
      const input = args.input as T.SettingsInput;
      if (plans.length > 0 && input.currency !== settings.currency) fail("validation", "Currency is locked", [["currency", "The currency cannot change once plans exist: prices and wallets are kept in it"]]);
      settings.resellerName = input.resellerName;
      settings.currency = input.currency;
      log(record("settings.updated", "settings", null, null, "Updated settings"));
      return { ...settings, currencyLocked: plans.length > 0 };
    }
    default: {
      const out =
        handleBilling(cmd, args, { orgs, currency: settings.currency, fail, ago }) ??
        handlePayments(cmd, args, { orgs, currency: settings.currency, fail, ago }) ??
        handleDocuments(cmd, args, { fail }) ??
        handlePricing(cmd, args, { plans, servers, currency: settings.currency, fail });
      if (out !== undefined) return out;
      const mail = handleMail(cmd, args as Record<string, unknown> | undefined, { orgs, fail, ago });
      if (mail !== undefined) return mail;
      const linode = handleLinode(cmd, args, { servers, fail, ago });
      if (linode !== undefined) return linode;
      fail("internal", `The mock backend has no command ${cmd}`);
    }
  }
}

export function installMockBackend() {
  mockIPC(
    async (cmd, args) => {
      // A little latency, so loading states are exercised.
      await new Promise((r) => setTimeout(r, new URLSearchParams(location.search).has("slow") ? 1500 : 120));
      // Real IPC serializes: never hand out the mock's own (mutable) objects.
      const out = handle(cmd, structuredClone((args ?? {}) as Record<string, any>));
      return out === undefined ? null : structuredClone(out);
    },
    { shouldMockEvents: true },
  );
  // Screenshots pick a theme with ?theme=dark|light without touching localStorage.
  const theme = new URLSearchParams(location.search).get("theme");
  if (theme === "dark" || theme === "light") document.documentElement.classList.toggle("dark", theme === "dark");
  // eslint-disable-next-line no-console
  console.info("ContainerStacks: mock backend installed (dev/preview only)");
}
