//! Organizations (the reseller's customers) and the people in them.
//!
//! Reseller staff are `Owner` or `Staff`; people on the customer side belong to
//! one organization as `OrgAdmin` or `OrgMember`. Every organization is created
//! with a contact user, its first `OrgAdmin`.

use serde::{Deserialize, Serialize};

use crate::ids::{OrganizationId, UserId};
use crate::validate::{email, required_text, AddressParser, ValidationErrors, MAX_NAME_CHARS};
use crate::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The reseller who owns the installation.
    Owner,
    /// The reseller's employees.
    Staff,
    /// Manages an organization's members, servers and money in the portal.
    OrgAdmin,
    /// Sees and uses an organization's servers.
    OrgMember,
}

impl Role {
    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Staff => "staff",
            Role::OrgAdmin => "org_admin",
            Role::OrgMember => "org_member",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Some(match s {
            "owner" => Role::Owner,
            "staff" => Role::Staff,
            "org_admin" => Role::OrgAdmin,
            "org_member" => Role::OrgMember,
            _ => return None,
        })
    }

    /// Reseller-side roles act on every organization.
    pub fn is_reseller_staff(&self) -> bool {
        matches!(self, Role::Owner | Role::Staff)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub organization_id: Option<OrganizationId>,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organization {
    pub id: OrganizationId,
    pub name: String,
    /// ISO 3166-1 alpha-2, upper case.
    pub country: String,
    pub tax_id: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// What a user typed to create or edit an organization and its contact.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewOrganization {
    pub name: String,
    pub contact_name: String,
    pub contact_email: String,
    pub country: String,
    pub tax_id: Option<String>,
}

impl NewOrganization {
    /// Trims, normalizes and checks every field, reporting all problems at
    /// once; `address` is the mailer's parser (see [`AddressParser`]).
    pub fn validate(&self, address: AddressParser) -> Result<NewOrganization, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let name = required_text(
            &mut e,
            "name",
            "Organization name",
            &self.name,
            MAX_NAME_CHARS,
        );
        let contact_name = required_text(
            &mut e,
            "contact_name",
            "Contact name",
            &self.contact_name,
            MAX_NAME_CHARS,
        );
        let contact_email = email(
            &mut e,
            "contact_email",
            "Contact email",
            &self.contact_email,
            address,
        );
        let country = self.country.trim().to_ascii_uppercase();
        if country.is_empty() {
            e.add("country", "Country is required");
        } else if !is_country_code(&country) {
            e.add(
                "country",
                format!(
                    "{:?} is not an ISO 3166 country code: pick the country from the list",
                    self.country.trim()
                ),
            );
        }
        let tax_id = self
            .tax_id
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(|t| t.to_ascii_uppercase().replace(' ', ""));
        if let Some(t) = &tax_id {
            if t.len() < 4
                || t.len() > 20
                || !t
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
            {
                e.add("tax_id", "Tax id must be 4–20 letters, digits, dots or dashes (e.g. DE123456789), or left empty");
            }
        }
        e.into_result(NewOrganization {
            name,
            contact_name,
            contact_email,
            country,
            tax_id,
        })
    }
}

/// ISO 3166-1 alpha-2 codes, officially assigned.
const COUNTRIES: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

pub fn is_country_code(code: &str) -> bool {
    code.len() == 2 && COUNTRIES.split(' ').any(|c| c == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> NewOrganization {
        NewOrganization {
            name: "  Ødegård Hosting AS ".into(),
            contact_name: "Zoë Ødegård".into(),
            contact_email: "Zoe@Example.NO".into(),
            country: "no".into(),
            tax_id: Some(" no 123456789 ".into()),
        }
    }

    fn any_address(_: &str) -> Result<(), String> {
        Ok(())
    }

    #[test]
    fn normalizes_valid_input() {
        let v = valid().validate(any_address).unwrap();
        assert_eq!(v.name, "Ødegård Hosting AS");
        assert_eq!(v.contact_email, "zoe@example.no");
        assert_eq!(v.country, "NO");
        assert_eq!(v.tax_id.as_deref(), Some("NO123456789"));
    }

    #[test]
    fn reports_every_bad_field() {
        let bad = NewOrganization {
            name: " ".into(),
            contact_name: "".into(),
            contact_email: "nope".into(),
            country: "XX".into(),
            tax_id: Some("!".into()),
        };
        let errs = bad.validate(any_address).unwrap_err();
        let fields: Vec<&str> = errs.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["name", "contact_name", "contact_email", "country", "tax_id"]
        );
    }

    #[test]
    fn roles_round_trip() {
        for r in [Role::Owner, Role::Staff, Role::OrgAdmin, Role::OrgMember] {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert!(Role::Staff.is_reseller_staff());
        assert!(!Role::OrgMember.is_reseller_staff());
    }
}
