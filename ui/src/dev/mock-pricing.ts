// DEV/PREVIEW ONLY. Prices and add-ons in the mock backend (see mock.ts): a
// plan's price table per region, versions, pending changes of running servers
// and applying them, and server add-ons. Prices are computed with the same
// rounding as the backend (applyMarkup).
import type * as T from "@/bindings";
import { applyMarkup } from "@/features/plans/pricing/price-form";

type Ctx = {
  plans: T.PlanDto[];
  servers: T.ServerDto[];
  currency: string;
  fail: (code: string, message: string, fields?: [string, string][]) => never;
};

type Rule = { id: number; planId: string; item: string; region: string | null; mode: string; markupPercent: string | null; hourly: string | null; monthly: string | null; effectiveFrom: string; createdAt: string };

const rules: Rule[] = [];
/** What each running server (and add-on) is billed at: key `${serverId}:${item}`. */
const billed = new Map<string, { hourly: string; monthly: string }>();
const addons = new Map<string, { since: string }>();
let nextId = 1;

const LABELS: Record<string, string> = { server: "Server", backups: "Backups", ipv4: "Extra IPv4" };
const ITEMS = ["server", "backups", "ipv4"];
const money = (amount: string, currency: string): T.MoneyDto => ({ minor: amount.replace(".", "").replace(/^0+(?=\d)/, ""), currency, amount });
const rate = (amount: string, currency: string): T.RateDto => ({ micros: "0", currency, amount });
const unit = (p: { hourly: string; monthly: string }, c: string): T.UnitPriceDto => ({ hourly: rate(p.hourly, c), monthly: money(p.monthly, c) });
const nextHour = () => { const d = new Date(); d.setUTCMinutes(0, 0, 0); d.setUTCHours(d.getUTCHours() + 1); return d.toISOString(); };

function providerPrice(plan: T.PlanDto, item: string, region: string): { hourly: string; monthly: string } | null {
  const base = plan.providerPrices.find((p) => p.region === region) ?? plan.providerPrices[0];
  if (!base || item === "ipv4") return null;
  const p = { hourly: base.hourly.amount, monthly: base.monthly.amount };
  return item === "backups" ? applyMarkup(p, "-80", plan.monthly.currency) : p;
}

function ruleFor(plan: T.PlanDto, item: string, region: string, at = new Date().toISOString()): Rule | null {
  const live = rules.filter((r) => r.planId === plan.id && r.item === item && r.effectiveFrom <= at);
  const pick = (scope: string | null) => live.filter((r) => r.region === scope).sort((a, b) => (a.effectiveFrom === b.effectiveFrom ? b.id - a.id : b.effectiveFrom.localeCompare(a.effectiveFrom)))[0];
  return pick(region) ?? pick(null) ?? null;
}

function priceOf(plan: T.PlanDto, item: string, region: string): { price: { hourly: string; monthly: string } | null; rule: Rule | null; problem: string | null } {
  const rule = ruleFor(plan, item, region);
  if (!rule) {
    if (item === "server") return { price: { hourly: plan.hourly.amount, monthly: plan.monthly.amount }, rule, problem: null };
    return { price: null, rule, problem: `plan ${plan.name} has no ${item} price: add a price rule for it before enabling the add-on` };
  }
  if (rule.mode === "fixed") return { price: { hourly: rule.hourly!, monthly: rule.monthly! }, rule, problem: null };
  const pp = providerPrice(plan, item, region);
  return pp ? { price: applyMarkup(pp, rule.markupPercent!, plan.monthly.currency), rule, problem: null } : { price: null, rule, problem: "no provider price" };
}

const ruleDto = (r: Rule, c: string): T.PriceRuleDto =>
  r.mode === "markup" ? { mode: "markup", markupPercent: r.markupPercent, price: null } : { mode: "fixed", markupPercent: null, price: unit({ hourly: r.hourly!, monthly: r.monthly! }, c) };

const isLive = (s: T.ServerDto) => !s.deletedAt && s.status !== "failed" && s.status !== "deleted";

