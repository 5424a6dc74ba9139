//! Document numbers: a configurable format with a gapless sequence.
//!
//! A format is text with placeholders: `{YYYY}` (year), `{YY}`, `{MM}`
//! (month) and exactly one `{SEQ}` or `{SEQ:n}` (the sequence, zero-padded to
//! `n` digits). `INV-{YYYY}-{SEQ:6}` gives `INV-2026-000123`. The sequence
//! counts per *period*: the number with the sequence left out, so a format
//! with `{YYYY}` restarts at 1 every year and one without never does. The
//! billing engine stores the counter and assigns a number only when a document
//! is finalized, in the same transaction, so numbers have no gaps.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NumberFormat(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumberFormatError {
    #[error("the number format {0:?} needs exactly one {{SEQ}} or {{SEQ:n}} placeholder, e.g. INV-{{YYYY}}-{{SEQ:6}}")]
    Sequence(String),
    #[error("the number format {0:?} has an unknown placeholder {1:?}: use {{YYYY}}, {{YY}}, {{MM}} and {{SEQ:n}}")]
    Unknown(String, String),
}

enum Part<'a> {
    Text(&'a str),
    Year4,
    Year2,
    Month,
    Seq(usize),
}

impl NumberFormat {
    pub fn parse(text: &str) -> Result<NumberFormat, NumberFormatError> {
        let f = NumberFormat(text.to_string());
        let seqs = f
            .parts()?
            .iter()
            .filter(|p| matches!(p, Part::Seq(_)))
            .count();
        if seqs != 1 {
            return Err(NumberFormatError::Sequence(text.to_string()));
        }
        Ok(f)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn parts(&self) -> Result<Vec<Part<'_>>, NumberFormatError> {
        let mut out = Vec::new();
        let mut rest = self.0.as_str();
        while let Some(open) = rest.find('{') {
            if open > 0 {
                out.push(Part::Text(&rest[..open]));
            }
            let close = rest[open..].find('}').ok_or_else(|| {
                NumberFormatError::Unknown(self.0.clone(), rest[open..].to_string())
            })? + open;
            let token = &rest[open + 1..close];
            out.push(match token {
                "YYYY" => Part::Year4,
                "YY" => Part::Year2,
                "MM" => Part::Month,
                "SEQ" => Part::Seq(1),
                t if t.starts_with("SEQ:") => match t[4..].parse::<usize>() {
                    Ok(n) if (1..=12).contains(&n) => Part::Seq(n),
                    _ => {
                        return Err(NumberFormatError::Unknown(
                            self.0.clone(),
                            token.to_string(),
                        ))
                    }
                },
                _ => {
                    return Err(NumberFormatError::Unknown(
                        self.0.clone(),
                        token.to_string(),
                    ))
                }
            });
            rest = &rest[close + 1..];
        }
        if !rest.is_empty() {
            out.push(Part::Text(rest));
        }
        Ok(out)
    }

    fn render_with(&self, year: i32, month: u32, seq: Option<u64>) -> String {
        let mut s = String::new();
        // parse() checked the format, so parts() cannot fail here.
        for p in self.parts().unwrap_or_default() {
            match p {
                Part::Text(t) => s.push_str(t),
                Part::Year4 => s.push_str(&format!("{year:04}")),
                Part::Year2 => s.push_str(&format!("{:02}", year.rem_euclid(100))),
                Part::Month => s.push_str(&format!("{month:02}")),
                Part::Seq(n) => match seq {
                    Some(v) => s.push_str(&format!("{v:0n$}")),
                    None => s.push('#'),
                },
            }
        }
        s
    }

    /// The number of the `seq`-th document of its period.
    pub fn render(&self, year: i32, month: u32, seq: u64) -> String {
        self.render_with(year, month, Some(seq))
    }

    /// The period the sequence counts in: the format rendered without it.
    pub fn period(&self, year: i32, month: u32) -> String {
        self.render_with(year, month, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_render_and_name_their_period() {
        let f = NumberFormat::parse("INV-{YYYY}-{SEQ:6}").unwrap();
        assert_eq!(f.render(2026, 2, 123), "INV-2026-000123");
        assert_eq!(f.period(2026, 2), "INV-2026-#");
        assert_eq!(f.period(2026, 3), f.period(2026, 12));
        let g = NumberFormat::parse("CN{YY}{MM}/{SEQ}").unwrap();
        assert_eq!(g.render(2026, 2, 7), "CN2602/7");
        assert!(NumberFormat::parse("INV-{YYYY}").is_err());
        assert!(NumberFormat::parse("INV-{SEQ}-{SEQ}").is_err());
        assert!(NumberFormat::parse("INV-{DD}-{SEQ}").is_err());
    }
}
