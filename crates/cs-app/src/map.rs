//! Domain values → DTOs.

use cs_core::{Money, Organization, Plan, Rate, Server, User};
use cs_store::activity::Activity;
use cs_store::fmt_ts;

use crate::dto::*;

pub fn count(n: i64) -> u32 {
    u32::try_from(n.max(0)).unwrap_or(u32::MAX)
}

pub fn money(m: Money) -> MoneyDto {
    MoneyDto {
        minor: m.minor.to_string(),
        currency: m.currency.code().to_string(),
        amount: m.to_decimal_string(),
    }
}

pub fn rate(r: Rate) -> RateDto {
    RateDto {
        micros: r.micros.to_string(),
        currency: r.currency.code().to_string(),
        amount: r.to_decimal_string(),
    }
}

/// Parts per million as a percent: 190_000 → "19", 77_000 → "7.7".
pub fn ppm_percent(ppm: i64) -> String {
    let whole = ppm / 10_000;
    let frac = (ppm % 10_000).abs();
    if frac == 0 {
        whole.to_string()
    } else {
        format!("{whole}.{}", format!("{frac:04}").trim_end_matches('0'))
    }
}

pub fn activity(a: Activity) -> ActivityDto {
    ActivityDto {
        seq: a.seq.to_string(),
        at: fmt_ts(&a.at),
        actor: a.actor,
        action: a.action,
        subject_kind: a.subject_kind,
        subject_id: a.subject_id,
        organization_id: a.organization_id,
        summary: a.summary,
    }
}

pub fn organization(
    o: &Organization,
    contact: &User,
    live_servers: i64,
    e: &cs_store::orgs::EInvoiceData,
) -> OrganizationDto {
    OrganizationDto {
        id: o.id.to_string(),
        name: o.name.clone(),
        country: o.country.clone(),
        tax_id: o.tax_id.clone(),
        contact_name: contact.name.clone(),
        contact_email: contact.email.clone(),
        live_servers: count(live_servers),
        created_at: fmt_ts(&o.created_at),
        updated_at: fmt_ts(&o.updated_at),
        address_lines: e.address_lines.clone().unwrap_or_default(),
        postal_code: e.postal_code.clone().unwrap_or_default(),
        city: e.city.clone().unwrap_or_default(),
        peppol_id: match (&e.peppol_scheme, &e.peppol_id) {
            (Some(s), Some(v)) => format!("{s}:{v}"),
            _ => String::new(),
        },
    }
}

pub fn server(s: &Server, org_name: &str, plan: &Plan) -> ServerDto {
    ServerDto {
        id: s.id.to_string(),
        label: s.label.clone(),
        organization_id: s.organization_id.to_string(),
        organization_name: org_name.to_string(),
        plan_id: s.plan_id.to_string(),
        plan_name: plan.name.clone(),
        provider: s.provider.as_str().to_string(),
        provider_id: s.provider_id.clone(),
        account_label: None,
        provider_type: s.provider_type.clone(),
        region: s.region.clone(),
        image: s.image.clone(),
        status: s.status.as_str().to_string(),
        ipv4: s.ipv4.clone(),
        ipv6: s.ipv6.clone(),
        monthly: money(plan.monthly),
        hourly: rate(plan.hourly),
        created_at: fmt_ts(&s.created_at),
        updated_at: fmt_ts(&s.updated_at),
        deleted_at: s.deleted_at.as_ref().map(fmt_ts),
    }
}
