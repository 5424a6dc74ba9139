//! The customer-facing state of each entity as a cs-sync record, read from
//! the store inside the caller's transaction. One function per kind; each
//! returns what the portal's outbox must hold for that entity now (`None`
//! when it is gone).

use cs_billing::wallet;
use cs_core::money::micros_to_minor_rounded;
use cs_core::{OrganizationId, PlanId, Role, ServerId, ServerStatus};
use cs_invoice as inv;
use cs_store::rusqlite::Connection;
use cs_store::{orgs, plans, servers, settings};
use cs_sync::record::*;

use crate::documents::branding::{self, hex_sha256};
use crate::{App, AppResult};

/// One entity's state: kind, id, organization and record (`None`: gone).
pub(crate) type Item = (Kind, String, Option<String>, Option<Record>);

/// How many of a wallet's newest movements the portal is sent.
pub(crate) const WALLET_MOVEMENTS: i64 = 100;

/// The reseller as customers see it, and its logo.
pub(crate) fn branding(c: &Connection) -> AppResult<Vec<Item>> {
    let row = branding::in_force(c)?;
    let name = settings::get(c, crate::RESELLER_NAME_KEY)?
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| row.legal_name.clone());
    let currency = cs_billing::settings::BillingSettings::load(c)?.currency;
    let mut items = vec![];
    if let Some(sha) = &row.logo_sha256 {
        if let Some(png) = branding::logo_png(c, sha)? {
            items.push((
                Kind::Logo,
                sha.clone(),
                None,
                Some(Record::Logo(LogoV1 { png })),
            ));
        }
    }
    items.push((
        Kind::Branding,
        "branding".to_string(),
        None,
        Some(Record::Branding(BrandingV1 {
            name,
            accent: row.accent.clone(),
            logo: row.logo_sha256.clone(),
            email: row.email.clone(),
            website: row.website.clone(),
            currency: currency.code().to_string(),
        })),
    ));
    Ok(items)
}

/// The setting of how long customers' requests wait at the portal while the
/// desktop is offline.
pub(crate) const INTENT_HOLD_KEY: &str = "portal.intent_hold_minutes";
/// When the reseller set nothing (the portal's default too).
pub(crate) const DEFAULT_INTENT_HOLD_MINUTES: u32 = 60;

pub(crate) fn intent_hold_minutes(c: &Connection) -> AppResult<u32> {
    Ok(settings::get(c, INTENT_HOLD_KEY)?
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_INTENT_HOLD_MINUTES))
}

/// How the portal treats customers' requests.
pub(crate) fn policy(c: &Connection) -> AppResult<Item> {
    Ok((
        Kind::Policy,
        "policy".to_string(),
        None,
        Some(Record::Policy(PolicyV1 {
            intent_hold_minutes: intent_hold_minutes(c)?,
        })),
    ))
}

/// An organization and its contact.
pub(crate) fn organization(c: &Connection, id: OrganizationId) -> AppResult<Vec<Item>> {
    let org = id.to_string();
    let Some(r) = orgs::get(c, id)? else {
        return Ok(vec![(Kind::Organization, org.clone(), Some(org), None)]);
    };
    let o = &r.organization;
    let u = &r.contact;
    Ok(vec![
        (
            Kind::Organization,
            org.clone(),
            Some(org.clone()),
            Some(Record::Organization(OrganizationV1 {
                name: o.name.clone(),
                country: o.country.clone(),
                tax_id: o.tax_id.clone(),
                created_at: o.created_at,
            })),
        ),
        (
            Kind::Contact,
            u.id.to_string(),
            Some(org),
            Some(Record::Contact(ContactV1 {
                name: u.name.clone(),
                email: u.email.clone(),
                role: match u.role {
                    Role::OrgMember => ContactRole::Member,
                    _ => ContactRole::Admin,
                },
            })),
        ),
    ])
}

pub(crate) fn plan(c: &Connection, id: PlanId) -> AppResult<Item> {
    let key = id.to_string();
    let Some(p) = plans::get(c, id)? else {
        return Ok((Kind::Plan, key, None, None));
    };
    Ok((
        Kind::Plan,
        key,
        None,
        Some(Record::Plan(PlanV1 {
            name: p.name.clone(),
            active: p.active,
            regions: p
                .regions
                .iter()
                .map(|r| PlanRegionV1 {
                    region: r.clone(),
                    monthly_minor: p.monthly.minor,
                    hourly_micros: p.hourly.micros,
                })
                .collect(),
        })),
    ))
}

pub(crate) fn server(c: &Connection, id: ServerId) -> AppResult<Option<Item>> {
    let Some(s) = servers::get(c, id)? else {
        return Ok(None);
    };
    let plan_name = plans::get(c, s.plan_id)?
        .map(|p| p.name)
        .unwrap_or_default();
    Ok(Some((
        Kind::Server,
        s.id.to_string(),
        Some(s.organization_id.to_string()),
        Some(Record::Server(ServerV1 {
            label: s.label.clone(),
            plan: s.plan_id.to_string(),
            plan_name,
            region: s.region.clone(),
            image: s.image.clone(),
            status: status(s.status),
            ipv4: s.ipv4.clone(),
            ipv6: s.ipv6.clone(),
            created_at: s.created_at,
            deleted_at: s.deleted_at,
        })),
    )))
}

