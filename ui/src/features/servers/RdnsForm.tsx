// Reverse DNS of one address. Linode checks the forward record first; the
// backend turns its refusal into "Set the A/AAAA record … first".
import * as React from "react";
import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { useToast } from "@/components/ui/toast";
import { focusFirstError, useApiForm } from "@/lib/use-api-form";
import { tabKeys, tabsApi, useServerMutation } from "./tabs-api";

/** A host name for rDNS, or an error message; empty means "reset to the provider's default". */
export function checkRdns(value: string): string | null {
  const v = value.trim().replace(/\.$/, "");
  if (!v) return null;
  const label = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;
  if (v.length > 253 || !v.includes(".") || !v.split(".").every((l) => label.test(l))) return `"${v}" is not a host name: use a name like mail.example.com`;
  return null;
}

export function RdnsForm({ serverId, address, current, onDone }: { serverId: string; address: string; current: string | null; onDone: () => void }) {
  const [value, setValue] = React.useState(current ?? "");
  const form = useApiForm(["rdns", "address"]);
  const save = useServerMutation(tabKeys.network(serverId), (rdns: string | null) => tabsApi.setRdns(serverId, address, rdns));
  const toast = useToast();
  const ref = React.useRef<HTMLFormElement>(null);
  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    const err = checkRdns(value);
    if (err) {
      form.setErrors({ rdns: err });
      focusFirstError(ref.current);
      return;
    }
    const rdns = value.trim() || null;
    save.mutate(rdns, {
      onSuccess: (ip) => {
        toast.success(ip.rdns ? `Reverse DNS of ${address} is ${ip.rdns}` : `Reverse DNS of ${address} reset`);
        onDone();
      },
      onError: (err) => {
        form.fail(err, "Could not set reverse DNS");
        focusFirstError(ref.current);
      },
    });
  };
  return (
    <form ref={ref} onSubmit={submit} noValidate className="grid gap-2" aria-label={`Reverse DNS of ${address}`} data-testid="rdns-form">
      <Field name="rdns" label={`Reverse DNS of ${address}`} error={form.errors.rdns ?? form.errors.address} hint="Its forward record (A for IPv4, AAAA for IPv6) must already point to this address. Leave empty to reset.">
        {(p) => <Input {...p} value={value} spellCheck={false} placeholder="mail.example.com" onChange={(e) => { setValue(e.target.value); form.clear("rdns"); }} />}
      </Field>
      <div className="flex gap-2">
        <Button type="submit" size="sm" disabled={save.isPending}>{save.isPending ? "Saving…" : "Save reverse DNS"}</Button>
        <Button type="button" size="sm" variant="ghost" onClick={onDone}>Cancel</Button>
      </div>
    </form>
  );
}
