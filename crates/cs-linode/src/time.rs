//! Linode timestamps: `2018-01-01T00:01:01` with no zone, which Linode means as UTC.
//!
//! The decoder also accepts RFC 3339 with a zone, so a future API change (or a proxy that
//! rewrites them) does not break decoding.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Deserializer};

/// Parses a Linode timestamp; zone-less values are taken as UTC.
pub fn parse_timestamp(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(dt.with_timezone(&Utc));
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(naive.and_utc());
        }
    }
    None
}

/// Formats a timestamp the way Linode does (no zone, second precision).
pub fn format_timestamp(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S").to_string()
}

/// `#[serde(deserialize_with)]` helper for optional timestamps: null, missing and
/// unparseable values all become `None` rather than failing the whole response.
pub(crate) fn opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    let raw: Option<String> = Option::deserialize(d)?;
    Ok(raw.as_deref().and_then(parse_timestamp))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn zone_less_is_utc_and_zoned_is_converted() {
        let want = Utc.with_ymd_and_hms(2018, 1, 1, 0, 1, 1).unwrap();
        assert_eq!(parse_timestamp("2018-01-01T00:01:01"), Some(want));
        assert_eq!(parse_timestamp("2018-01-01T00:01:01Z"), Some(want));
        assert_eq!(parse_timestamp("2018-01-01T02:01:01+02:00"), Some(want));
        assert_eq!(parse_timestamp("2018-01-01T00:01:01.000"), Some(want));
        assert_eq!(parse_timestamp("yesterday"), None);
        assert_eq!(format_timestamp(&want), "2018-01-01T00:01:01");
    }
}
