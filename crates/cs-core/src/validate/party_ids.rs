//! Identifiers a seller or a customer types that e-invoices depend on: VAT identifiers
//! (with the national check digits of the countries where they are cheap to check) and
//! Peppol participant identifiers (an EAS scheme code plus an identifier in that scheme).
//!
//! Each check normalizes what it accepts (upper case, no spaces, dots or dashes) and
//! explains what it refuses in a sentence that can stand next to the input. Pure: no
//! registry is asked whether a number is *issued*, only whether it is well formed.

/// A VAT identifier that is well formed: `prefix` is the ISO 3166-1 alpha-2 code it starts
/// with (`EL` for Greece, as VIES writes it), `number` the national part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VatId {
    pub prefix: String,
    pub number: String,
}

impl VatId {
    /// The whole identifier as an e-invoice carries it, e.g. `NO995525828MVA`.
    pub fn as_string(&self) -> String {
        format!("{}{}", self.prefix, self.number)
    }

    /// The country it belongs to as ISO 3166-1 alpha-2 (`GR` for an `EL` prefix).
    pub fn country(&self) -> &str {
        if self.prefix == "EL" {
            "GR"
        } else {
            &self.prefix
        }
    }
}

/// Countries whose national VAT check digits [`check_vat_id`] verifies; elsewhere only the
/// form (country prefix, 2–13 letters or digits) is checked.
pub const VAT_CHECK_DIGIT_COUNTRIES: [&str; 13] = [
    "AT", "BE", "DE", "DK", "ES", "FI", "FR", "GR", "IT", "NL", "NO", "PL", "SE",
];

/// Checks a VAT identifier and returns it normalized. `country`, when given, is the
/// party's country: a VAT identifier of another country is refused (a German company's
/// VAT id starts with DE).
pub fn check_vat_id(input: &str, country: Option<&str>) -> Result<VatId, String> {
    let s: String = input
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-' | '\u{a0}'))
        .collect::<String>()
        .to_uppercase();
    let shown = input.trim();
    if s.len() < 4 || !s.is_ascii() {
        return Err(format!(
            "{shown:?} is not a VAT identifier: write the country prefix and the number, e.g. DE136695976"
        ));
    }
    let (prefix, number) = s.split_at(2);
    let known_prefix = prefix == "EL" || prefix == "XI" || crate::org::is_country_code(prefix);
    if !known_prefix || !prefix.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(format!(
            "{shown:?} does not start with a country code: a VAT identifier starts with its country's two letters, e.g. DE136695976"
        ));
    }
    let vat = VatId {
        prefix: prefix.to_string(),
        number: number.to_string(),
    };
    if let Some(c) = country {
        let c = c.trim().to_ascii_uppercase();
        let matches = vat.country() == c || (c == "GB" && prefix == "XI");
        if !c.is_empty() && !matches {
            return Err(format!(
                "{shown:?} is a VAT identifier of {} but the country is {c}: check the country or the number",
                vat.country()
            ));
        }
    }
    if !number.bytes().all(|b| b.is_ascii_alphanumeric()) || !(2..=13).contains(&number.len()) {
        return Err(format!(
            "{shown:?} is not a VAT identifier: after the country prefix come 2 to 13 letters or digits"
        ));
    }
    let national = match vat.country() {
        "AT" => at(number),
        "BE" => be(number),
        "DE" => de(number),
        "DK" => dk(number),
        "ES" => es(number),
        "FI" => fi(number),
        "FR" => fr(number),
        "GR" => gr(number),
        "IT" => it(number),
        "NL" => nl(number),
        "NO" => no(number),
        "PL" => pl(number),
        "SE" => se(number),
        _ => Ok(()),
    };
    national.map_err(|why| {
        format!("{shown:?} is not a valid {} VAT number: {why}; copy it from the company's invoices or the national register", country_adjective(vat.country()))
    })?;
    Ok(vat)
}

