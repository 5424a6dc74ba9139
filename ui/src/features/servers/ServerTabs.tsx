// The server tabs: backups and snapshots, network (addresses,
// reverse DNS, transfer), firewalls and their rules, disk I/O, and the
// lifecycle actions beyond power (resize, rebuild, rescue, root password).
// Every operation works on the Sandbox, Linode and DigitalOcean; what a
// provider lacks (its capabilities: DigitalOcean has no rescue, no chosen root
// password, reverse DNS from the server's name, no per-server transfer, disk
// use instead of disk I/O) is not offered, and its note says why.
import * as React from "react";
import { Archive, Camera, Plus, Shield, Trash2 } from "lucide-react";
import { ApiError } from "@/api/client";
import { useCatalogue, usePlans, useServerStats } from "@/api/queries";
import type { FirewallDto, FirewallRuleDto, FirewallRulesDto, ProviderCapabilitiesDto, ServerDto } from "@/bindings";
import { LineChart } from "@/components/line-chart";
import { QueryError } from "@/components/query-state";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { AlertDialog, AlertDialogContent, AlertDialogDescription, AlertDialogTitle, Dialog, DialogContent, DialogTitle } from "@/components/ui/dialog";
import { EmptyState } from "@/components/ui/empty-state";
import { Field } from "@/components/ui/field";
import { Input, Select } from "@/components/ui/input";
import { Skeleton } from "@/components/ui/skeleton";
import { Tabs, TabsContent, TabsList, TabsTrigger } from "@/components/ui/tabs";
import { useToast } from "@/components/ui/toast";
import { formatDateTime } from "@/lib/format";
import { useApiForm } from "@/lib/use-api-form";
import { tabKeys, tabsApi, useServerBackups, useServerFirewalls, useServerMutation, useServerNetwork } from "./tabs-api";
import { RdnsForm } from "./RdnsForm";

/** A provider's name in a sentence. */
export function providerName(kind: string): string {
  return kind === "linode" ? "Linode" : kind === "digitalocean" ? "DigitalOcean" : "the Sandbox";
}

/** Linode's (and the Sandbox's) offer: everything. */
export const FULL_CAPABILITIES: ProviderCapabilitiesDto = {
  stackscripts: true, rescue: true, setRootPassword: true, rebuildSetsCredentials: true, resizeRunning: true, rdnsPerAddress: true,
  extraIpv4Max: null, firewallDropRules: true, firewallRuleLabels: true, transfer: true, diskIoStats: true, diskUsageStats: false, notes: [],
};

/** The provider's notes about one part of the product, shown where it applies. */
export function ProviderNotes({ caps, topic }: { caps: ProviderCapabilitiesDto; topic: string }) {
  const notes = caps.notes.filter((n) => n.topic === topic);
  if (notes.length === 0) return null;
  return (
    <ul className="grid list-disc gap-1 rounded-md border bg-muted/30 py-2 pl-7 pr-3 text-xs text-muted-foreground" data-testid={`provider-notes-${topic}`}>
      {notes.map((n) => <li key={n.text}>{n.text}</li>)}
    </ul>
  );
}

export function ServerTabs({ server, capabilities: caps = FULL_CAPABILITIES }: { server: ServerDto; capabilities?: ProviderCapabilitiesDto }) {
  const live = Boolean(server.providerId) && !["provisioning", "failed", "deleting", "deleted"].includes(server.status);
  if (!live) return null;
  return (
    <Card data-testid="server-tabs">
      <CardHeader>
        <CardTitle>Manage at {providerName(server.provider)}</CardTitle>
      </CardHeader>
      <CardContent>
        <Tabs defaultValue="backups">
          <TabsList className="flex-wrap">
            <TabsTrigger value="backups" data-testid="tab-backups">Backups</TabsTrigger>
            <TabsTrigger value="network" data-testid="tab-network">Network</TabsTrigger>
            <TabsTrigger value="firewall" data-testid="tab-firewall">Firewall</TabsTrigger>
            <TabsTrigger value="disk" data-testid="tab-disk">{caps.diskIoStats ? "Disk I/O" : "Disk"}</TabsTrigger>
            <TabsTrigger value="manage" data-testid="tab-manage">Rebuild & resize</TabsTrigger>
          </TabsList>
          <TabsContent value="backups"><BackupsTab server={server} caps={caps} /></TabsContent>
          <TabsContent value="network"><NetworkTab server={server} caps={caps} /></TabsContent>
          <TabsContent value="firewall"><FirewallTab server={server} caps={caps} /></TabsContent>
          <TabsContent value="disk"><DiskTab server={server} caps={caps} /></TabsContent>
          <TabsContent value="manage"><ManageTab server={server} caps={caps} /></TabsContent>
        </Tabs>
      </CardContent>
    </Card>
  );
}