function billedOf(s: T.ServerDto, item: string, plan: T.PlanDto) {
  const key = `${s.id}:${item}`;
  if (!billed.has(key)) {
    const p = priceOf(plan, item, s.region).price;
    if (p) billed.set(key, p);
  }
  return billed.get(key) ?? null;
}

function pending(c: Ctx, planId: string | null): T.PendingPriceChangesDto {
  const changes: T.PendingPriceChangeDto[] = [];
  for (const s of c.servers.filter(isLive)) {
    if (planId && s.planId !== planId) continue;
    const plan = c.plans.find((p) => p.id === s.planId);
    if (!plan) continue;
    for (const item of ITEMS) {
      if (item !== "server" && !addons.has(`${s.id}:${item}`)) continue;
      const was = billedOf(s, item, plan);
      const now = priceOf(plan, item, s.region).price;
      if (was && now && (was.hourly !== now.hourly || was.monthly !== now.monthly)) {
        changes.push({ serverId: s.id, serverLabel: s.label, organizationName: s.organizationName, planId: plan.id, planName: plan.name, item, billed: unit(was, c.currency), current: unit(now, c.currency), from: nextHour() });
      }
    }
  }
  return { servers: new Set(changes.map((x) => x.serverId)).size, changes };
}

function table(c: Ctx, plan: T.PlanDto): T.PlanPricingDto {
  const now = new Date().toISOString();
  const mine = rules.filter((r) => r.planId === plan.id).sort((a, b) => (a.effectiveFrom === b.effectiveFrom ? b.id - a.id : b.effectiveFrom.localeCompare(a.effectiveFrom)));
  return {
    planId: plan.id, planName: plan.name, provider: plan.provider, providerType: plan.providerType, currency: c.currency, providerNote: null,
    items: ITEMS.map((item) => ({
      item, label: LABELS[item], providerPriced: item !== "ipv4",
      regions: plan.regions.map((region) => {
        const { price, rule, problem } = priceOf(plan, item, region);
        const pp = providerPrice(plan, item, region);
        return {
          region, providerPrice: pp ? unit(pp, c.currency) : null,
          ruleScope: rule ? (rule.region ? "region" : "default") : price ? "plan" : "none",
          rule: rule ? ruleDto(rule, c.currency) : null,
          customerPrice: price ? unit(price, c.currency) : null, problem,
        };
      }),
    })),
    versions: mine.map((r) => {
      const current = mine.filter((o) => o.item === r.item && o.region === r.region && o.effectiveFrom <= now)[0];
      return {
        id: String(r.id), item: r.item, region: r.region, rule: ruleDto(r, c.currency), effectiveFrom: r.effectiveFrom, createdAt: r.createdAt, createdBy: "staff:demo",
        status: r.effectiveFrom > now ? "scheduled" : current?.id === r.id ? "active" : "superseded",
      };
    }),
    pending: pending(c, plan.id),
  };
}

function addonList(c: Ctx, s: T.ServerDto): T.ServerAddonDto[] {
  const plan = c.plans.find((p) => p.id === s.planId)!;
  return ["backups", "ipv4"].map((item) => {
    const on = addons.get(`${s.id}:${item}`);
    const { price, problem } = priceOf(plan, item, s.region);
    const b = on ? billed.get(`${s.id}:${item}`) ?? price : price;
    return {
      item, label: LABELS[item], enabled: Boolean(on), billedFrom: on?.since ?? null, price: b ? unit(b, c.currency) : null, problem: on ? null : problem,
      atProvider: item === "backups",
      note: item === "backups"
        ? "Switching backups on or off also enables or cancels them at the provider. Billed from the next full hour, capped monthly."
        : "Billing only: this records and bills an extra IPv4 address; add or remove the address at the provider yourself. Billed from the next full hour, capped monthly.",
    };
  });
}