fn country_adjective(c: &str) -> &str {
    match c {
        "AT" => "Austrian",
        "BE" => "Belgian",
        "DE" => "German",
        "DK" => "Danish",
        "ES" => "Spanish",
        "FI" => "Finnish",
        "FR" => "French",
        "GR" => "Greek",
        "IT" => "Italian",
        "NL" => "Dutch",
        "NO" => "Norwegian",
        "PL" => "Polish",
        "SE" => "Swedish",
        other => other,
    }
}

fn digits(s: &str) -> Option<Vec<u32>> {
    s.chars().map(|c| c.to_digit(10)).collect()
}

fn digits_of_len(s: &str, n: usize, what: &str) -> Result<Vec<u32>, String> {
    match digits(s) {
        Some(d) if d.len() == n => Ok(d),
        _ => Err(what.to_string()),
    }
}

const CHECK: &str = "the check digit does not match";

/// Luhn (mod 10) over all digits, the last one being the check digit.
pub(crate) fn luhn_ok(d: &[u32]) -> bool {
    let sum: u32 = d
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &x)| {
            if i % 2 == 1 {
                let y = x * 2;
                if y > 9 {
                    y - 9
                } else {
                    y
                }
            } else {
                x
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Norwegian organization number: 9 digits, weights 3 2 7 6 5 4 3 2, mod 11.
fn no_orgnr_ok(d: &[u32]) -> bool {
    if d.len() != 9 {
        return false;
    }
    let w = [3, 2, 7, 6, 5, 4, 3, 2];
    let sum: u32 = d.iter().zip(w).map(|(x, w)| x * w).sum();
    let check = (11 - sum % 11) % 11;
    check != 10 && check == d[8]
}

fn at(n: &str) -> Result<(), String> {
    let rest = n
        .strip_prefix('U')
        .ok_or("it must be ATU followed by 8 digits")?;
    let d = digits_of_len(rest, 8, "it must be ATU followed by 8 digits")?;
    let mut s = 0;
    for (i, &x) in d[..7].iter().enumerate() {
        s += if i % 2 == 1 {
            (x * 2) / 10 + (x * 2) % 10
        } else {
            x
        };
    }
    let check = (10 - (s + 4) % 10) % 10;
    (check == d[7]).then_some(()).ok_or_else(|| CHECK.into())
}

fn be(n: &str) -> Result<(), String> {
    let n = if n.len() == 9 {
        format!("0{n}")
    } else {
        n.to_string()
    };
    let d = digits_of_len(&n, 10, "it must be 10 digits starting with 0 or 1")?;
    if d[0] > 1 {
        return Err("it must be 10 digits starting with 0 or 1".into());
    }
    let base: u64 = n[..8].parse().unwrap_or(0);
    let check: u64 = n[8..].parse().unwrap_or(100);
    (97 - base % 97 == check)
        .then_some(())
        .ok_or_else(|| CHECK.into())
}

fn de(n: &str) -> Result<(), String> {
    let d = digits_of_len(n, 9, "it must be DE followed by 9 digits")?;
    if d[0] == 0 {
        return Err("it must not start with 0".into());
    }
    // ISO 7064 MOD 11,10.
    let mut product = 10;
    for &x in &d[..8] {
        let mut sum = (x + product) % 10;
        if sum == 0 {
            sum = 10;
        }
        product = (2 * sum) % 11;
    }
    let check = (11 - product) % 10;
    (check == d[8]).then_some(()).ok_or_else(|| CHECK.into())
}

fn dk(n: &str) -> Result<(), String> {
    let d = digits_of_len(n, 8, "it must be DK followed by 8 digits")?;
    let w = [2, 7, 6, 5, 4, 3, 2, 1];
    let sum: u32 = d.iter().zip(w).map(|(x, w)| x * w).sum();
    (d[0] != 0 && sum.is_multiple_of(11))
        .then_some(())
        .ok_or_else(|| CHECK.into())
}

fn es(n: &str) -> Result<(), String> {
    const FORM: &str = "it must be 9 characters: a DNI, NIE or CIF";
    if n.len() != 9 {
        return Err(FORM.into());
    }
    let first = n.chars().next().unwrap_or(' ');
    let last = n.chars().last().unwrap_or(' ');
    let dni_letter = |num: u32| "TRWAGMYFPDXBNJZSQVHLCKE".chars().nth((num % 23) as usize);
    if first.is_ascii_digit() || matches!(first, 'X' | 'Y' | 'Z' | 'K' | 'L' | 'M') {
        // DNI (8 digits + letter), NIE (X/Y/Z + 7 digits + letter), K/L/M + 7 digits + letter.
        let body = match first {
            'X' => format!("0{}", &n[1..8]),
            'Y' => format!("1{}", &n[1..8]),
            'Z' => format!("2{}", &n[1..8]),
            'K' | 'L' | 'M' => n[1..8].to_string(),
            _ => n[..8].to_string(),
        };
        let num: u32 = body.parse().map_err(|_| FORM.to_string())?;
        return (dni_letter(num) == Some(last))
            .then_some(())
            .ok_or_else(|| CHECK.into());
    }
    if !"ABCDEFGHJNPQRSUVW".contains(first) {
        return Err(FORM.into());
    }
    let d = digits(&n[1..8]).ok_or_else(|| FORM.to_string())?;
    let mut sum = 0;
    for (i, &x) in d.iter().enumerate() {
        sum += if i % 2 == 0 {
            (x * 2) / 10 + (x * 2) % 10
        } else {
            x
        };
    }
    let c = (10 - sum % 10) % 10;
    let letter = "JABCDEFGHI".chars().nth(c as usize);
    let ok = last.to_digit(10) == Some(c) || Some(last) == letter;
    ok.then_some(()).ok_or_else(|| CHECK.into())
}

fn fi(n: &str) -> Result<(), String> {
    let d = digits_of_len(n, 8, "it must be FI followed by 8 digits")?;
    let w = [7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = d.iter().zip(w).map(|(x, w)| x * w).sum();
    let check = (11 - sum % 11) % 11;
    (check != 10 && check == d[7])
        .then_some(())
        .ok_or_else(|| CHECK.into())
}

fn fr(n: &str) -> Result<(), String> {
    const FORM: &str = "it must be FR, a two-character key and the 9-digit SIREN";
    if n.len() != 11 {
        return Err(FORM.into());
    }
    let (key, siren) = n.split_at(2);
    let siren_digits = digits(siren).ok_or_else(|| FORM.to_string())?;
    if !luhn_ok(&siren_digits) {
        return Err("the SIREN part fails its check digit".into());
    }
    match key.parse::<u64>() {
        Ok(k) => {
            let s: u64 = siren.parse().unwrap_or(0);
            ((12 + 3 * (s % 97)) % 97 == k)
                .then_some(())
                .ok_or_else(|| CHECK.into())
        }
        // Newer numbers have letters in the key; their form is all that is checked.
        Err(_)
            if key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() && b != b'I' && b != b'O') =>
        {
            Ok(())
        }
        Err(_) => Err(FORM.into()),
    }
}

fn gr(n: &str) -> Result<(), String> {
    let n = if n.len() == 8 {
        format!("0{n}")
    } else {
        n.to_string()
    };
    let d = digits_of_len(&n, 9, "it must be EL followed by 9 digits")?;
    let sum: u32 = d[..8].iter().enumerate().map(|(i, x)| x << (8 - i)).sum();
    ((sum % 11) % 10 == d[8])
        .then_some(())
        .ok_or_else(|| CHECK.into())
}

fn it(n: &str) -> Result<(), String> {
    let d = digits_of_len(n, 11, "it must be IT followed by 11 digits")?;
    if d[..7].iter().all(|&x| x == 0) {
        return Err("the company number part is all zeros".into());
    }
    luhn_ok(&d).then_some(()).ok_or_else(|| CHECK.into())
}

fn nl(n: &str) -> Result<(), String> {
    const FORM: &str = "it must be NL, 9 digits, B and 2 digits (e.g. NL004495445B01)";
    if n.len() != 12 || n.as_bytes()[9] != b'B' {
        return Err(FORM.into());
    }
    let d = digits(&n[..9]).ok_or_else(|| FORM.to_string())?;
    digits(&n[10..]).ok_or_else(|| FORM.to_string())?;
    // The classic number: weights 9…2 and −1, mod 11. Sole traders since 2020: the whole
    // identifier passes ISO 7064 mod 97-10, like an IBAN.
    let sum: i64 = d[..8]
        .iter()
        .enumerate()
        .map(|(i, &x)| i64::from(x) * (9 - i as i64))
        .sum::<i64>()
        - i64::from(d[8]);
    let classic = sum % 11 == 0;
    let mut rem = 0_u32;
    for c in format!("NL{n}").chars() {
        let v = c.to_digit(36).unwrap_or(0);
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    (classic || rem == 1)
        .then_some(())
        .ok_or_else(|| CHECK.into())
}

fn no(n: &str) -> Result<(), String> {
    const FORM: &str =
        "it must be NO, the 9-digit organization number and MVA (e.g. NO995525828MVA)";
    let num = n.strip_suffix("MVA").ok_or(FORM)?;
    let d = digits_of_len(num, 9, FORM)?;
    no_orgnr_ok(&d).then_some(()).ok_or_else(|| CHECK.into())
}

fn pl(n: &str) -> Result<(), String> {
    let d = digits_of_len(n, 10, "it must be PL followed by 10 digits")?;
    let w = [6, 5, 7, 2, 3, 4, 5, 6, 7];
    let sum: u32 = d.iter().zip(w).map(|(x, w)| x * w).sum();
    (sum % 11 == d[9]).then_some(()).ok_or_else(|| CHECK.into())
}

fn se(n: &str) -> Result<(), String> {
    const FORM: &str = "it must be SE, the 10-digit organization number and 01";
    let num = n.strip_suffix("01").ok_or(FORM)?;
    let d = digits_of_len(num, 10, FORM)?;
    luhn_ok(&d).then_some(()).ok_or_else(|| CHECK.into())
}

/// The Electronic Address Scheme (EAS) codes Peppol BIS Billing 3.0 accepts for an
/// endpoint (rule PEPPOL-EN16931-CL008, code list of rules release 3.0.19). `EM` (e-mail)
/// is not among them.
pub const EAS_CODES: [&str; 92] = [
    "0002", "0007", "0009", "0037", "0060", "0088", "0096", "0097", "0106", "0130", "0135", "0142",
    "0147", "0151", "0154", "0158", "0170", "0177", "0183", "0184", "0188", "0190", "0191", "0192",
    "0193", "0194", "0195", "0196", "0198", "0199", "0200", "0201", "0202", "0203", "0204", "0205",
    "0208", "0209", "0210", "0211", "0212", "0213", "0215", "0216", "0217", "0218", "0221", "0225",
    "0230", "0235", "0240", "9910", "9913", "9914", "9915", "9918", "9919", "9920", "9922", "9923",
    "9924", "9925", "9926", "9927", "9928", "9929", "9930", "9931", "9932", "9933", "9934", "9935",
    "9936", "9937", "9938", "9939", "9940", "9941", "9942", "9943", "9944", "9945", "9946", "9947",
    "9948", "9949", "9950", "9951", "9952", "9953", "9957", "9959",
];

/// The EAS schemes that are a country's VAT number, and that country.
fn vat_scheme_country(scheme: &str) -> Option<&'static str> {
    Some(match scheme {
        "9910" => "HU",
        "9914" => "AT",
        "9920" => "ES",
        "9922" => "AD",
        "9923" => "AL",
        "9924" => "BA",
        "9925" => "BE",
        "9926" => "BG",
        "9927" => "CH",
        "9928" => "CY",
        "9929" => "CZ",
        "9930" => "DE",
        "9931" => "EE",
        "9932" => "GB",
        "9933" => "GR",
        "9934" => "HR",
        "9935" => "IE",
        "9936" => "LI",
        "9937" => "LT",
        "9938" => "LU",
        "9939" => "LV",
        "9940" => "MC",
        "9941" => "ME",
        "9942" => "MK",
        "9943" => "MT",
        "9944" => "NL",
        "9945" => "PL",
        "9946" => "PT",
        "9947" => "RO",
        "9948" => "RS",
        "9949" => "SI",
        "9950" => "SK",
        "9951" => "SM",
        "9952" => "TR",
        "9953" => "VA",
        "9957" => "FR",
        _ => return None,
    })
}

/// A Peppol participant identifier: where a party receives e-invoices (EN 16931 BT-34
/// seller, BT-49 buyer electronic address).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParticipantId {
    /// EAS code, e.g. `0192` (Norwegian organization number), `0088` (GLN), `9930`
    /// (German VAT number).
    pub scheme: String,
    pub value: String,
}

/// Checks a Peppol participant identifier, either as scheme and value or written as
/// `scheme:value` in `value` with an empty `scheme`. The scheme must be one of
/// [`EAS_CODES`]; the value is checked against its scheme's form and check digits where
/// the Peppol rules check them (GLN, Norwegian, Danish, Belgian, Swedish and Australian
/// numbers, VAT numbers of the countries [`check_vat_id`] knows).
pub fn check_participant_id(scheme: &str, value: &str) -> Result<ParticipantId, String> {
    let (scheme, value) = match (scheme.trim(), value.trim()) {
        ("", v) => match v.split_once(':') {
            Some((s, v)) => (s.trim(), v.trim()),
            None => {
                return Err(format!(
                    "{v:?} has no scheme: write the scheme code and the identifier, e.g. 0192:995525828"
                ))
            }
        },
        (s, v) => (s, v),
    };
    let scheme = scheme
        .strip_prefix("iso6523-actorid-upis::")
        .unwrap_or(scheme);
    if scheme.eq_ignore_ascii_case("EM") {
        return Err("an e-mail address is not a Peppol address: use the participant identifier the customer is registered with in Peppol (e.g. 0192:995525828 or 0088:5790000435968)".into());
    }
    if !EAS_CODES.contains(&scheme) {
        return Err(format!(
            "{scheme:?} is not a Peppol electronic address scheme: use a code from the EAS list, e.g. 0192 (Norwegian organization number), 0088 (GLN), 9930 (German VAT number)"
        ));
    }
    let value: String = value.chars().filter(|c| !c.is_whitespace()).collect();
    if value.is_empty() {
        return Err("the participant identifier is empty: write the identifier after the scheme, e.g. 0192:995525828".into());
    }
    if value.chars().count() > 50 || value.chars().any(|c| c.is_control() || !c.is_ascii()) {
        return Err(format!(
            "{value:?} is not a participant identifier: up to 50 letters, digits and punctuation"
        ));
    }
    let d = digits(&value);
    let bad = |what: &str| format!("{value:?} is not valid in scheme {scheme}: {what}");
    match scheme {
        "0088" => match &d {
            Some(d) if d.len() == 13 && gln_ok(d) => {}
            Some(d) if d.len() == 13 => return Err(bad("the GLN check digit does not match")),
            _ => return Err(bad("a GLN is 13 digits")),
        },
        "0192" => match &d {
            Some(d) if no_orgnr_ok(d) => {}
            Some(d) if d.len() == 9 => return Err(bad("the check digit does not match")),
            _ => return Err(bad("a Norwegian organization number is 9 digits")),
        },
        "0184" => {
            let num = value.strip_prefix("DK").unwrap_or(&value);
            if digits(num).is_none_or(|d| d.len() != 8) {
                return Err(bad("a Danish CVR number is 8 digits, optionally after DK"));
            }
        }
        "0208" => match &d {
            Some(d) if d.len() == 10 => {
                be(&value).map_err(|_| bad("the check digits do not match"))?;
            }
            _ => return Err(bad("a Belgian enterprise number is 10 digits")),
        },
        "0007" => match &d {
            Some(d) if d.len() == 10 && luhn_ok(d) => {}
            Some(d) if d.len() == 10 => return Err(bad("the check digit does not match")),
            _ => return Err(bad("a Swedish organization number is 10 digits")),
        },
        "0151" => match &d {
            Some(d) if d.len() == 11 && abn_ok(d) => {}
            Some(d) if d.len() == 11 => return Err(bad("the check digits do not match")),
            _ => return Err(bad("an Australian Business Number is 11 digits")),
        },
        "0002" => match &d {
            Some(d) if d.len() == 9 && luhn_ok(d) => {}
            _ => return Err(bad("a SIREN is 9 digits with a valid check digit")),
        },
        "0009" => {
            if d.as_ref().is_none_or(|d| d.len() != 14) {
                return Err(bad("a SIRET is 14 digits"));
            }
        }
        "0060" => {
            if d.as_ref().is_none_or(|d| d.len() != 9) {
                return Err(bad("a DUNS number is 9 digits"));
            }
        }
        "0106" => {
            if d.as_ref().is_none_or(|d| d.len() != 8) {
                return Err(bad("a Dutch KvK number is 8 digits"));
            }
        }
        "0190" => {
            if d.as_ref().is_none_or(|d| d.len() != 20) {
                return Err(bad("a Dutch OIN is 20 digits"));
            }
        }
        "0196" => {
            if d.as_ref().is_none_or(|d| d.len() != 10) {
                return Err(bad("an Icelandic kennitala is 10 digits"));
            }
        }
        "0211" => {
            let num = value.strip_prefix("IT").unwrap_or(&value);
            it(num).map_err(|why| bad(&why))?;
        }
        s => {
            if let Some(country) = vat_scheme_country(s) {
                let upper = value.to_ascii_uppercase();
                let prefix = if country == "GR" { "EL" } else { country };
                let full =
                    if upper.starts_with(prefix) || (country == "GR" && upper.starts_with("GR")) {
                        upper
                    } else {
                        format!("{prefix}{upper}")
                    };
                check_vat_id(&full, Some(country)).map_err(|why| bad(&why))?;
            }
        }
    }
    Ok(ParticipantId {
        scheme: scheme.to_string(),
        value,
    })
}

/// GS1 check digit: weights 3 and 1 from the right, excluding the check digit.
fn gln_ok(d: &[u32]) -> bool {
    let (body, check) = d.split_at(d.len() - 1);
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &x)| if i % 2 == 0 { x * 3 } else { x })
        .sum();
    (10 - sum % 10) % 10 == check[0]
}

