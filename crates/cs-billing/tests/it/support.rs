//! A fresh database per test and the few helpers every scenario needs.

use chrono::{TimeZone, Utc};
use cs_billing::{run_due, BillingSettings, RunReport};
use cs_core::{
    Currency, Money, Organization, OrganizationId, Plan, PlanId, ProviderKind, Rate, Role, Server,
    ServerId, ServerStatus, Timestamp, User, UserId,
};
use cs_store::Store;
use uuid::Uuid;

pub fn ts(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> Timestamp {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

pub struct Env {
    pub dir: tempfile::TempDir,
    pub store: Store,
}

impl Env {
    pub fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("cs.db")).unwrap();
        Env { dir, store }
    }

    pub fn path(&self) -> std::path::PathBuf {
        self.dir.path().join("cs.db")
    }

    pub fn settings(&self, f: impl FnOnce(&mut BillingSettings)) {
        self.store
            .write(|tx| {
                let mut s = BillingSettings::load(tx)?;
                f(&mut s);
                s.save(tx)
            })
            .unwrap();
    }

    pub fn org(&self, name: &str, country: &str, tax_id: Option<&str>) -> OrganizationId {
        let id = OrganizationId(Uuid::new_v4());
        let at = ts(2026, 1, 1, 0, 0);
        let org = Organization {
            id,
            name: name.into(),
            country: country.into(),
            tax_id: tax_id.map(str::to_string),
            created_at: at,
            updated_at: at,
        };
        let contact = User {
            id: UserId(Uuid::new_v4()),
            organization_id: Some(id),
            name: format!("Contact of {name}"),
            email: format!("billing-{}@example.com", &id.to_string()[..8]),
            role: Role::OrgAdmin,
            created_at: at,
        };
        self.store
            .write(|tx| {
                cs_store::orgs::insert(tx, &org, &contact).map_err(cs_store::StoreError::from)
            })
            .unwrap();
        id
    }

    pub fn plan(&self, name: &str, provider_type: &str, hourly: &str, monthly: &str) -> PlanId {
        let id = PlanId(Uuid::new_v4());
        let plan = Plan {
            id,
            name: name.into(),
            provider: ProviderKind::Linode,
            provider_type: provider_type.into(),
            regions: vec!["eu-central".into()],
            monthly: Money::parse(monthly, Currency::USD).unwrap(),
            hourly: Rate::parse(hourly, Currency::USD).unwrap(),
            active: true,
            created_at: ts(2026, 1, 1, 0, 0),
            updated_at: ts(2026, 1, 1, 0, 0),
        };
        self.store
            .write(|tx| cs_store::plans::insert(tx, &plan).map_err(cs_store::StoreError::from))
            .unwrap();
        id
    }

    /// Inserts a running server and opens its meter in the same transaction,
    /// as the app does.
    pub fn server(
        &self,
        org: OrganizationId,
        plan: PlanId,
        label: &str,
        at: Timestamp,
    ) -> ServerId {
        self.server_with(org, plan, label, at, ServerStatus::Running, true)
    }

    pub fn server_with(
        &self,
        org: OrganizationId,
        plan: PlanId,
        label: &str,
        at: Timestamp,
        status: ServerStatus,
        open: bool,
    ) -> ServerId {
        let id = ServerId(Uuid::new_v4());
        let s = Server {
            id,
            organization_id: org,
            plan_id: plan,
            label: label.into(),
            provider: ProviderKind::Linode,
            provider_id: Some(format!("L{}", &id.to_string()[..8])),
            provider_type: "g6".into(),
            region: "eu-central".into(),
            image: "linode/debian12".into(),
            status,
            ipv4: None,
            ipv6: None,
            created_at: at,
            updated_at: at,
            deleted_at: None,
        };
        self.store
            .write(|tx| {
                cs_store::servers::insert(tx, &s)?;
                if open {
                    cs_billing::meters::open_server(tx, id, at)?;
                }
                Ok::<_, cs_billing::BillingError>(())
            })
            .unwrap();
        id
    }

    pub fn delete(&self, server: ServerId, at: Timestamp) {
        self.store
            .write(|tx| {
                cs_store::servers::mark_deleted(tx, server, at)?;
                cs_billing::meters::close_server(tx, server, at)
            })
            .unwrap();
    }

    pub fn run(&self, now: Timestamp) -> RunReport {
        run_due(&self.store, now, &mut |_| {}).unwrap()
    }

    pub fn verify(&self) -> cs_billing::verify::InvariantReport {
        self.store.read(cs_billing::verify::verify).unwrap()
    }

    pub fn balance_micros(&self, org: OrganizationId) -> i64 {
        self.store
            .read(|c| {
                cs_billing::ledger::balance_micros(
                    c,
                    cs_billing::ledger::AccountRef::wallet(org),
                    Currency::USD,
                )
            })
            .unwrap()
    }

    pub fn pay(
        &self,
        org: OrganizationId,
        amount: &str,
        reference: &str,
        now: Timestamp,
    ) -> cs_billing::wallet::PaymentRecorded {
        self.store
            .write(|tx| {
                cs_billing::wallet::record_payment(
                    tx,
                    &cs_billing::wallet::NewPayment {
                        organization_id: org,
                        amount: Money::parse(amount, Currency::USD).unwrap(),
                        method: cs_billing::wallet::PaymentMethod::BankTransfer,
                        reference: reference.into(),
                        note: None,
                    },
                    now,
                    "staff:alice",
                )
            })
            .unwrap()
    }

    pub fn server_status(&self, id: ServerId) -> String {
        self.store
            .read(|c| cs_store::servers::get(c, id))
            .unwrap()
            .expect("the server exists")
            .status
            .as_str()
            .to_string()
    }

    pub fn invoices(&self, org: OrganizationId) -> Vec<cs_billing::documents::Document> {
        self.store
            .read(|c| {
                let mut list = cs_billing::documents::list_documents(
                    c,
                    &cs_billing::documents::DocumentFilter {
                        organization_id: Some(org),
                        kind: Some(cs_core::DocumentKind::Invoice),
                        month: None,
                    },
                    100,
                )?;
                list.reverse();
                list.into_iter()
                    .map(|s| cs_billing::documents::get_document(c, &s.id))
                    .collect::<Result<Vec<_>, _>>()
            })
            .unwrap()
    }
}
