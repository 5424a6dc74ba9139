// Optional create settings for the new-server form: a StackScript and its
// fields (not on DigitalOcean, which has none), cloud-init user data (only
// for images that read it) and a firewall.
import { useQuery } from "@tanstack/react-query";
import type { CatalogueDto, CreateOptionsInput } from "@/bindings";
import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { Input, Select, Textarea } from "@/components/ui/input";
import { tabsApi } from "./tabs-api";

export const OPTION_FIELDS = ["stackscriptId", "stackscriptData", "userData", "firewallId"] as const;
export const NO_OPTIONS: CreateOptionsInput = { stackscriptId: null, stackscriptData: [], userData: null, firewallId: null, accountId: null };

/** Client-side checks; the backend checks again against the catalogue. */
export function checkOptions(o: CreateOptionsInput, catalogue: CatalogueDto | undefined, image: string): Record<string, string> {
  const e: Record<string, string> = {};
  const img = catalogue?.images.find((i) => i.id === image);
  if (o.userData?.trim() && img && !img.cloudInit) e.userData = `${img.label} does not read cloud-init user data: choose another image or leave this empty`;
  if (o.userData && o.userData.length > 48 * 1024) e.userData = "Keep user data under 48 KiB";
  const script = catalogue?.stackscripts.find((s) => s.id === o.stackscriptId);
  if (script && image && script.images.length && !script.images.includes(image) && !script.images.includes("any/all")) e.stackscriptId = `${script.label} does not deploy this image: choose one of ${script.images.join(", ")}`;
  if (o.stackscriptData.some((f) => !f.name.trim())) e.stackscriptData = "Every StackScript field needs a name";
  return e;
}

export function CreateOptions({ provider, catalogue, image, value, onChange, errors }: {
  provider: string; catalogue: CatalogueDto | undefined; image: string; value: CreateOptionsInput; onChange: (v: CreateOptionsInput) => void; errors: Record<string, string>;
}) {
  const firewalls = useQuery({ queryKey: ["providerFirewalls", provider], queryFn: () => tabsApi.firewalls(provider), enabled: Boolean(provider) });
  const img = catalogue?.images.find((i) => i.id === image);
  const scripts = catalogue?.stackscripts ?? [];
  const set = (patch: Partial<CreateOptionsInput>) => onChange({ ...value, ...patch });
  // DigitalOcean has none: say so rather than show an empty list.
  const noStackScripts = provider === "digitalocean" || provider.startsWith("digitalocean:");
  return (
    <div className="grid gap-4" data-testid="create-options">
      {noStackScripts ? (
        <p className="text-sm text-muted-foreground" data-testid="no-stackscripts">DigitalOcean has no StackScripts: configure the server with cloud-init user data below.</p>
      ) : (
      <Field name="stackscriptId" label="StackScript" error={errors.stackscriptId} hint={scripts.length ? "Runs once at first boot" : "No StackScript is enabled on this account (Linode: your own StackScripts)"}>
        {(p) => (
          <Select {...p} value={value.stackscriptId ?? ""} disabled={!scripts.length} onChange={(e) => set({ stackscriptId: e.target.value || null, stackscriptData: [] })}>
            <option value="">None</option>
            {scripts.map((s) => <option key={s.id} value={s.id}>{s.label}{s.description ? ` — ${s.description}` : ""}</option>)}
          </Select>
        )}
      </Field>
      )}
      {value.stackscriptId && (
        <div className="grid gap-2">
          <p className="text-xs text-muted-foreground">StackScript fields (name = value), as the script's UDF tags name them.</p>
          {value.stackscriptData.map((f, i) => (
            <div key={i} className="flex gap-2">
              <Input aria-label={`Field ${i + 1} name`} value={f.name} placeholder="hostname" onChange={(e) => set({ stackscriptData: value.stackscriptData.map((x, j) => (j === i ? { ...x, name: e.target.value } : x)) })} />
              <Input aria-label={`Field ${i + 1} value`} value={f.value} placeholder="web1" onChange={(e) => set({ stackscriptData: value.stackscriptData.map((x, j) => (j === i ? { ...x, value: e.target.value } : x)) })} />
              <Button type="button" variant="ghost" onClick={() => set({ stackscriptData: value.stackscriptData.filter((_, j) => j !== i) })}>Remove</Button>
            </div>
          ))}
          {errors.stackscriptData && <p data-field-error="stackscriptData" className="text-xs font-medium text-destructive">{errors.stackscriptData}</p>}
          <Button type="button" size="sm" variant="outline" className="justify-self-start" onClick={() => set({ stackscriptData: [...value.stackscriptData, { name: "", value: "" }] })}>Add field</Button>
        </div>
      )}
      <Field name="userData" label="cloud-init user data" error={errors.userData} hint={img && !img.cloudInit ? `${img.label} does not read cloud-init user data` : "A #cloud-config document or a script, run at first boot"}>
        {(p) => <Textarea {...p} rows={4} disabled={Boolean(img && !img.cloudInit)} value={value.userData ?? ""} onChange={(e) => set({ userData: e.target.value || null })} placeholder={"#cloud-config\npackages: [nginx]"} spellCheck={false} className="font-mono text-xs" />}
      </Field>
      <Field name="firewallId" label="Firewall" error={errors.firewallId} hint={firewalls.isError ? "The account's firewalls could not be loaded" : undefined}>
        {(p) => (
          <Select {...p} value={value.firewallId ?? ""} onChange={(e) => set({ firewallId: e.target.value || null })}>
            <option value="">None</option>
            {(firewalls.data ?? []).map((f) => <option key={f.id} value={f.id}>{f.label}</option>)}
          </Select>
        )}
      </Field>
    </div>
  );
}