fn abn_ok(d: &[u32]) -> bool {
    let w = [10, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19];
    let mut d = d.to_vec();
    if d[0] == 0 {
        return false;
    }
    d[0] -= 1;
    let sum: u32 = d.iter().zip(w).map(|(x, w)| x * w).sum();
    sum.is_multiple_of(89)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(v: &str) -> String {
        check_vat_id(v, None)
            .unwrap_or_else(|e| panic!("{v} refused: {e}"))
            .as_string()
    }

    fn refused(v: &str) -> String {
        match check_vat_id(v, None) {
            Ok(x) => panic!("{v} accepted as {x:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn valid_vat_ids_of_every_checked_country_pass_and_normalize() {
        // Published examples of valid numbers, one per country.
        for (input, normal) in [
            ("ATU13585627", "ATU13585627"),
            ("BE 0403.019.261", "BE0403019261"),
            ("DE 136,695 976".replace(',', "").as_str(), "DE136695976"),
            ("dk13585628", "DK13585628"),
            ("ES B-58378431", "ESB58378431"),
            ("ES54362315K", "ES54362315K"),
            ("ESX2482300W", "ESX2482300W"),
            ("FI 2077 4740", "FI20774740"),
            ("Fr 40 303 265 045", "FR40303265045"),
            ("EL 094259216", "EL094259216"),
            ("IT 00743110157", "IT00743110157"),
            ("NL004495445B01", "NL004495445B01"),
            ("NO 995 525 828 MVA", "NO995525828MVA"),
            ("PL 856-734-62-15", "PL8567346215"),
            ("SE 123456789701", "SE123456789701"),
            ("CZ 25123891", "CZ25123891"),
        ] {
            assert_eq!(ok(input), normal);
        }
        for c in VAT_CHECK_DIGIT_COUNTRIES {
            assert!(country_adjective(c) != c, "{c} has a name for its messages");
        }
    }

    #[test]
    fn a_wrong_check_digit_is_refused_for_every_checked_country() {
        for bad in [
            "ATU13585626",
            "BE0403019262",
            "DE136695977",
            "DK13585627",
            "ESB58378432",
            "ES54362315J",
            "FI20774741",
            "FR41303265045",
            "EL094259217",
            "IT00743110158",
            "NL004495446B01",
            "NO995525829MVA",
            "PL8567346216",
            "SE123456789801",
        ] {
            let e = refused(bad);
            assert!(
                e.contains("check digit") || e.contains("SIREN"),
                "{bad}: {e}"
            );
            assert!(!e.ends_with('.'), "{e}");
        }
    }

    #[test]
    fn form_and_country_are_checked() {
        assert!(refused("995525828MVA").contains("country code"));
        assert!(refused("NO995525828").contains("MVA"));
        assert!(refused("QQ123456").contains("country code"));
        let e = check_vat_id("DE136695976", Some("NO")).unwrap_err();
        assert!(e.contains("of DE but the country is NO"), "{e}");
        assert!(check_vat_id("EL094259216", Some("GR")).is_ok());
        assert!(refused("DE12").contains("DE followed by 9 digits"));
    }

    #[test]
    fn participant_ids_need_a_peppol_scheme_and_a_well_formed_value() {
        let p = check_participant_id("0192", "995 525 828").unwrap();
        assert_eq!((p.scheme.as_str(), p.value.as_str()), ("0192", "995525828"));
        let p = check_participant_id("", "0088:5790000435968").unwrap();
        assert_eq!(
            (p.scheme.as_str(), p.value.as_str()),
            ("0088", "5790000435968")
        );
        assert!(check_participant_id("9930", "DE136695976").is_ok());
        assert!(check_participant_id("9930", "136695976").is_ok());
        assert!(check_participant_id("0208", "0403019261").is_ok());
        assert!(check_participant_id("0007", "5560360793").is_ok());
        assert!(check_participant_id("0184", "DK13585628").is_ok());
        assert!(check_participant_id("0151", "51824753556").is_ok());
        assert!(check_participant_id("0211", "IT00743110157").is_ok());

        let e = check_participant_id("EM", "billing@example.com").unwrap_err();
        assert!(e.contains("not a Peppol address"), "{e}");
        let e = check_participant_id("1234", "x").unwrap_err();
        assert!(e.contains("EAS list"), "{e}");
        let e = check_participant_id("0088", "5790000435969").unwrap_err();
        assert!(e.contains("GLN check digit"), "{e}");
        let e = check_participant_id("0192", "995525829").unwrap_err();
        assert!(e.contains("check digit"), "{e}");
        let e = check_participant_id("9930", "DE136695977").unwrap_err();
        assert!(e.contains("German VAT number"), "{e}");
        let e = check_participant_id("0192", "").unwrap_err();
        assert!(e.contains("empty"), "{e}");
        assert!(check_participant_id("", "995525828").is_err());
    }
}
