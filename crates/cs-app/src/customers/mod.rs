//! Organizations (customers) and their contact users.

use cs_core::{
    NewOrganization, Organization, OrganizationId, Role, User, UserId, ValidationErrors,
};
use cs_store::orgs::EInvoiceData;
use cs_store::sync_outbox::SyncKind;
use cs_store::{activity, orgs, servers};
use serde_json::json;

use crate::dto::{
    OrganizationDetail, OrganizationDto, OrganizationInput, OrganizationListInput,
    OrganizationPage, OrganizationSortKey,
};
use crate::Subject;
use crate::{map, new_uuid, App, AppError, AppResult};

pub(crate) mod dto;

fn domain_input(input: &OrganizationInput) -> NewOrganization {
    NewOrganization {
        name: input.name.clone(),
        contact_name: input.contact_name.clone(),
        contact_email: input.contact_email.clone(),
        country: input.country.clone(),
        tax_id: input.tax_id.clone(),
    }
}

/// Checks the address and Peppol identifier an e-invoice needs (each optional).
fn e_invoice_fields(e: &mut ValidationErrors, input: &OrganizationInput) -> EInvoiceData {
    use crate::documents::branding::{
        check_city, check_peppol_id, check_postal_code, has_hidden_chars,
    };
    let lines: Vec<&str> = input
        .address_lines
        .as_deref()
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if lines.len() > 3 {
        e.add(
            "addressLines",
            "Use at most 3 street lines: the post code and city have their own fields",
        );
    } else if lines
        .iter()
        .any(|l| l.chars().count() > 80 || has_hidden_chars(l))
    {
        e.add(
            "addressLines",
            "An address line has at most 80 characters and no control characters: split it",
        );
    }
    let postal_code = check_postal_code(
        e,
        "postalCode",
        input.postal_code.as_deref().unwrap_or_default(),
    );
    let city = check_city(e, "city", input.city.as_deref().unwrap_or_default());
    let (peppol_scheme, peppol_id) = check_peppol_id(
        e,
        "peppolId",
        input.peppol_id.as_deref().unwrap_or_default(),
    );
    EInvoiceData {
        address_lines: (!lines.is_empty()).then(|| lines.join("\n")),
        postal_code,
        city,
        peppol_scheme,
        peppol_id,
    }
}

/// Validates the whole form, reporting every problem at once.
fn validate(input: &OrganizationInput) -> AppResult<(NewOrganization, EInvoiceData)> {
    let core = domain_input(input)
        .validate(cs_mail::check_address)
        .map_err(camel_fields);
    let mut e = ValidationErrors::new();
    let data = e_invoice_fields(&mut e, input);
    match core {
        Ok(valid) if e.is_empty() => Ok((valid, data)),
        Ok(_) => Err(e.into()),
        Err(mut c) => {
            c.0.extend(e.0);
            Err(c.into())
        }
    }
}

/// Core validation names fields in snake_case; the UI's fields are camelCase.
pub(crate) fn camel_fields(mut e: ValidationErrors) -> ValidationErrors {
    for err in &mut e.0 {
        let mut out = String::new();
        let mut upper = false;
        for c in err.field.chars() {
            if c == '_' {
                upper = true;
            } else if upper {
                out.extend(c.to_uppercase());
                upper = false;
            } else {
                out.push(c);
            }
        }
        err.field = out;
    }
    e
}

pub(crate) fn parse_org_id(id: &str) -> AppResult<OrganizationId> {
    id.trim().parse().map_err(|_| org_not_found(id))
}

fn org_not_found(id: impl std::fmt::Display) -> AppError {
    AppError::NotFound(format!(
        "There is no customer with id {id}: it may have been removed; refresh the list"
    ))
}

/// The customer-facing view of an organization that the portal receives.
fn sync_payload(o: &Organization, contact: &User) -> serde_json::Value {
    json!({
        "id": o.id, "name": o.name, "country": o.country, "tax_id": o.tax_id,
        "contact": { "id": contact.id, "name": contact.name, "email": contact.email, "role": contact.role },
        "updated_at": o.updated_at,
    })
}

impl App {
    pub fn list_organizations(&self) -> AppResult<Vec<OrganizationDto>> {
        self.store.read(|c| {
            let data = orgs::e_invoice_data_all(c)?;
            Ok(orgs::list(c)?
                .iter()
                .map(|r| {
                    let d = data.get(&r.organization.id).cloned().unwrap_or_default();
                    map::organization(&r.organization, &r.contact, r.live_servers, &d)
                })
                .collect())
        })
    }

    /// One page of the customers list (searched and ordered in SQLite).
    pub fn list_organizations_page(
        &self,
        input: OrganizationListInput,
    ) -> AppResult<OrganizationPage> {
        let from = crate::list::from(input.after.as_deref(), input.before.as_deref())?;
        let limit = crate::list::limit(input.limit)?;
        let q = orgs::OrganizationQuery {
            sort: match input.sort {
                OrganizationSortKey::Name => orgs::OrganizationSort::Name,
                OrganizationSortKey::Created => orgs::OrganizationSort::Created,
                OrganizationSortKey::Country => orgs::OrganizationSort::Country,
            },
            desc: input.desc,
            search: crate::list::search(input.search),
        };
        self.store.read(|c| {
            let page = orgs::page(c, &q, &from, limit)?;
            let mut rows = Vec::with_capacity(page.rows.len());
            for r in &page.rows {
                let d = orgs::e_invoice_data(c, r.organization.id)?;
                rows.push(map::organization(
                    &r.organization,
                    &r.contact,
                    r.live_servers,
                    &d,
                ));
            }
            Ok(OrganizationPage {
                rows,
                next: page.next.map(|n| n.encode()),
                prev: page.prev.map(|n| n.encode()),
                total: map::count(page.total),
            })
        })
    }