function useFail() {
  const toast = useToast();
  return (title: string) => (err: unknown) => toast.error(title, ApiError.from(err).message);
}

// ---------------------------------------------------------------- backups

function BackupsTab({ server, caps }: { server: ServerDto; caps: ProviderCapabilitiesDto }) {
  const q = useServerBackups(server.id);
  const key = tabKeys.backups(server.id);
  const enable = useServerMutation(key, () => tabsApi.enableBackups(server.id));
  const cancel = useServerMutation(key, () => tabsApi.cancelBackups(server.id));
  const snapshot = useServerMutation(key, (label: string) => tabsApi.takeSnapshot(server.id, label));
  const restore = useServerMutation(key, (backupId: string) => tabsApi.restoreBackup(server.id, backupId));
  const toast = useToast();
  const fail = useFail();
  const [label, setLabel] = React.useState("");
  const [labelError, setLabelError] = React.useState<string | undefined>();
  const [confirm, setConfirm] = React.useState<null | { kind: "cancel" } | { kind: "restore"; id: string; name: string }>(null);

  if (q.isError) return <QueryError what="backups" error={q.error} retry={() => q.refetch()} />;
  if (!q.data) return <Skeleton className="h-32" />;
  if (!q.data.enabled) {
    return (
      <EmptyState
        icon={<Archive />}
        title="Backups are off"
        description={caps.notes.some((n) => n.topic === "backups") ? `${caps.notes.find((n) => n.topic === "backups")!.text}. They are billed to the customer as an add-on from the hour you enable them.` : "The provider keeps daily and weekly backups and one snapshot. They are billed to the customer as an add-on from the hour you enable them."}
        action={<Button data-testid="enable-backups" disabled={enable.isPending} onClick={() => enable.mutate(undefined, { onSuccess: () => toast.success("Backups enabled"), onError: fail("Could not enable backups") })}>Enable backups</Button>}
      />
    );
  }
  const takeSnapshot = (e: React.FormEvent) => {
    e.preventDefault();
    const l = label.trim();
    if (!l) return setLabelError("Name the snapshot, e.g. before-upgrade");
    snapshot.mutate(l, {
      onSuccess: () => { setLabel(""); toast.success(`Snapshot ${l} started`); },
      onError: (err) => { const x = ApiError.from(err); if (x.fields.label) setLabelError(x.fields.label); else fail("Could not take a snapshot")(err); },
    });
  };
  return (
    <div className="grid gap-4">
      <form onSubmit={takeSnapshot} noValidate className="flex flex-wrap items-end gap-2" aria-label="Take a snapshot">
        <Field name="label" label="Snapshot name" error={labelError} className="min-w-56 flex-1">
          {(p) => <Input {...p} value={label} onChange={(e) => { setLabel(e.target.value); setLabelError(undefined); }} placeholder="before-upgrade" />}
        </Field>
        <Button type="submit" disabled={snapshot.isPending} data-testid="take-snapshot"><Camera /> Take snapshot</Button>
        <Button type="button" variant="ghost" onClick={() => setConfirm({ kind: "cancel" })}>Cancel backups</Button>
      </form>
      {q.data.backups.length === 0 ? (
        <p className="text-sm text-muted-foreground">No backups yet: the first automatic backup runs tonight. Take a snapshot to have one now.</p>
      ) : (
        <table className="w-full text-sm" data-testid="backups-table">
          <thead className="text-left text-xs text-muted-foreground"><tr><th className="py-1.5">Name</th><th>Kind</th><th>Status</th><th>Taken</th><th /></tr></thead>
          <tbody className="divide-y">
            {q.data.backups.map((b) => (
              <tr key={b.id} data-row-id={b.id} data-status={b.status}>
                <td className="py-2">{b.label ?? <span className="text-muted-foreground">automatic</span>}</td>
                <td className="capitalize">{b.kind}</td>
                <td><Badge tone={b.status === "successful" ? "green" : b.status === "failed" ? "red" : "amber"}>{b.status}</Badge></td>
                <td className="tabular-nums">{formatDateTime(b.created)}</td>
                <td className="text-right">
                  <Button size="sm" variant="outline" disabled={b.status !== "successful" || restore.isPending} onClick={() => setConfirm({ kind: "restore", id: b.id, name: b.label ?? formatDateTime(b.created) })}>Restore</Button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <AlertDialog open={confirm !== null} onOpenChange={(o) => !o && setConfirm(null)}>
        <AlertDialogContent>
          <AlertDialogTitle>{confirm?.kind === "restore" ? `Restore ${confirm.name} over ${server.label}?` : `Cancel backups of ${server.label}?`}</AlertDialogTitle>
          <AlertDialogDescription>
            {confirm?.kind === "restore"
              ? "The server's disks are replaced by the backup's; anything written since is lost. The server is powered off while it restores."
              : "Every backup and snapshot of this server is deleted at the provider. Billing for backups stops after this hour."}
          </AlertDialogDescription>
          <div className="flex flex-col-reverse gap-2 pt-2 sm:flex-row sm:justify-end">
            <Button variant="outline" data-autofocus onClick={() => setConfirm(null)}>Keep as is</Button>
            <Button
              variant="destructive"
              onClick={() => {
                const c = confirm;
                setConfirm(null);
                if (c?.kind === "restore") restore.mutate(c.id, { onSuccess: () => toast.info(`Restoring ${c.name}`), onError: fail("Could not restore") });
                else cancel.mutate(undefined, { onSuccess: () => toast.info("Backups cancelled"), onError: fail("Could not cancel backups") });
              }}
            >
              {confirm?.kind === "restore" ? "Restore" : "Cancel backups"}
            </Button>
          </div>
        </AlertDialogContent>
      </AlertDialog>
    </div>
  );
}

// ---------------------------------------------------------------- network

function NetworkTab({ server, caps }: { server: ServerDto; caps: ProviderCapabilitiesDto }) {
  const q = useServerNetwork(server.id);
  const add = useServerMutation(tabKeys.network(server.id), () => tabsApi.addIpv4(server.id));
  const [editing, setEditing] = React.useState<string | null>(null);
  const toast = useToast();
  const fail = useFail();
  if (q.isError) return <QueryError what="addresses" error={q.error} retry={() => q.refetch()} />;
  if (!q.data) return <Skeleton className="h-32" />;
  const d = q.data;
  return (
    <div className="grid gap-4">
      {d.transferUsedGb != null
        ? <p className="text-sm text-muted-foreground" data-testid="transfer-used">Transfer this month: <span className="tabular-nums text-foreground">{d.transferUsedGb} GB</span> of {d.transferQuotaGb} GB</p>
        : <p className="text-sm text-muted-foreground" data-testid="transfer-pooled">No per-server transfer: {providerName(server.provider)} pools transfer across the account.</p>}
      <ProviderNotes caps={caps} topic="network" />
      {d.addresses.length === 0 ? <p className="text-sm text-muted-foreground">No addresses assigned yet.</p> : (
        <ul className="divide-y rounded-lg border" data-testid="addresses">
          {d.addresses.map((a) => (
            <li key={a.address} className="grid gap-2 px-3 py-2.5" data-address={a.address}>
              <div className="flex flex-wrap items-center gap-2 text-sm">
                <span className="font-mono text-xs break-all">{a.address}</span>
                <Badge tone="grey">{a.kind === "ipv4" ? "IPv4" : "IPv6"}{a.public ? "" : " private"}</Badge>
                <span className="flex-1 text-muted-foreground" data-testid="rdns-value">{a.rdns ? <>rDNS {a.rdns}</> : caps.rdnsPerAddress ? "no reverse DNS" : `reverse DNS: the server's name (${server.label})`}</span>
                {caps.rdnsPerAddress && editing !== a.address && <Button size="sm" variant="outline" onClick={() => setEditing(a.address)} data-testid="edit-rdns">Edit reverse DNS</Button>}
              </div>
              {editing === a.address && <RdnsForm serverId={server.id} address={a.address.split("/")[0]} current={a.rdns} onDone={() => setEditing(null)} />}
            </li>
          ))}
        </ul>
      )}
      <div>
        <Button variant="outline" disabled={add.isPending} onClick={() => add.mutate(undefined, { onSuccess: () => toast.success("IPv4 address added"), onError: fail("Could not add an IPv4 address") })}><Plus /> Add IPv4 address</Button>
        <p className="mt-1 text-xs text-muted-foreground">Billed to the customer as an add-on. {caps.extraIpv4Max != null ? `${providerName(server.provider)} allows ${caps.extraIpv4Max} extra address${caps.extraIpv4Max === 1 ? "" : "es"} per server.` : "Providers limit extra addresses and may ask for a reason."}</p>
      </div>
    </div>
  );
}

// ---------------------------------------------------------------- firewalls

function FirewallTab({ server, caps }: { server: ServerDto; caps: ProviderCapabilitiesDto }) {
  const q = useServerFirewalls(server.id);
  const key = tabKeys.firewalls(server.id);
  const attach = useServerMutation(key, (fw: string) => tabsApi.attachFirewall(server.id, fw));
  const detach = useServerMutation(key, (fw: string) => tabsApi.detachFirewall(server.id, fw));
  const [choice, setChoice] = React.useState("");
  const [editing, setEditing] = React.useState<FirewallDto | null>(null);
  const [creating, setCreating] = React.useState(false);
  const toast = useToast();
  const fail = useFail();
  if (q.isError) return <QueryError what="firewalls" error={q.error} retry={() => q.refetch()} />;
  if (!q.data) return <Skeleton className="h-32" />;
  const d = q.data;
  return (
    <div className="grid gap-4">
      <ProviderNotes caps={caps} topic="firewalls" />
      {d.attached.length === 0 ? (
        <EmptyState icon={<Shield />} title="No firewall" description="Every port of this server is open to the internet. Attach a firewall of the account to filter traffic." />
      ) : d.attached.map((f) => (
        <div key={f.id} className="grid gap-2 rounded-lg border p-3" data-firewall={f.id}>
          <div className="flex flex-wrap items-center gap-2">
            <p className="flex-1 text-sm font-medium">{f.label} <span className="text-xs text-muted-foreground">· protects {f.instanceCount} server(s)</span></p>
            <Button size="sm" variant="outline" onClick={() => setEditing(f)}>Edit rules</Button>
            {d.canDetach && <Button size="sm" variant="ghost" disabled={detach.isPending} onClick={() => detach.mutate(f.id, { onSuccess: () => toast.info(`Detached ${f.label}`), onError: fail("Could not detach") })}>Detach</Button>}
          </div>
          <RulesSummary rules={f.rules} />
        </div>
      ))}
      {d.available.length > 0 && (
        <div className="flex flex-wrap items-end gap-2">
          <Field name="firewallId" label="Attach a firewall" className="min-w-56">
            {(p) => (
              <Select {...p} value={choice} onChange={(e) => setChoice(e.target.value)}>
                <option value="">Choose a firewall…</option>
                {d.available.map((f) => <option key={f.id} value={f.id}>{f.label}</option>)}
              </Select>
            )}
          </Field>
          <Button disabled={!choice || attach.isPending} onClick={() => attach.mutate(choice, { onSuccess: () => { setChoice(""); toast.success("Firewall attached"); }, onError: fail("Could not attach") })}>Attach</Button>
        </div>
      )}
      {d.attached.length === 0 && d.available.length === 0 && <p className="text-sm text-muted-foreground">The account has no firewall yet: create one here.</p>}
      <div>
        <Button variant="outline" size="sm" onClick={() => setCreating(true)} data-testid="new-firewall"><Plus /> New firewall</Button>
      </div>
      {editing && <RulesDialog server={server} firewall={editing} onClose={() => setEditing(null)} />}
      {creating && <RulesDialog server={server} onClose={() => setCreating(false)} />}
    </div>
  );
}

function RulesSummary({ rules }: { rules: FirewallRulesDto }) {
  const line = (dir: string, policy: string, list: FirewallRuleDto[]) => (
    <p className="text-xs text-muted-foreground">
      <span className="font-medium text-foreground">{dir}</span> default {policy}; {list.length === 0 ? "no rules" : list.map((r) => `${r.action} ${r.protocol}${r.ports ? ` ${r.ports}` : ""} from ${r.addresses.join(", ")}`).join(" · ")}
    </p>
  );
  return <div className="grid gap-1">{line("Inbound", rules.inboundPolicy, rules.inbound)}{line("Outbound", rules.outboundPolicy, rules.outbound)}</div>;
}

const NEW_RULE: FirewallRuleDto = { label: "", action: "ACCEPT", protocol: "TCP", ports: "", addresses: ["0.0.0.0/0", "::/0"] };

/** A new firewall starts closed inbound except SSH, open outbound. */
export const NEW_FIREWALL_RULES: FirewallRulesDto = { inboundPolicy: "DROP", outboundPolicy: "ACCEPT", inbound: [{ ...NEW_RULE, label: "ssh", ports: "22" }], outbound: [] };

/** The protocols a rule may name besides an IP protocol number (0–255), as Linode takes them. */
export const FIREWALL_PROTOCOLS = ["TCP", "UDP", "ICMP", "IPENCAP", "ALL"] as const;

/** The backend's protocol rule, checked before asking: a named protocol or an IP protocol
 * number from 0 to 255; ports only for TCP and UDP (6 and 17). */
export function firewallRuleErrors(protocol: string, ports: string): { protocol?: string; ports?: string } {
  const p = protocol.trim().toUpperCase();
  const number = /^[0-9]{1,3}$/.test(p) && Number(p) <= 255;
  if (!number && !(FIREWALL_PROTOCOLS as readonly string[]).includes(p)) return { protocol: "Choose TCP, UDP, ICMP, IPENCAP, ALL or an IP protocol number from 0 to 255" };
  const hasPorts = ["TCP", "UDP"].includes(p) || (number && [6, 17].includes(Number(p)));
  if (!hasPorts && ports.trim()) return { ports: `${p} has no ports: only TCP and UDP rules name ports; leave this empty` };
  return {};
}

/** Linode's firewall label rule, checked before asking (the backend checks again, and uniqueness). */
export function firewallLabelError(label: string): string | null {
  const l = label.trim();
  if (l.length < 3 || l.length > 32) return "Use 3 to 32 characters";
  if (!/^[A-Za-z0-9._-]+$/.test(l)) return "Use letters, digits, - _ and . only";
  if (!/^[A-Za-z0-9].*[A-Za-z0-9]$/.test(l)) return "Start and end with a letter or a digit";
  return null;
}

/** Edits the rules of `firewall`, or (without one) creates a firewall on the server's account. */
function RulesDialog({ server, firewall, onClose }: { server: ServerDto; firewall?: FirewallDto; onClose: () => void }) {
  const creating = !firewall;
  const [rules, setRules] = React.useState<FirewallRulesDto>(firewall?.rules ?? NEW_FIREWALL_RULES);
  const [label, setLabel] = React.useState("");
  const [attach, setAttach] = React.useState(true);
  const [addresses, setAddresses] = React.useState<Record<string, string>>({});
  const key = tabKeys.firewalls(server.id);
  const save = useServerMutation(key, (r: FirewallRulesDto) => tabsApi.setFirewallRules(server.id, firewall?.id ?? "", r));
  const create = useServerMutation(key, (r: FirewallRulesDto) => tabsApi.createServerFirewall(server.id, { label: label.trim(), rules: r, attach }));
  const fieldNames = React.useMemo(() => ["label", "inboundPolicy", "outboundPolicy", ...(["inbound", "outbound"] as const).flatMap((d) => rules[d].flatMap((_, i) => ["label", "action", "protocol", "ports", "addresses"].map((f) => `${d}.${i}.${f}`)))], [rules]);
  const form = useApiForm(fieldNames);
  const toast = useToast();
  const text = (dir: "inbound" | "outbound", i: number) => addresses[`${dir}.${i}`] ?? rules[dir][i].addresses.join(", ");
  const update = (dir: "inbound" | "outbound", i: number, patch: Partial<FirewallRuleDto>) => setRules({ ...rules, [dir]: rules[dir].map((r, j) => (j === i ? { ...r, ...patch } : r)) });
  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    const withAddresses = (dir: "inbound" | "outbound") => rules[dir].map((r, i) => ({ ...r, addresses: text(dir, i).split(",").map((a) => a.trim()).filter(Boolean) }));
    const full = { ...rules, inbound: withAddresses("inbound"), outbound: withAddresses("outbound") };
    const local: Record<string, string> = {};
    for (const dir of ["inbound", "outbound"] as const) {
      full[dir].forEach((r, i) => {
        const errs = firewallRuleErrors(r.protocol, r.ports);
        if (errs.protocol) local[`${dir}.${i}.protocol`] = errs.protocol;
        if (errs.ports) local[`${dir}.${i}.ports`] = errs.ports;
      });
    }
    if (Object.keys(local).length > 0) {
      form.setErrors(local);
      return;
    }
    if (creating) {
      const le = firewallLabelError(label);
      if (le) {
        form.setErrors({ label: le });
        return;
      }
      create.mutate(full, { onSuccess: () => { toast.success(`Firewall ${label.trim()} created`, attach ? `Attached to ${server.label}` : "Attach it when you are ready"); onClose(); }, onError: (err) => form.fail(err, "Could not create the firewall") });
    } else {
      save.mutate(full, { onSuccess: () => { toast.success(`Rules of ${firewall.label} saved`); onClose(); }, onError: (err) => form.fail(err, "Could not save the rules") });
    }
  };
  const section = (dir: "inbound" | "outbound", title: string) => (
    <fieldset className="grid gap-2">
      <legend className="mb-1 text-sm font-medium">{title}</legend>
      <Field name={`${dir}Policy`} label="Default for traffic no rule matches" error={form.errors[`${dir}Policy`]} className="max-w-60">
        {(p) => <Select {...p} value={rules[`${dir}Policy`]} onChange={(e) => setRules({ ...rules, [`${dir}Policy`]: e.target.value })}><option value="ACCEPT">ACCEPT</option><option value="DROP">DROP</option></Select>}
      </Field>
      {rules[dir].map((r, i) => (
        <div key={i} className="grid grid-cols-2 gap-2 rounded-md border p-2 sm:grid-cols-[1fr_7rem_6rem_1fr_1.4fr_auto]">
          <Field name={`${dir}.${i}.label`} label="Label" error={form.errors[`${dir}.${i}.label`]}>{(p) => <Input {...p} value={r.label} onChange={(e) => update(dir, i, { label: e.target.value })} placeholder="ssh" />}</Field>
          <Field name={`${dir}.${i}.action`} label="Action" error={form.errors[`${dir}.${i}.action`]}>{(p) => <Select {...p} value={r.action} onChange={(e) => update(dir, i, { action: e.target.value })}><option>ACCEPT</option><option>DROP</option></Select>}</Field>
          <Field name={`${dir}.${i}.protocol`} label="Protocol" error={form.errors[`${dir}.${i}.protocol`]}>{(p) => <Input {...p} list="firewall-protocols" value={r.protocol} onChange={(e) => update(dir, i, { protocol: e.target.value })} placeholder="TCP, ALL, 50" autoComplete="off" spellCheck={false} />}</Field>
          <Field name={`${dir}.${i}.ports`} label="Ports" error={form.errors[`${dir}.${i}.ports`]}>{(p) => <Input {...p} value={r.ports} onChange={(e) => update(dir, i, { ports: e.target.value })} placeholder="22, 80,443" />}</Field>
          <Field name={`${dir}.${i}.addresses`} label="From / to" error={form.errors[`${dir}.${i}.addresses`]}>{(p) => <Input {...p} value={text(dir, i)} onChange={(e) => setAddresses({ ...addresses, [`${dir}.${i}`]: e.target.value })} placeholder="0.0.0.0/0, ::/0" />}</Field>
          <Button type="button" variant="ghost" size="icon" className="self-end" aria-label={`Remove ${dir} rule ${i + 1}`} onClick={() => setRules({ ...rules, [dir]: rules[dir].filter((_, j) => j !== i) })}><Trash2 /></Button>
        </div>
      ))}
      <Button type="button" size="sm" variant="outline" className="justify-self-start" onClick={() => setRules({ ...rules, [dir]: [...rules[dir], NEW_RULE] })}><Plus /> Add {dir} rule</Button>
    </fieldset>
  );
  return (
    <Dialog open onOpenChange={(o) => !o && onClose()}>
      <DialogContent wide>
        <DialogTitle>{firewall ? `Rules of ${firewall.label}` : "New firewall"}</DialogTitle>
        <p className="text-sm text-muted-foreground">
          {firewall ? `Every server this firewall protects (${firewall.instanceCount}) gets these rules.` : `Created on the ${server.provider === "linode" ? "Linode account" : "Sandbox"} of ${server.label}; other servers of that account can use it too.`}
        </p>
        <form onSubmit={submit} noValidate className="grid max-h-[65vh] gap-4 overflow-y-auto pt-2 pr-2" aria-label={firewall ? "Firewall rules" : "New firewall"}>
          {creating && (
            <div className="grid gap-3">
              <Field name="label" label="Firewall label" error={form.errors.label} hint="3–32 letters, digits, - _ or ., unique on the account">
                {(p) => <Input {...p} value={label} onChange={(e) => { setLabel(e.target.value); form.clear("label"); }} placeholder="web-servers" autoComplete="off" spellCheck={false} />}
              </Field>
              <label className="flex items-center gap-2 text-sm">
                <input type="checkbox" name="attach" checked={attach} onChange={(e) => setAttach(e.target.checked)} className="size-4 accent-primary" />
                Attach to {server.label} now
              </label>
            </div>
          )}
          <datalist id="firewall-protocols">{FIREWALL_PROTOCOLS.map((p) => <option key={p} value={p} />)}</datalist>
          {section("inbound", "Inbound")}
          {section("outbound", "Outbound")}
          <div className="flex justify-end gap-2">
            <Button type="button" variant="outline" onClick={onClose}>Cancel</Button>
            <Button type="submit" disabled={save.isPending || create.isPending}>{creating ? "Create firewall" : "Save rules"}</Button>
          </div>
        </form>
      </DialogContent>
    </Dialog>
  );
}

// ---------------------------------------------------------------- disk I/O

function DiskTab({ server, caps }: { server: ServerDto; caps: ProviderCapabilitiesDto }) {
  const stats = useServerStats(server.id, true);
  if (stats.isError) return <QueryError what="disk statistics" error={stats.error} retry={() => stats.refetch()} />;
  if (!stats.data) return <Skeleton className="h-44" />;
  if (!caps.diskIoStats) {
    if (stats.data.diskUsedPercent.length === 0) return <p className="text-sm text-muted-foreground">No disk samples yet: the provider's monitoring agent reports them every few minutes.</p>;
    return (
      <div data-testid="disk-graph" className="grid gap-2">
        <CardDescription>Disk space used, percent of the root filesystem, last 24 hours</CardDescription>
        <LineChart ariaLabel="Disk space used in percent" fixedMax={100} formatValue={(v) => `${Math.round(v)} %`} series={[{ label: "Disk used", points: stats.data.diskUsedPercent, className: "stroke-amber-500", fillClassName: "fill-amber-500/10", swatchClassName: "bg-amber-500" }]} />
        <ProviderNotes caps={caps} topic="stats" />
      </div>
    );
  }
  if (stats.data.diskIoBlocksPerS.length === 0) return <p className="text-sm text-muted-foreground">No disk samples yet: the provider reports them every few minutes.</p>;
  return (
    <div data-testid="disk-graph">
      <CardDescription className="mb-2">Disk I/O, blocks per second, last 24 hours</CardDescription>
      <LineChart ariaLabel="Disk I/O in blocks per second" formatValue={(v) => `${v.toFixed(1)} blk/s`} series={[{ label: "Disk I/O", points: stats.data.diskIoBlocksPerS, className: "stroke-amber-500", fillClassName: "fill-amber-500/10", swatchClassName: "bg-amber-500" }]} />
    </div>
  );
}

// ---------------------------------------------------------------- lifecycle

function ManageTab({ server, caps }: { server: ServerDto; caps: ProviderCapabilitiesDto }) {
  const plans = usePlans();
  const catalogue = useCatalogue(server.provider);
  const key = ["server", server.id] as const;
  const resize = useServerMutation(key, (planId: string) => tabsApi.resizeServer(server.id, planId));
  const rebuild = useServerMutation(key, (v: { image: string; rootPassword: string }) => tabsApi.rebuildServer(server.id, { image: v.image, rootPassword: v.rootPassword || null, sshKey: null }));
  const rescue = useServerMutation(key, () => tabsApi.rescueServer(server.id));
  const reset = useServerMutation(key, (pw: string) => tabsApi.resetRootPassword(server.id, pw));
  const resizeForm = useApiForm(["planId"]);
  const rebuildForm = useApiForm(["image", "rootPassword", "sshKey"]);
  const resetForm = useApiForm(["rootPassword"]);
  const [planId, setPlanId] = React.useState("");
  const [image, setImage] = React.useState(server.image);
  const [pw, setPw] = React.useState("");
  const [newPw, setNewPw] = React.useState("");
  const [confirmRebuild, setConfirmRebuild] = React.useState(false);
  const toast = useToast();
  const fail = useFail();
  const settled = server.status === "running" || server.status === "offline";
  if (plans.isError) return <QueryError what="plans" error={plans.error} retry={() => plans.refetch()} />;
  if (!plans.data || !catalogue.data) return catalogue.isError ? <QueryError what="catalogue" error={catalogue.error} retry={() => catalogue.refetch()} /> : <Skeleton className="h-40" />;
  const others = plans.data.filter((p) => p.active && p.provider === server.provider && p.id !== server.planId && p.regions.includes(server.region));
  return (
    <div className="grid gap-6 text-sm">
      {!settled && <p className="text-muted-foreground">These actions are available while the server is running or off (it is {server.status.replace("_", " ")}).</p>}
      <ProviderNotes caps={caps} topic="lifecycle" />
      <section className="grid gap-2">
        <h3 className="font-medium">Resize</h3>
        {!caps.resizeRunning && <p className="text-muted-foreground" data-testid="resize-when-off">{providerName(server.provider)} resizes a server only while it is off: shut it down first.</p>}
        {others.length === 0 ? <p className="text-muted-foreground">No other active plan of this provider is offered in {server.region}.</p> : (
          <div className="flex flex-wrap items-end gap-2">
            <Field name="planId" label="New plan" error={resizeForm.errors.planId} className="min-w-56">
              {(p) => <Select {...p} value={planId} onChange={(e) => { setPlanId(e.target.value); resizeForm.clear("planId"); }}><option value="">Choose a plan…</option>{others.map((o) => <option key={o.id} value={o.id}>{o.name} ({o.providerType}, {o.monthly.amount} {o.monthly.currency}/mo)</option>)}</Select>}
            </Field>
            <Button disabled={!planId || !settled || (!caps.resizeRunning && server.status !== "offline") || resize.isPending} onClick={() => resize.mutate(planId, { onSuccess: () => toast.info("Resizing: the server restarts; billing moves to the new plan from the next hour"), onError: (e) => resizeForm.fail(e, "Could not resize") })}>Resize</Button>
          </div>
        )}
      </section>
      <section className="grid gap-2">
        <h3 className="font-medium">Rebuild</h3>
        <div className={`grid gap-2 sm:items-end ${caps.rebuildSetsCredentials ? "sm:grid-cols-[1fr_1fr_auto]" : "sm:grid-cols-[1fr_auto]"}`}>
          <Field name="image" label="Image" error={rebuildForm.errors.image}>
            {(p) => <Select {...p} value={image} onChange={(e) => setImage(e.target.value)}>{catalogue.data.images.map((i) => <option key={i.id} value={i.id}>{i.label}</option>)}</Select>}
          </Field>
          {caps.rebuildSetsCredentials && (
            <Field name="rootPassword" label="New root password" error={rebuildForm.errors.rootPassword}>
              {(p) => <Input {...p} type="password" autoComplete="new-password" value={pw} onChange={(e) => { setPw(e.target.value); rebuildForm.clear("rootPassword"); }} />}
            </Field>
          )}
          <Button variant="destructive" disabled={!settled || rebuild.isPending} onClick={() => setConfirmRebuild(true)}>Rebuild…</Button>
        </div>
      </section>
      {caps.rescue && <section className="flex flex-wrap items-center gap-3">
        <div className="flex-1"><h3 className="font-medium">Rescue mode</h3><p className="text-muted-foreground">Reboots into the provider's rescue system to repair the disks.</p></div>
        <Button variant="outline" disabled={!settled || rescue.isPending} onClick={() => rescue.mutate(undefined, { onSuccess: () => toast.info("Rebooting into rescue mode"), onError: fail("Could not boot into rescue mode") })}>Boot into rescue</Button>
      </section>}
      {caps.setRootPassword && <section className="grid gap-2">
        <h3 className="font-medium">Reset root password</h3>
        <p className="text-muted-foreground">The server must be off. The password goes to the provider and is never stored.</p>
        <div className="flex flex-wrap items-end gap-2">
          <Field name="rootPassword" label="Root password" error={resetForm.errors.rootPassword} className="min-w-56">
            {(p) => <Input {...p} type="password" autoComplete="new-password" value={newPw} onChange={(e) => { setNewPw(e.target.value); resetForm.clear("rootPassword"); }} />}
          </Field>
          <Button variant="outline" disabled={server.status !== "offline" || !newPw || reset.isPending} onClick={() => reset.mutate(newPw, { onSuccess: () => { setNewPw(""); toast.success("Root password reset"); }, onError: (e) => resetForm.fail(e, "Could not reset the password") })}>Reset password</Button>
        </div>
      </section>}
      <AlertDialog open={confirmRebuild} onOpenChange={setConfirmRebuild}>
        <AlertDialogContent>
          <AlertDialogTitle>Rebuild {server.label}?</AlertDialogTitle>
          <AlertDialogDescription>Its disks are wiped and it is reinstalled from the image. Everything on it is lost.</AlertDialogDescription>
          <div className="flex flex-col-reverse gap-2 pt-2 sm:flex-row sm:justify-end">
            <Button variant="outline" data-autofocus onClick={() => setConfirmRebuild(false)}>Keep server</Button>
            <Button variant="destructive" onClick={() => { setConfirmRebuild(false); rebuild.mutate({ image, rootPassword: pw }, { onSuccess: () => { setPw(""); toast.info("Rebuilding"); }, onError: (e) => rebuildForm.fail(e, "Could not rebuild") }); }}>Rebuild</Button>
          </div>
        </AlertDialogContent>
      </AlertDialog>
    </div>
  );
}
