//! Organizations (customers) and their contact users.

use cs_core::{
    NewOrganization, Organization, OrganizationId, Role, User, UserId, ValidationErrors,
};
use cs_store::sync_outbox::SyncKind;
use cs_store::{activity, orgs, servers};
use serde_json::json;

use crate::dto::{OrganizationDetail, OrganizationDto, OrganizationInput};
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
            Ok(orgs::list(c)?
                .iter()
                .map(|r| map::organization(&r.organization, &r.contact, r.live_servers))
                .collect())
        })
    }

    pub fn get_organization(&self, id: &str) -> AppResult<OrganizationDetail> {
        let id = parse_org_id(id)?;
        let record = self
            .store
            .read(|c| Ok::<_, AppError>(orgs::get(c, id)?))?
            .ok_or_else(|| org_not_found(id))?;
        let servers = self
            .list_servers()?
            .into_iter()
            .filter(|s| s.organization_id == id.to_string())
            .collect();
        let activity = self
            .store
            .read(|c| Ok::<_, AppError>(activity::recent(c, 50, Some(&id.to_string()))?))?;
        Ok(OrganizationDetail {
            organization: map::organization(
                &record.organization,
                &record.contact,
                record.live_servers,
            ),
            servers,
            activity: activity.into_iter().map(map::activity).collect(),
        })
    }

    pub fn create_organization(&self, input: OrganizationInput) -> AppResult<OrganizationDto> {
        let valid = domain_input(&input)
            .validate(cs_mail::check_address)
            .map_err(camel_fields)?;
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
        Ok(map::organization(&org, &contact, 0))
    }

    pub fn update_organization(
        &self,
        id: &str,
        input: OrganizationInput,
    ) -> AppResult<OrganizationDto> {
        let id = parse_org_id(id)?;
        let valid = domain_input(&input)
            .validate(cs_mail::check_address)
            .map_err(camel_fields)?;
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
            Ok(map::organization(&org, &contact, live))
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
