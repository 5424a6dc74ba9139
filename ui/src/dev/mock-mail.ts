// DEV/PREVIEW ONLY. The email half of the mock backend (see mock.ts): email
// settings, a test mail, an outbox whose queued mail is "sent" a few seconds
// later, and templates with a naive preview (the real one is rendered by Rust).
import type * as T from "@/bindings";

type Ctx = {
  orgs: T.OrganizationDto[];
  fail: (code: string, message: string, fields?: [string, string][]) => never;
  ago: (min: number) => string;
};

const VARS: Record<string, string[]> = {
  welcome: ["customer_name", "portal_url"],
  password_reset: ["customer_name", "reset_url", "expires_in_minutes"],
  invoice_issued: ["customer_name", "invoice_number", "amount", "due_date", "invoice_url"],
  payment_received: ["customer_name", "amount", "payment_method", "new_balance"],
  refund: ["customer_name", "amount", "reason", "new_balance"],
  low_balance: ["customer_name", "balance", "threshold", "top_up_url"],
  suspension_warning: ["customer_name", "balance", "suspend_on", "top_up_url"],
  suspended: ["customer_name", "server_list", "top_up_url"],
  terminated: ["customer_name", "server_list", "terminated_on"],
  ticket_reply: ["customer_name", "ticket_number", "ticket_subject", "reply_author", "reply_body", "ticket_url"],
};
const NAMES: Record<string, string> = {
  welcome: "Welcome", password_reset: "Password reset", invoice_issued: "Invoice issued", payment_received: "Payment received", refund: "Refund",
  low_balance: "Low balance", suspension_warning: "Suspension warning", suspended: "Suspended", terminated: "Terminated", ticket_reply: "Ticket reply",
};

function defaultTemplate(kind: string): T.MailTemplateDto {
  const subject = kind === "welcome" ? "Welcome to {{ brand.name }}" : kind === "invoice_issued" ? "Invoice {{ invoice_number }} from {{ brand.name }}" : `${NAMES[kind]} — {{ brand.name }}`;
  return {
    kind, name: NAMES[kind], subject,
    text: `Hello {{ customer_name }},\n\n${NAMES[kind]}.\n`,
    html: `<p>Hello {{ customer_name }},</p><p>${NAMES[kind]}.</p>`,
    variables: VARS[kind], customized: false, attachesPdf: kind === "invoice_issued",
  };
}

let state: null | {
  settings: T.EmailSettingsDto;
  outbox: (T.OutboxItemDto & { html: string; text: string })[];
  templates: T.MailTemplateDto[];
} = null;

function init(c: Ctx) {
  if (state) return state;
  const item = (i: number, tmpl: string, st: string, subject: string, extra: Partial<T.OutboxItemDto> = {}) => {
    const o = c.orgs[i % Math.max(c.orgs.length, 1)];
    return {
      id: `mail_${i}`, template: tmpl, to: [o ? o.contactEmail : "ops@example.com"], subject, state: st, attempts: st === "queued" ? 0 : 1,
      nextAttemptAt: c.ago(-1), relayResponse: st === "sent" ? `250 2.0.0 Ok: queued as ${4000 + i}` : null, lastError: null, possiblyDuplicated: false,
      createdAt: c.ago(60 - i), sentAt: st === "sent" ? c.ago(59 - i) : null, attachmentCount: tmpl === "invoice_issued" || tmpl === "payment_received" ? 1 : 0,
      html: `<!DOCTYPE html><html><body style="font-family:sans-serif"><div style="border-top:6px solid #2563eb;padding:16px"><p>Hello ${o?.contactName ?? "there"},</p><p>${subject}</p></div></body></html>`,
      text: `Hello ${o?.contactName ?? "there"},\n\n${subject}\n`,
      ...extra,
    };
  };
  state = {
    settings: {
      configured: true, host: "mail.smtp2go.com", port: 587, security: "starttls", username: "acme-cloud", passwordSet: true,
      fromName: "Acme Cloud", fromAddress: "billing@acme.example", replyTo: "help@acme.example", brandColor: "#2563eb", logoUrl: "", website: "https://acme.example", portalUrl: "",
    },
    outbox: c.orgs.length === 0 ? [] : [
      item(1, "welcome", "sent", "Welcome to Acme Cloud"),
      item(2, "invoice_issued", "sent", "Invoice INV-2026-0007 from Acme Cloud"),
      item(3, "payment_received", "sent", "Payment received: 50.00 USD"),
      item(4, "low_balance", "failed", "Your Acme Cloud balance is low", { lastError: "the SMTP relay refused the message for good (550 5.1.1 <old@example.com>: Recipient address rejected)", to: ["old@example.com"] }),
      item(5, "suspension_warning", "queued", "Your servers will be suspended on 3 March 2026", { attempts: 2, lastError: "could not talk to the SMTP relay mail.smtp2go.com:587 (connection refused): check the host, port and security settings; queued mail is retried" }),
    ],
    templates: Object.keys(NAMES).map(defaultTemplate),
  };
  return state;
}

function render(src: string, brand: string) {
  return src.replace(/\{\{\s*([a-z_.]+)\s*\}\}/g, (_, v: string) => (v === "brand.name" ? brand : v === "customer_name" ? "Zoë Ødegård" : `sample ${v}`));
}