function seed(c: Ctx) {
  if (rules.length || !c.plans.length) return;
  const at = new Date(Date.now() - 20 * 86_400_000).toISOString();
  const p = c.plans.find((x) => x.providerType === "sb-small") ?? c.plans[0];
  rules.push({ id: nextId++, planId: p.id, item: "server", region: null, mode: "markup", markupPercent: "40", hourly: null, monthly: null, effectiveFrom: at, createdAt: at });
  rules.push({ id: nextId++, planId: p.id, item: "backups", region: null, mode: "markup", markupPercent: "25", hourly: null, monthly: null, effectiveFrom: at, createdAt: at });
  for (const s of c.servers.filter((x) => x.planId === p.id && isLive(x))) billedOf(s, "server", p);
  // A newer price not yet applied to running servers.
  const later = new Date(Date.now() - 86_400_000).toISOString();
  rules.push({ id: nextId++, planId: p.id, item: "server", region: "ap-south", mode: "markup", markupPercent: "55", hourly: null, monthly: null, effectiveFrom: later, createdAt: later });
}

export function handlePricing(cmd: string, args: Record<string, any>, c: Ctx): unknown {
  seed(c);
  const plan = () => c.plans.find((p) => p.id === args.planId) ?? c.fail("not_found", `There is no plan with id ${args.planId}: refresh the list`);
  const server = () => c.servers.find((s) => s.id === args.serverId) ?? c.fail("not_found", "Server no longer exists: refresh the list");
  switch (cmd) {
    case "plan_pricing":
      return table(c, plan());
    case "add_price_version": {
      const p = plan();
      const i = args.input as T.PriceVersionInput;
      const f: [string, string][] = [];
      if (i.mode === "markup" && i.item === "ipv4") f.push(["mode", "The provider's catalogue has no price for an extra IPv4 address, so a markup has nothing to apply to: set a fixed price"]);
      if (i.region && !p.regions.includes(i.region)) f.push(["region", `Plan ${p.name} is not sold in "${i.region}"`]);
      if (i.effectiveFrom && new Date(i.effectiveFrom).getTime() < Date.now() - 300_000) f.push(["effectiveFrom", "The effective time is in the past: choose now or a later time (prices never change retroactively)"]);
      if (f.length) c.fail("validation", "Check the highlighted fields", f);
      // A fixed version for every plan's servers started before this one keeps their billed price.
      for (const s of c.servers.filter((x) => x.planId === p.id && isLive(x))) billedOf(s, i.item, p);
      const now = new Date().toISOString();
      rules.push({ id: nextId++, planId: p.id, item: i.item, region: i.region || null, mode: i.mode, markupPercent: i.markupPercent, hourly: i.hourlyPrice, monthly: i.monthlyPrice, effectiveFrom: i.effectiveFrom ?? now, createdAt: now });
      return table(c, p);
    }
    case "pending_price_changes":
      return pending(c, args.planId ?? null);
    case "apply_price_changes": {
      const pend = pending(c, args.planId ?? null);
      if (!pend.changes.length) c.fail("conflict", "No running server has a pending price change: nothing was applied");
      for (const ch of pend.changes) billed.set(`${ch.serverId}:${ch.item}`, { hourly: ch.current.hourly.amount, monthly: ch.current.monthly.amount });
      return { servers: pend.servers, changes: pend.changes.length, from: nextHour() };
    }
    case "server_addons":
      return addonList(c, server());
    case "set_server_addon": {
      const s = server();
      const key = `${s.id}:${args.item}`;
      if (Boolean(addons.get(key)) === args.enabled) c.fail("conflict", `${LABELS[args.item]} is already ${args.enabled ? "on" : "off"} for ${s.label}: nothing changed`);
      if (args.enabled) {
        const pr = priceOf(c.plans.find((p) => p.id === s.planId)!, args.item, s.region);
        if (!pr.price) c.fail("conflict", pr.problem ?? "No price");
        addons.set(key, { since: nextHour() });
        billed.set(key, pr.price!);
      } else {
        addons.delete(key);
        billed.delete(key);
      }
      return addonList(c, s);
    }
    default:
      return undefined;
  }
}
