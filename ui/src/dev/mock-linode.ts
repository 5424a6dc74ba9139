// DEV/PREVIEW ONLY. The provider half of the mock backend (see mock.ts): the
// Linode account in Settings → Providers and the server tabs (backups,
// network and reverse DNS, firewalls, lifecycle).
import type * as T from "@/bindings";

type Ctx = {
  servers: T.ServerDto[];
  fail: (code: string, message: string, fields?: [string, string][]) => never;
  ago: (min: number) => string;
};

const accounts: T.LinodeAccountDto[] = [];
let nextAccount = 1;

function account(c: Ctx, id: string) {
  return accounts.find((a) => a.id === id) ?? c.fail("not_found", `There is no Linode account "${id}": refresh Settings → Providers`);
}

/** Tokens starting "exp" expire in 5 days, "old" expired yesterday: the banners show. */
function expiry(token: string): Pick<T.LinodeAccountDto, "tokenExpiry" | "tokenExpiryKnown" | "tokenExpiryNote" | "tokenExpired" | "tokenWarning" | "tokenCheckedAt"> {
  const day = 86_400_000;
  const at = token.startsWith("exp") ? new Date(Date.now() + 5 * day) : token.startsWith("old") ? new Date(Date.now() - day) : null;
  const date = at?.toISOString().slice(0, 10);
  return {
    tokenExpiry: at?.toISOString() ?? null, tokenExpiryKnown: true, tokenExpiryNote: null, tokenCheckedAt: new Date().toISOString(),
    tokenExpired: token.startsWith("old"),
    tokenWarning: at ? (token.startsWith("old")
      ? `The token expired on ${date}: Linode refuses it. Create a new token in Linode Cloud Manager (My Profile → API Tokens) and paste it with Replace token; the account and its servers stay.`
      : `The token expires in 5 days (${date}): create a new token in Linode Cloud Manager (My Profile → API Tokens) and paste it with Replace token before then.`) : null,
  };
}

function checkToken(c: Ctx, token: string) {
  if (!token.trim()) c.fail("validation", "Paste a token", [["token", "Paste a Linode personal access token (Cloud Manager → My Profile → API Tokens)"]]);
  if (token.startsWith("bad")) c.fail("validation", "Invalid token", [["token", "Linode rejected this token: it is invalid, expired or revoked. Create a new one and paste it again"]]);
  if (token.startsWith("ro")) c.fail("validation", "Missing scopes", [["token", "This token cannot do everything ContainerStacks needs: add the scopes linodes:read_write, firewall:read_write in Linode Cloud Manager → API Tokens"]]);
}
const backups = new Map<string, T.ServerBackupsDto>();
const rdns = new Map<string, string | null>();
const forward = new Set<string>(["mail.example.com"]);
const firewalls: (T.FirewallDto & { servers: string[] })[] = [
  { id: "fw-1", label: "web", instanceCount: 0, servers: [], rules: { inboundPolicy: "DROP", outboundPolicy: "ACCEPT", inbound: [{ label: "web", action: "ACCEPT", protocol: "TCP", ports: "80,443", addresses: ["0.0.0.0/0", "::/0"] }], outbound: [] } },
  { id: "fw-2", label: "ssh-only", instanceCount: 0, servers: [], rules: { inboundPolicy: "DROP", outboundPolicy: "ACCEPT", inbound: [{ label: "ssh", action: "ACCEPT", protocol: "TCP", ports: "22", addresses: ["198.51.100.0/24"] }], outbound: [] } },
];

function server(c: Ctx, id: string) {
  return c.servers.find((s) => s.id === id) ?? c.fail("not_found", "No such server");
}

function addresses(s: T.ServerDto): T.IpAddressDto[] {
  const out: T.IpAddressDto[] = [];
  if (s.ipv4) out.push({ address: s.ipv4, kind: "ipv4", public: true, rdns: rdns.get(s.ipv4) ?? null, gateway: null, prefix: 24 });
  if (s.ipv6) out.push({ address: s.ipv6, kind: "ipv6", public: true, rdns: rdns.get(s.ipv6) ?? null, gateway: null, prefix: 64 });
  return out;
}