fn status(s: ServerStatus) -> ServerStatusV1 {
    match s {
        ServerStatus::Provisioning => ServerStatusV1::Provisioning,
        ServerStatus::Booting => ServerStatusV1::Booting,
        ServerStatus::Running => ServerStatusV1::Running,
        ServerStatus::Rebooting => ServerStatusV1::Rebooting,
        ServerStatus::ShuttingDown => ServerStatusV1::ShuttingDown,
        ServerStatus::Offline => ServerStatusV1::Offline,
        ServerStatus::Suspended => ServerStatusV1::Suspended,
        ServerStatus::Deleting => ServerStatusV1::Deleting,
        ServerStatus::Deleted => ServerStatusV1::Deleted,
        ServerStatus::Failed => ServerStatusV1::Failed,
    }
}

/// An issued document as printed (drafts are not customer-facing) and the
/// logo it prints; for a credit note, also the invoice it voids (which now
/// names it).
pub(crate) fn document(app: &App, c: &Connection, id: &str) -> AppResult<Vec<Item>> {
    let summary = cs_billing::documents::get_summary(c, id)?;
    let voids = summary.credits_document_id.clone();
    let mut items = issued(app, c, summary)?;
    if let Some(of) = voids {
        items.extend(issued(app, c, cs_billing::documents::get_summary(c, &of)?)?);
    }
    Ok(items)
}

fn issued(
    app: &App,
    c: &Connection,
    summary: cs_billing::documents::DocumentSummary,
) -> AppResult<Vec<Item>> {
    let id = summary.id.as_str();
    if summary.number.is_none() || summary.issued_at.is_none() {
        return Ok(vec![]);
    }
    let d = app.printable_in(c, id)?;
    let voided_by = cs_billing::documents::credited_by(c, id)?
        .and_then(|cn| cs_billing::documents::get_summary(c, &cn).ok())
        .and_then(|s| s.number);
    let mut items = vec![];
    let logo = d.seller.logo_png.as_ref().map(|png| {
        let sha = hex_sha256(png);
        items.push((
            Kind::Logo,
            sha.clone(),
            None,
            Some(Record::Logo(LogoV1 { png: png.clone() })),
        ));
        sha
    });
    items.push((
        Kind::Document,
        id.to_string(),
        Some(summary.organization_id.clone()),
        Some(Record::Document(Box::new(document_v1(&d, logo, voided_by)))),
    ));
    Ok(items)
}

fn document_v1(d: &inv::Document, logo: Option<String>, voided_by: Option<String>) -> DocumentV1 {
    let s = &d.seller;
    let b = &d.buyer;
    DocumentV1 {
        kind: match d.kind {
            inv::DocumentKind::Invoice => DocumentKindV1::Invoice,
            inv::DocumentKind::Receipt => DocumentKindV1::Receipt,
            inv::DocumentKind::CreditNote => DocumentKindV1::CreditNote,
        },
        number: d.number.clone(),
        issue_date: d.issue_date,
        due_date: d.due_date,
        period: d.period.map(|p| PeriodV1 {
            start: p.start,
            end: p.end,
        }),
        currency: d.currency.code().to_string(),
        seller: SellerV1 {
            name: s.name.clone(),
            address: address(&s.address),
            tax_id: s.tax_id.clone(),
            registration_id: s.registration_id.clone(),
            email: s.email.clone(),
            phone: s.phone.clone(),
            website: s.website.clone(),
            footer_note: s.footer_note.clone(),
            endpoint: s.electronic_address.as_ref().map(endpoint),
            logo,
            accent: format!(
                "#{:02x}{:02x}{:02x}",
                s.accent_rgb[0], s.accent_rgb[1], s.accent_rgb[2]
            ),
            bank_account: s.bank_account.as_ref().map(|a| BankAccountV1 {
                iban: a.iban.clone(),
                bic: a.bic.clone(),
                holder: a.holder.clone(),
            }),
        },
        buyer: BuyerV1 {
            organization: b.organization.clone(),
            contact: b.contact.clone(),
            address: address(&b.address),
            tax_id: b.tax_id.clone(),
            endpoint: b.electronic_address.as_ref().map(endpoint),
            reference: b.reference.clone(),
        },
        lines: d
            .lines
            .iter()
            .map(|l| LineV1 {
                description: l.description.clone(),
                period: l.period.map(|p| PeriodV1 {
                    start: p.start,
                    end: p.end,
                }),
                hours_milli: l.hours_milli,
                unit_rate_micro: l.unit_rate_micro,
                amount_minor: l.amount_minor,
                capped: l.capped,
                tax_category: category(l.tax_category),
                tax_rate_bp: l.tax_rate_bp,
            })
            .collect(),
        tax_breakdown: d
            .tax_breakdown
            .iter()
            .map(|t| TaxBreakdownV1 {
                category: category(t.category),
                rate_bp: t.rate_bp,
                taxable_minor: t.taxable_minor,
                tax_minor: t.tax_minor,
            })
            .collect(),
        totals: TotalsV1 {
            net_minor: d.totals.net_minor,
            tax_minor: d.totals.tax_minor,
            gross_minor: d.totals.gross_minor,
            paid_minor: d.totals.paid_minor,
            due_minor: d.totals.due_minor,
        },
        reverse_charge: d.reverse_charge,
        reverse_charge_wording: d.reverse_charge_wording.clone(),
        payment_status: match &d.payment_status {
            inv::PaymentStatus::Unpaid => PaymentStatusV1::Unpaid,
            inv::PaymentStatus::PartiallyPaid => PaymentStatusV1::PartiallyPaid,
            inv::PaymentStatus::Paid { on, method } => PaymentStatusV1::Paid {
                on: *on,
                method: method.clone(),
            },
        },
        notes: d.notes.clone(),
        payment_instructions: d.payment_instructions.clone(),
        corrects: d.corrects.as_ref().map(|c| CorrectedInvoiceV1 {
            number: c.number.clone(),
            issue_date: c.issue_date,
        }),
        voided_by,
    }
}

