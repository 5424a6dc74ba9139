//! What a pushed record does beyond the projection, in the transaction that
//! applies it ([`crate::storage::projection::Effects`]):
//!
//! - an invitation creates its single-use link (once per invitation id,
//!   however often the record is pushed again) and queues the invitation
//!   mail; its tombstone (the reseller withdrew it) ends the link;
//! - a contact's tombstone closes the contact's account: its sessions and
//!   links end at once.
//!
//! A contact whose role or organization changes needs nothing more than the
//! account following its name and organization (for mails): every request
//! reads them from the contact record ([`crate::storage::sessions::lookup`]).

use chrono::{DateTime, Utc};
use cs_sync::record::{Envelope, Kind, Record};

use crate::api::{organization_name, Brand};
use crate::db::Tx;
use crate::mail::{self, templates};
use crate::storage::projection::{self, Effects, Scope};
use crate::storage::tokens::{self, Issue, Purpose};
use crate::storage::{accounts, audit, tenants, Result};

/// The portal's effects.
pub struct RecordEffects {
    /// Links in mails start with it.
    pub public_url: String,
    /// For the Message-IDs of queued mail.
    pub mail_domain: String,
}

/// The address audit rows of pushed effects show.
const DESKTOP: &str = "desktop";

impl Effects for RecordEffects {
    fn applied(
        &self,
        tx: &mut dyn Tx,
        tenant_id: &str,
        envelope: &Envelope,
        record: Option<&Record>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        match (envelope.kind(), record) {
            (_, Some(Record::Invitation(_))) => self.invite(tx, tenant_id, envelope, record, now),
            (Ok(Kind::Invitation), None) => {
                tokens::invalidate_source(tx, tenant_id, Purpose::Invitation, &envelope.id, now)?;
                Ok(())
            }
            (Ok(Kind::Contact), None) => close_contact(tx, tenant_id, &envelope.id, now),
            (_, Some(Record::Contact(c))) => accounts::follow_contact(
                tx,
                tenant_id,
                &envelope.id,
                envelope.org.as_deref().unwrap_or_default(),
                &c.name,
            ),
            _ => Ok(()),
        }
    }
}

impl RecordEffects {
    fn invite(
        &self,
        tx: &mut dyn Tx,
        tenant_id: &str,
        envelope: &Envelope,
        record: Option<&Record>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let Some(Record::Invitation(inv)) = record else {
            return Ok(());
        };
        let Some(org) = envelope.org.as_deref() else {
            return Ok(());
        };
        let note = |tx: &mut dyn Tx, action: &str, detail: &str| {
            tracing::warn!(tenant = tenant_id, invitation = %envelope.id, "{detail}");
            audit::record(
                tx,
                audit::Entry {
                    tenant_id,
                    account_id: None,
                    action,
                    detail,
                    ip: DESKTOP,
                },
                now,
            )
        };
        let contact = projection::get(
            tx,
            Scope::Organization {
                tenant: tenant_id,
                org,
            },
            Kind::Contact,
            &inv.contact,
        )?
        .map(|e| projection::decode(&e))
        .transpose()?;
        let Some(Record::Contact(contact)) = contact else {
            return note(
                tx,
                "invitation_not_sent",
                &format!(
                    "invitation {} names contact {}, which the portal does not hold in that organization: nothing was mailed",
                    envelope.id, inv.contact
                ),
            );
        };
        // A record pushed again after the portal lost its tokens (a restored
        // backup) must not mail an invitation that has run out.
        if inv.invited_at + Purpose::Invitation.lifetime() <= now {
            return note(
                tx,
                "invitation_not_sent",
                &format!(
                    "invitation {} is older than 7 days: nothing was mailed",
                    envelope.id
                ),
            );
        }
        let Some(token) = tokens::issue(
            tx,
            Issue {
                purpose: Purpose::Invitation,
                tenant_id,
                account_id: None,
                contact: Some(&inv.contact),
                org: Some(org),
                email: &contact.email,
                source: Some(&envelope.id),
            },
            now,
        )?
        else {
            // Mailed when it was first pushed.
            return Ok(());
        };
        let tenant =
            tenants::by_id(tx, tenant_id)?.ok_or(crate::storage::StorageError::NotFound)?;
        let brand = Brand::load(tx, &tenant)?;
        let organization = organization_name(tx, tenant_id, org)?;
        let link = format!(
            "{}/{}/accept-invitation#{token}",
            self.public_url, tenant.slug
        );
        let rendered = templates::invitation(
            &brand,
            &contact.name,
            &organization,
            &inv.invited_by,
            &link,
            now + Purpose::Invitation.lifetime(),
        );
        mail::queue(
            tx,
            tenant_id,
            &brand,
            "invitation",
            &contact.email,
            rendered,
            Some(&token),
            &self.mail_domain,
            now,
        )?;
        let account = accounts::by_contact(tx, tenant_id, &inv.contact)?.map(|a| a.id);
        audit::record(
            tx,
            audit::Entry {
                tenant_id,
                account_id: account.as_deref(),
                action: "invitation_mailed",
                detail: &format!("invitation {} to contact {}", envelope.id, inv.contact),
                ip: DESKTOP,
            },
            now,
        )
    }
}

/// A removed contact: its pending invitations end and its account closes.
fn close_contact(
    tx: &mut dyn Tx,
    tenant_id: &str,
    contact: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    tokens::invalidate_contact(tx, tenant_id, contact, now)?;
    if let Some(id) = accounts::close_for_contact(tx, tenant_id, contact, now)? {
        audit::record(
            tx,
            audit::Entry {
                tenant_id,
                account_id: Some(&id),
                action: "account_closed",
                detail: &format!("contact {contact} was removed on the desktop"),
                ip: DESKTOP,
            },
            now,
        )?;
    }
    Ok(())
}