function fwView(s: T.ServerDto): T.ServerFirewallsDto {
  const dto = (f: (typeof firewalls)[number]): T.FirewallDto => ({ id: f.id, label: f.label, rules: f.rules, instanceCount: f.servers.length });
  return { attached: firewalls.filter((f) => f.servers.includes(s.id)).map(dto), available: firewalls.filter((f) => !f.servers.includes(s.id)).map(dto), canDetach: s.provider === "linode" };
}

export function handleLinode(cmd: string, args: Record<string, any>, c: Ctx): unknown {
  switch (cmd) {
    case "linode_accounts":
      return accounts;
    case "add_linode_account": {
      const input = args.input as T.AddLinodeAccountInput;
      checkToken(c, String(input.token ?? ""));
      const n = nextAccount++;
      const username = n === 1 ? "northwind" : `northwind-${n}`;
      const label = input.label?.trim() || username;
      if (accounts.some((a) => a.label === label)) c.fail("validation", "label taken", [["label", `An account is already labelled "${label}": choose another label`]]);
      const now = new Date().toISOString();
      const a: T.LinodeAccountDto = {
        id: `acc-${n}`, label, connected: true, username, email: `ops${n}@northwind.example`, restricted: false, scopes: ["*"], baseUrl: input.baseUrl ?? null, connectedAt: now,
        ...expiry(input.token), servers: 0,
        catalogue: { provider: "linode", refreshedAt: now, attemptedAt: now, lastError: null, regions: 6, types: 5, images: 4, stackscripts: 2 },
      };
      accounts.push(a);
      return a;
    }
    case "remove_linode_account": {
      const a = account(c, args.id);
      const n = c.servers.filter((s) => s.provider === "linode" && s.status !== "deleted").length;
      if (accounts.length === 1 && n > 0) c.fail("conflict", `Account “${a.label}” still has ${n} server${n === 1 ? "" : "s"} on it: delete ${n === 1 ? "it" : "them"} first (or keep the account); removing it would leave them unmanaged and unbilled`);
      accounts.splice(accounts.indexOf(a), 1);
      return accounts;
    }
    case "test_linode_account": {
      const a = account(c, args.id);
      if (a.tokenExpired) c.fail("validation", "refused", [["token", `Linode refused the token of account “${a.label}” (expired, revoked or missing scopes): paste a new one with Replace token; the account and its servers stay`]]);
      a.tokenCheckedAt = new Date().toISOString();
      return a;
    }
    case "replace_linode_token": {
      const a = account(c, args.id);
      checkToken(c, String(args.token ?? ""));
      Object.assign(a, expiry(String(args.token)));
      return a;
    }
    case "refresh_catalogue":
    case "refresh_account_catalogue": {
      const a = accounts.find((x) => x.id === args.accountId) ?? accounts[0] ?? c.fail("unavailable", "Linode is not connected: add a Linode account in Settings → Providers");
      a.catalogue = { ...a.catalogue, refreshedAt: new Date().toISOString(), attemptedAt: new Date().toISOString(), lastError: null };
      return a.catalogue;
    }
    case "create_server_firewall": {
      const s = server(c, args.id);
      const input = args.input as T.NewFirewallInput;
      const label = String(input.label ?? "").trim();
      if (label.length < 3 || label.length > 32) c.fail("validation", "label", [["label", "Use 3 to 32 characters"]]);
      if (firewalls.some((f) => f.label === label)) c.fail("validation", "label taken", [["label", `This account already has a firewall labelled "${label}": labels are unique per account`]]);
      const bad = input.rules.inbound.findIndex((r) => r.ports && !/^\d+(-\d+)?(,\s*\d+(-\d+)?)*$/.test(r.ports));
      if (bad >= 0) c.fail("validation", "ports", [[`inbound.${bad}.ports`, `"${input.rules.inbound[bad].ports}" is not a port list: use e.g. 22, 80,443 or 1024-65535 (1–65535)`]]);
      firewalls.push({ id: `fw-${firewalls.length + 1}`, label, instanceCount: 0, servers: input.attach ? [s.id] : [], rules: input.rules });
      return fwView(s);
    }
    case "server_backups":
      server(c, args.id);
      return backups.get(args.id) ?? { enabled: false, backups: [] };
    case "enable_server_backups": {
      server(c, args.id);
      const b = backups.get(args.id) ?? { enabled: true, backups: [{ id: "b-1", label: null, kind: "auto", status: "successful", created: c.ago(600) }] };
      b.enabled = true;
      backups.set(args.id, b);
      return b;
    }
    case "cancel_server_backups":
      backups.set(args.id, { enabled: false, backups: [] });
      return backups.get(args.id);
    case "take_server_snapshot": {
      const b = backups.get(args.id);
      if (!b?.enabled) c.fail("conflict", "Enable backups first: the provider keeps snapshots with its backups");
      if (!String(args.label).trim()) c.fail("validation", "Name the snapshot", [["label", "Name the snapshot (1 to 255 characters)"]]);
      const snap: T.BackupDto = { id: `b-${b!.backups.length + 2}`, label: args.label, kind: "snapshot", status: "successful", created: new Date().toISOString() };
      b!.backups.unshift(snap);
      return snap;
    }
    case "restore_server_backup":
      return { ...server(c, args.id), status: "provisioning" };
    case "server_network": {
      const s = server(c, args.id);
      return { addresses: addresses(s), transferUsedGb: "12.34", transferQuotaGb: 1000 } satisfies T.ServerNetworkDto;
    }
    case "add_server_ipv4":
      c.fail("conflict", "An extra IPv4 address cannot be billed yet: plan has no ipv4 price: add a price rule for it before enabling the add-on");
      return undefined;
    case "set_server_rdns": {
      const s = server(c, args.id);
      const name = args.rdns as string | null;
      if (name && !forward.has(name)) c.fail("validation", "forward DNS", [["rdns", `Set the ${String(args.address).includes(":") ? "AAAA" : "A"} record for ${name} to ${args.address} first, then try again`]]);
      rdns.set(args.address, name);
      return addresses(s).find((a) => a.address.startsWith(args.address)) ?? c.fail("validation", "address", [["address", "Not an address of this server"]]);
    }
    case "server_firewalls":
      return fwView(server(c, args.id));
    case "attach_server_firewall": {
      const s = server(c, args.id);
      firewalls.find((f) => f.id === args.firewallId)?.servers.push(s.id);
      return fwView(s);
    }
    case "detach_server_firewall": {
      const s = server(c, args.id);
      if (s.provider !== "linode") c.fail("conflict", "Detaching a firewall is not available on the Sandbox");
      const f = firewalls.find((x) => x.id === args.firewallId);
      if (f) f.servers = f.servers.filter((x) => x !== s.id);
      return fwView(s);
    }
    case "set_firewall_rules": {
      const f = firewalls.find((x) => x.id === args.firewallId) ?? c.fail("not_found", "No such firewall");
      f.rules = args.rules;
      return { id: f.id, label: f.label, rules: f.rules, instanceCount: f.servers.length };
    }
    case "resize_server":
    case "rebuild_server":
    case "rescue_server":
      return { ...server(c, args.id), status: cmd === "rescue_server" ? "rebooting" : "booting" };
    case "reset_server_root_password": {
      const s = server(c, args.id);
      if (s.status !== "offline") c.fail("conflict", `Shut server ${s.label} down first: the provider resets the root password only while it is off`);
      return null;
    }
    case "provider_firewalls":
      return firewalls.map((f) => ({ id: f.id, label: f.label, rules: f.rules, instanceCount: f.servers.length }));
    default:
      return undefined;
  }
}
