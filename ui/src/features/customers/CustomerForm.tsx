import * as React from "react";
import type { OrganizationDto, OrganizationInput } from "@/api/client";
import { useCreateOrganization, useUpdateOrganization } from "@/api/queries";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { Field } from "@/components/ui/field";
import { Input, Select, Textarea } from "@/components/ui/input";
import { useToast } from "@/components/ui/toast";
import { sortedCountries } from "@/lib/format";
import { focusFirstError, useApiForm } from "@/lib/use-api-form";

const FIELDS = ["name", "contactName", "contactEmail", "country", "taxId", "addressLines", "postalCode", "city", "peppolId"] as const;
const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function validateCustomer(v: OrganizationInput): Record<string, string> {
  const e: Record<string, string> = {};
  if (!v.name.trim()) e.name = "Name is required";
  if (!v.contactName.trim()) e.contactName = "Contact name is required";
  if (!v.contactEmail.trim()) e.contactEmail = "Contact email is required";
  else if (!EMAIL_RE.test(v.contactEmail.trim())) e.contactEmail = "Enter an email address like name@example.com";
  if (!v.country) e.country = "Choose the customer's country";
  if (v.taxId && !/^[A-Za-z0-9.-]{4,20}$/.test(v.taxId.trim())) e.taxId = "Tax id must be 4–20 letters, digits, dots or dashes (e.g. DE123456789), or left empty";
  if ((v.addressLines ?? "").split("\n").filter((l) => l.trim()).length > 3) e.addressLines = "Use at most 3 street lines: the post code and city have their own fields";
  if (v.postalCode && !/^[\p{L}\p{N} -]{1,16}$/u.test(v.postalCode.trim())) e.postalCode = "Letters, digits, spaces and dashes, at most 16";
  if (v.city && v.city.trim().length > 60) e.city = "At most 60 characters";
  if (v.peppolId && !/^\d{4}\s*:\s*\S+$/.test(v.peppolId.trim())) e.peppolId = "Write the scheme code, a colon and the identifier, e.g. 0088:5790000435968";
  return e;
}

const EMPTY: OrganizationInput = { name: "", contactName: "", contactEmail: "", country: "", taxId: null, addressLines: null, postalCode: null, city: null, peppolId: null };

/** Empty text as null, the rest trimmed. */
const orNull = (s: string | null | undefined) => (s?.trim() ? s.trim() : null);

/** Create or edit a customer in a dialog. */
export function CustomerDialog({
  open,
  onOpenChange,
  customer,
  onSaved,
}: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  customer?: OrganizationDto;
  onSaved?: (org: OrganizationDto) => void;
}) {
  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogContent>
        <DialogHeader>
          <DialogTitle>{customer ? "Edit customer" : "New customer"}</DialogTitle>
          <DialogDescription>
            {customer ? "Changes apply to new invoices and the customer portal." : "A customer is an organization you bill: a company or a person."}
          </DialogDescription>
        </DialogHeader>
        {open && <CustomerForm customer={customer} onDone={(org) => { onOpenChange(false); onSaved?.(org); }} onCancel={() => onOpenChange(false)} />}
      </DialogContent>
    </Dialog>
  );
}