    pub fn get_organization(&self, id: &str) -> AppResult<OrganizationDetail> {
        let id = parse_org_id(id)?;
        let (record, data, gaps) = self.store.read(|c| {
            let record = orgs::get(c, id)?.ok_or_else(|| org_not_found(id))?;
            let data = orgs::e_invoice_data(c, id)?;
            let gaps = crate::documents::customer_gaps(c, &record.organization, &data)?;
            Ok::<_, AppError>((record, data, gaps))
        })?;
        // This customer's servers only (every server of the store made each
        // customer page cost as much as the whole servers list).
        let servers = self.store.read(|c| {
            let list = servers::list_for_org(c, id)?;
            self.server_dtos(c, &list)
        })?;
        let activity = self
            .store
            .read(|c| Ok::<_, AppError>(activity::recent(c, 50, Some(&id.to_string()))?))?;
        Ok(OrganizationDetail {
            organization: map::organization(
                &record.organization,
                &record.contact,
                record.live_servers,
                &data,
            ),
            servers,
            activity: activity.into_iter().map(map::activity).collect(),
            e_invoice_gaps: gaps,
        })
    }

    pub fn create_organization(&self, input: OrganizationInput) -> AppResult<OrganizationDto> {
        let (valid, data) = validate(&input)?;
        let now = self.now();
        let org = Organization {
            id: OrganizationId(new_uuid()),
            name: valid.name.clone(),
            country: valid.country.clone(),
            tax_id: valid.tax_id.clone(),
            created_at: now,
            updated_at: now,
        };
        let contact = User {
            id: UserId(new_uuid()),
            organization_id: Some(org.id),
            name: valid.contact_name,
            email: valid.contact_email,
            role: Role::OrgAdmin,
            created_at: now,
        };
        self.write(|tx| {
            check_unique(tx, &org.name, &contact.email, None, None)?;
            orgs::insert(tx, &org, &contact)?;
            orgs::set_e_invoice_data(tx, org.id, &data)?;
            tx.publish(
                now,
                Some(org.id),
                SyncKind::Organization,
                &org.id.to_string(),
                &sync_payload(&org, &contact),
            )?;
            self.queue_welcome(tx, now, &contact.name, &contact.email)?;
            tx.record(
                now,
                "organization.created",
                Subject::organization(org.id),
                format!(
                    "Created customer {} with contact {} <{}>",
                    org.name, contact.name, contact.email
                ),
            )
        })?;
        tracing::info!(organization = %org.id, "organization created");
        Ok(map::organization(&org, &contact, 0, &data))
    }

    pub fn update_organization(
        &self,
        id: &str,
        input: OrganizationInput,
    ) -> AppResult<OrganizationDto> {
        let id = parse_org_id(id)?;
        let (valid, data) = validate(&input)?;
        let now = self.now();
        self.write(|tx| {
            let current = orgs::get(tx, id)?.ok_or_else(|| org_not_found(id))?;
            check_unique(
                tx,
                &valid.name,
                &valid.contact_email,
                Some(id),
                Some(current.contact.id),
            )?;
            let org = Organization {
                name: valid.name.clone(),
                country: valid.country.clone(),
                tax_id: valid.tax_id.clone(),
                updated_at: now,
                ..current.organization.clone()
            };
            let contact = User {
                name: valid.contact_name.clone(),
                email: valid.contact_email.clone(),
                ..current.contact.clone()
            };
            orgs::update(tx, &org, &contact)?;
            orgs::set_e_invoice_data(tx, id, &data)?;
            tx.publish(
                now,
                Some(org.id),
                SyncKind::Organization,
                &org.id.to_string(),
                &sync_payload(&org, &contact),
            )?;
            let live = servers::list_for_org(tx, id)?
                .iter()
                .filter(|s| s.deleted_at.is_none())
                .count() as i64;
            tx.record(
                now,
                "organization.updated",
                Subject::organization(id),
                format!("Updated customer {}", org.name),
            )?;
            Ok(map::organization(&org, &contact, live, &data))
        })
    }
}

fn check_unique(
    tx: &cs_store::rusqlite::Connection,
    name: &str,
    email: &str,
    org: Option<OrganizationId>,
    user: Option<UserId>,
) -> AppResult<()> {
    let mut e = ValidationErrors::new();
    if orgs::name_taken(tx, name, org)? {
        e.add("name", format!("A customer named {name:?} already exists: choose another name or edit that customer"));
    }
    if orgs::email_taken(tx, email, user)? {
        e.add(
            "contactEmail",
            format!("{email} is already the contact of another customer"),
        );
    }
    Ok(e.into_result(())?)
}