fn address(a: &inv::Address) -> AddressV1 {
    AddressV1 {
        lines: a.lines.clone(),
        postal_code: a.postal_code.clone(),
        city: a.city.clone(),
        region: a.region.clone(),
        country: a.country.clone(),
    }
}

fn endpoint(e: &inv::ElectronicAddress) -> EndpointV1 {
    EndpointV1 {
        scheme: e.scheme.clone(),
        id: e.value.clone(),
    }
}

fn category(c: inv::TaxCategory) -> TaxCategoryV1 {
    match c {
        inv::TaxCategory::Standard => TaxCategoryV1::Standard,
        inv::TaxCategory::ZeroRated => TaxCategoryV1::ZeroRated,
        inv::TaxCategory::Exempt => TaxCategoryV1::Exempt,
        inv::TaxCategory::ReverseCharge => TaxCategoryV1::ReverseCharge,
        inv::TaxCategory::Export => TaxCategoryV1::Export,
        inv::TaxCategory::OutsideScope => TaxCategoryV1::OutsideScope,
    }
}

/// Every wallet, and the newest movements of each. `as_of` is when the
/// balance was read.
pub(crate) fn wallets(c: &Connection, as_of: cs_core::Timestamp) -> AppResult<Vec<Item>> {
    let mut items = vec![];
    for w in wallet::list_wallets(c)? {
        let state = match w.state.as_str() {
            "grace" => WalletStateV1::Grace,
            "suspended" => WalletStateV1::Suspended,
            "terminated" => WalletStateV1::Terminated,
            _ if w.balance_minor < w.low_balance_threshold_minor => WalletStateV1::Low,
            _ => WalletStateV1::Good,
        };
        items.push((
            Kind::Wallet,
            w.organization_id.clone(),
            Some(w.organization_id.clone()),
            Some(Record::Wallet(WalletV1 {
                currency: w.currency.code().to_string(),
                balance_minor: w.balance_minor,
                low_balance_threshold_minor: w.low_balance_threshold_minor,
                state,
                state_since: w.state_since,
                terminates_at: None,
                as_of,
            })),
        ));
    }
    Ok(items)
}

/// The newest movements of one organization's wallet.
pub(crate) fn wallet_movements(c: &Connection, org: OrganizationId) -> AppResult<Vec<Item>> {
    let currency = cs_billing::settings::BillingSettings::load(c)?.currency;
    let entries = wallet::wallet_entries(c, org, currency, WALLET_MOVEMENTS, None)?;
    Ok(entries
        .into_iter()
        .map(|e| {
            (
                Kind::WalletTransaction,
                e.txn_id.to_string(),
                Some(org.to_string()),
                Some(Record::WalletTransaction(WalletTransactionV1 {
                    at: e.at,
                    kind: match e.kind.as_str() {
                        "payment" => WalletTransactionKindV1::Payment,
                        "refund" => WalletTransactionKindV1::Refund,
                        "usage" => WalletTransactionKindV1::Usage,
                        "invoice" => WalletTransactionKindV1::Invoice,
                        "credit_note" | "credit" | "correction" => WalletTransactionKindV1::Credit,
                        _ => WalletTransactionKindV1::Adjustment,
                    },
                    memo: e.memo,
                    currency: currency.code().to_string(),
                    amount_minor: micros_to_minor_rounded(e.amount_micros, currency),
                    document: e.document_id,
                })),
            )
        })
        .collect())
}