export function CustomerForm({ customer, onDone, onCancel }: { customer?: OrganizationDto; onDone: (org: OrganizationDto) => void; onCancel: () => void }) {
  const [v, setV] = React.useState<OrganizationInput>(() =>
    customer
      ? {
          name: customer.name,
          contactName: customer.contactName,
          contactEmail: customer.contactEmail,
          country: customer.country,
          taxId: customer.taxId,
          addressLines: customer.addressLines,
          postalCode: customer.postalCode,
          city: customer.city,
          peppolId: customer.peppolId,
        }
      : EMPTY,
  );
  const form = useApiForm(FIELDS);
  const create = useCreateOrganization();
  const update = useUpdateOrganization();
  const toast = useToast();
  const formRef = React.useRef<HTMLFormElement>(null);
  const countries = React.useMemo(sortedCountries, []);
  const pending = create.isPending || update.isPending;

  const set = (k: keyof OrganizationInput) => (e: React.ChangeEvent<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>) => {
    setV((x) => ({ ...x, [k]: e.target.value }));
    form.clear(k);
  };

  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    const input: OrganizationInput = {
      name: v.name.trim(),
      contactName: v.contactName.trim(),
      contactEmail: v.contactEmail.trim(),
      country: v.country,
      taxId: orNull(v.taxId),
      addressLines: orNull((v.addressLines ?? "").split("\n").map((l) => l.trim()).filter(Boolean).join("\n")),
      postalCode: orNull(v.postalCode),
      city: orNull(v.city),
      peppolId: orNull(v.peppolId),
    };
    const local = validateCustomer(input);
    if (Object.keys(local).length) {
      form.setErrors(local);
      focusFirstError(formRef.current);
      return;
    }
    const done = (org: OrganizationDto) => {
      toast.success(customer ? "Customer saved" : "Customer created", org.name);
      onDone(org);
    };
    const fail = (err: unknown) => {
      form.fail(err, customer ? "Could not save the customer" : "Could not create the customer");
      focusFirstError(formRef.current);
    };
    if (customer) update.mutate({ id: customer.id, input }, { onSuccess: done, onError: fail });
    else create.mutate(input, { onSuccess: done, onError: fail });
  };

  return (
    <form ref={formRef} onSubmit={submit} noValidate className="grid gap-4" aria-label={customer ? "Edit customer" : "New customer"}>
      <Field name="name" label="Organization name" error={form.errors.name}>
        {(p) => <Input {...p} value={v.name} onChange={set("name")} autoComplete="organization" placeholder="Acme Hosting Ltd" data-autofocus />}
      </Field>
      <div className="grid gap-4 sm:grid-cols-2">
        <Field name="contactName" label="Contact name" error={form.errors.contactName}>
          {(p) => <Input {...p} value={v.contactName} onChange={set("contactName")} autoComplete="name" placeholder="Jane Doe" />}
        </Field>
        <Field name="contactEmail" label="Contact email" error={form.errors.contactEmail}>
          {(p) => <Input {...p} type="email" value={v.contactEmail} onChange={set("contactEmail")} autoComplete="email" placeholder="jane@acme.example" />}
        </Field>
      </div>
      <div className="grid gap-4 sm:grid-cols-2">
        <Field name="country" label="Country" error={form.errors.country}>
          {(p) => (
            <Select {...p} value={v.country} onChange={set("country")}>
              <option value="" disabled>Choose a country…</option>
              {countries.map((c) => (
                <option key={c.code} value={c.code}>{c.name}</option>
              ))}
            </Select>
          )}
        </Field>
        <Field name="taxId" label={<>Tax id <span className="font-normal text-muted-foreground">(optional)</span></>} error={form.errors.taxId} hint="VAT or company number, for reverse charge">
          {(p) => <Input {...p} value={v.taxId ?? ""} onChange={set("taxId")} placeholder="DE123456789" />}
        </Field>
      </div>
      <fieldset className="grid gap-4 rounded-md border p-3" data-testid="customer-e-invoice">
        <legend className="px-1 text-sm font-medium">Address and e-invoices <span className="font-normal text-muted-foreground">(optional)</span></legend>
        <Field name="addressLines" label="Street address" hint="Street and number, one line each" error={form.errors.addressLines}>
          {(p) => <Textarea {...p} className="font-sans text-sm" rows={2} value={v.addressLines ?? ""} onChange={set("addressLines")} />}
        </Field>
        <div className="grid grid-cols-[8rem_1fr] gap-3">
          <Field name="postalCode" label="Post code" error={form.errors.postalCode}>
            {(p) => <Input {...p} value={v.postalCode ?? ""} onChange={set("postalCode")} />}
          </Field>
          <Field name="city" label="City" error={form.errors.city}>
            {(p) => <Input {...p} value={v.city ?? ""} onChange={set("city")} />}
          </Field>
        </div>
        <Field name="peppolId" label="Peppol participant id" hint="Where the customer receives e-invoices, e.g. 0088:5790000435968" error={form.errors.peppolId}>
          {(p) => <Input {...p} value={v.peppolId ?? ""} onChange={set("peppolId")} placeholder="0088:5790000435968" className="font-mono" />}
        </Field>
      </fieldset>
      <DialogFooter>
        <Button variant="outline" onClick={onCancel}>Cancel</Button>
        <Button type="submit" disabled={pending}>{customer ? "Save customer" : "Create customer"}</Button>
      </DialogFooter>
    </form>
  );
}