function checkTemplate(kind: string, t: T.MailTemplateInput, fail: Ctx["fail"]) {
  for (const [part, src] of [["subject", t.subject], ["text", t.text], ["html", t.html]] as const) {
    const lines = src.split("\n");
    for (let l = 0; l < lines.length; l++) {
      const open = lines[l].lastIndexOf("{{");
      if (open >= 0 && lines[l].indexOf("}}", open) < 0) fail("validation", `the ${kind} email's ${part} has an error at line ${l + 1}, column ${open + 1}: unexpected end of variable block`, [[part, `the ${kind} email's ${part} has an error at line ${l + 1}, column ${open + 1}: unexpected end of variable block`]]);
    }
    for (const m of src.matchAll(/\{\{\s*([a-z_]+)/g)) {
      if (m[1] !== "brand" && !VARS[kind].includes(m[1])) fail("validation", `unknown variable ${m[1]}`, [[part, `the ${kind} email's ${part} has an error: unknown variable ${m[1]}; this email can use: brand, ${VARS[kind].join(", ")}`]]);
    }
  }
}

export function handleMail(cmd: string, args: Record<string, unknown> | undefined, c: Ctx): unknown {
  const s = init(c);
  const a = (args ?? {}) as Record<string, any>;
  // The worker: queued mail goes out when email is set up.
  if (s.settings.configured) {
    for (const m of s.outbox) {
      if (m.state === "queued" && Date.parse(m.createdAt) < Date.now() - 4000 && !m.lastError) {
        Object.assign(m, { state: "sent", attempts: m.attempts + 1, relayResponse: `250 2.0.0 Ok: queued as ${Math.floor(Math.random() * 1e6)}`, sentAt: new Date().toISOString() });
      }
    }
  }
  const item = ({ html: _h, text: _t, ...rest }: (typeof s.outbox)[number]): T.OutboxItemDto => rest;
  switch (cmd) {
    case "get_email_settings":
      return s.settings;
    case "update_email_settings": {
      const i = a.input as T.EmailSettingsInput;
      if (!i.host.trim()) c.fail("validation", "Enter your relay's host name", [["host", "Enter your relay's host name, e.g. mail.smtp2go.com"]]);
      const passwordSet = i.password === null ? s.settings.passwordSet : i.password !== "";
      s.settings = { ...i, passwordSet, configured: Boolean(i.host && i.fromAddress && (!i.username || passwordSet)) } as T.EmailSettingsDto;
      delete (s.settings as unknown as Record<string, unknown>).password;
      return s.settings;
    }
    case "send_test_mail":
      if (!s.settings.configured) c.fail("unavailable", "Email is not set up: fill in Settings → Email and save first");
      if (String(a.to).includes("wrong")) c.fail("validation", "The relay refused the login", [["password", "The relay refused the login: check the user name and password (535 5.7.8 authentication failed)"]]);
      return { to: a.to, relayAnswer: `250 2.0.0 Ok: queued as ${Math.floor(Math.random() * 1e6)}` } satisfies T.TestMailResult;
    case "list_outbox": {
      const f = a.filter as string;
      const items = s.outbox.filter((m) => f === "all" || (f === "pending" ? m.state === "queued" || m.state === "sending" : m.state === f)).map(item).reverse();
      return { configured: s.settings.configured, items } satisfies T.OutboxListDto;
    }
    case "get_outbox_message": {
      const m = s.outbox.find((x) => x.id === a.id) ?? c.fail("not_found", "There is no such mail");
      return { item: item(m), from: `"${s.settings.fromName}" <${s.settings.fromAddress}>`, replyTo: s.settings.replyTo || null, messageId: `${m.id}@acme.example`, text: m.text, html: m.html, attachments: m.attachmentCount ? ["INV-2026-0007.pdf"] : [] } satisfies T.OutboxMessageDto;
    }
    case "retry_mail": {
      const m = s.outbox.find((x) => x.id === a.id) ?? c.fail("not_found", "There is no such mail");
      if (m.state !== "failed") c.fail("conflict", "This mail is not failed any more: refresh the list");
      Object.assign(m, { state: "queued", attempts: 0, lastError: null, createdAt: new Date().toISOString() });
      return item(m);
    }
    case "list_mail_templates":
      return s.templates;
    case "save_mail_template": {
      checkTemplate(a.kind, a.input, c.fail);
      const t = { ...s.templates.find((x) => x.kind === a.kind)!, ...(a.input as T.MailTemplateInput), customized: true };
      s.templates = s.templates.map((x) => (x.kind === a.kind ? t : x));
      return t;
    }
    case "reset_mail_template": {
      const t = defaultTemplate(a.kind);
      s.templates = s.templates.map((x) => (x.kind === a.kind ? t : x));
      return t;
    }
    case "preview_mail_template": {
      const t = a.input as T.MailTemplateInput;
      checkTemplate(a.kind, t, c.fail);
      const brand = "Acme Cloud";
      const body = render(t.html, brand);
      return {
        subject: render(t.subject, brand),
        text: render(t.text, brand),
        html: `<!DOCTYPE html><html><body style="margin:0;background:#f4f5f7;font-family:Helvetica,Arial,sans-serif"><div style="max-width:600px;margin:24px auto;background:#fff;border-top:6px solid ${s.settings.brandColor};padding:24px 32px"><div style="font-weight:bold;color:${s.settings.brandColor};font-size:20px">${brand}</div>${body}</div></body></html>`,
      } satisfies T.MailPreviewDto;
    }
    default:
      return undefined;
  }
}
