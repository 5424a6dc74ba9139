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
    #[error("the number format is too long: at most {MAX_FORMAT_CHARS} characters")]
    TooLong,
    #[error("the number format {0:?} contains a control or invisible character: use letters, digits and punctuation")]
    Invisible(String),
}

/// The longest format accepted; a number is printed on every document.
pub const MAX_FORMAT_CHARS: usize = 40;

enum Part<'a> {
    Text(&'a str),
    Year4,
    Year2,
    Month,
    Seq(usize),
}

impl NumberFormat {
    pub fn parse(text: &str) -> Result<NumberFormat, NumberFormatError> {
        if text.chars().count() > MAX_FORMAT_CHARS {
            return Err(NumberFormatError::TooLong);
        }
        if text.chars().any(crate::validate::is_invisible_or_control) {
            return Err(NumberFormatError::Invisible(text.to_string()));
        }
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

    /// A number both formats can render, for some date and sequence value
    /// each, if there is one. Document numbers are unique across kinds, so two
    /// kinds whose formats can clash would make issuing fail sooner or later.
    /// Years are taken as any four digits and a sequence as any value, so
    /// the answer holds for every date and every count.
    pub fn clash_with(&self, other: &NumberFormat) -> Option<String> {
        let (a, b) = (Nfa::of(self)?, Nfa::of(other)?);
        // Breadth-first over pairs of states, keeping how each pair was
        // reached, so the first accepting pair gives a shortest example.
        let start = (0usize, 0usize);
        let mut seen = std::collections::HashMap::from([(start, None::<((usize, usize), char)>)]);
        let mut queue = std::collections::VecDeque::from([start]);
        while let Some((i, j)) = queue.pop_front() {
            if i == a.accept && j == b.accept {
                let mut out = Vec::new();
                let mut at = (i, j);
                while let Some(Some((prev, c))) = seen.get(&at) {
                    out.push(*c);
                    at = *prev;
                }
                return Some(out.into_iter().rev().collect());
            }
            for (ca, ti) in &a.edges[i] {
                for (cb, tj) in &b.edges[j] {
                    if let Some(c) = ca.meet(cb) {
                        if let std::collections::hash_map::Entry::Vacant(v) = seen.entry((*ti, *tj))
                        {
                            v.insert(Some(((i, j), c)));
                            queue.push_back((*ti, *tj));
                        }
                    }
                }
            }
        }
        None
    }
}

/// What one character of a rendered number can be.
#[derive(Clone, Copy)]
enum Chars {
    Lit(char),
    /// A set of ASCII digits, bit `d` for digit `d`.
    Digits(u16),
}

const ANY_DIGIT: u16 = 0b11_1111_1111;

fn digits(ds: &[u32]) -> u16 {
    ds.iter().fold(0, |m, d| m | (1 << d))
}

impl Chars {
    fn mask(&self) -> u16 {
        match self {
            Chars::Lit(c) => c.to_digit(10).map_or(0, |d| 1 << d),
            Chars::Digits(m) => *m,
        }
    }

    /// A character both can be; a `1` where a digit is free, for a
    /// readable example.
    fn meet(&self, other: &Chars) -> Option<char> {
        match (self, other) {
            (Chars::Lit(x), Chars::Lit(y)) => (x == y).then_some(*x),
            (Chars::Lit(x), d @ Chars::Digits(_)) | (d @ Chars::Digits(_), Chars::Lit(x)) => {
                (d.mask() & Chars::Lit(*x).mask() != 0).then_some(*x)
            }
            (Chars::Digits(x), Chars::Digits(y)) => {
                let m = x & y;
                if m == 0 {
                    None
                } else if m & 0b10 != 0 {
                    Some('1')
                } else {
                    char::from_digit(m.trailing_zeros(), 10)
                }
            }
        }
    }
}

/// The numbers a format can render, as an automaton: state 0 is the start,
/// `accept` the end, every edge reads one character.
struct Nfa {
    edges: Vec<Vec<(Chars, usize)>>,
    accept: usize,
}

impl Nfa {
    fn of(f: &NumberFormat) -> Option<Nfa> {
        let mut edges: Vec<Vec<(Chars, usize)>> = vec![vec![]];
        let mut at = 0;
        let step = |edges: &mut Vec<Vec<(Chars, usize)>>, from: usize, c: Chars| {
            edges.push(vec![]);
            let to = edges.len() - 1;
            edges[from].push((c, to));
            to
        };
        for p in f.parts().ok()? {
            match p {
                Part::Text(t) => {
                    for ch in t.chars() {
                        at = step(&mut edges, at, Chars::Lit(ch));
                    }
                }
                Part::Year4 | Part::Year2 => {
                    let n = if matches!(p, Part::Year4) { 4 } else { 2 };
                    for _ in 0..n {
                        at = step(&mut edges, at, Chars::Digits(ANY_DIGIT));
                    }
                }
                Part::Month => {
                    // 01–09 or 10–12.
                    let zero = step(&mut edges, at, Chars::Lit('0'));
                    let one = step(&mut edges, at, Chars::Lit('1'));
                    let end = step(
                        &mut edges,
                        zero,
                        Chars::Digits(digits(&[1, 2, 3, 4, 5, 6, 7, 8, 9])),
                    );
                    edges[one].push((Chars::Digits(digits(&[0, 1, 2])), end));
                    at = end;
                }
                Part::Seq(n) => {
                    // At least n digits, more once the count outgrows them.
                    for _ in 0..n {
                        at = step(&mut edges, at, Chars::Digits(ANY_DIGIT));
                    }
                    edges[at].push((Chars::Digits(ANY_DIGIT), at));
                }
            }
        }
        Some(Nfa { edges, accept: at })
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
        assert!(NumberFormat::parse("INV\u{200b}-{SEQ}").is_err());
        assert!(NumberFormat::parse(&format!("{}{{SEQ}}", "X".repeat(40))).is_err());
    }

    fn clash(a: &str, b: &str) -> Option<String> {
        let (a, b) = (
            NumberFormat::parse(a).unwrap(),
            NumberFormat::parse(b).unwrap(),
        );
        let one = a.clash_with(&b);
        assert_eq!(one.is_some(), b.clash_with(&a).is_some());
        one
    }

    #[test]
    fn formats_that_can_render_the_same_number_clash() {
        // The same format, or the same text with another padding.
        assert!(clash("INV-{YYYY}-{SEQ:6}", "INV-{YYYY}-{SEQ:6}").is_some());
        assert!(clash("N-{SEQ}", "N-{SEQ:4}").is_some());
        // A year and a month side by side read like a longer year.
        let e = clash("{YYYY}{SEQ:4}", "{YY}{MM}{SEQ:4}").unwrap();
        assert!(e.len() >= 8 && e.chars().all(|c| c.is_ascii_digit()), "{e}");
        // Literal digits meet placeholders.
        assert!(clash("2026-{SEQ}", "{YYYY}-{SEQ}").is_some());
        assert!(clash("R{SEQ}", "R1{SEQ}").is_some());
        // The example is a number both render.
        assert_eq!(
            clash("A-{MM}{SEQ:2}", "A-1{SEQ:3}").as_deref(),
            Some("A-1111")
        );
    }

    #[test]
    fn distinct_formats_do_not_clash() {
        assert_eq!(clash("INV-{YYYY}-{SEQ:6}", "RCT-{YYYY}-{SEQ:6}"), None);
        assert_eq!(clash("INV-{YYYY}-{SEQ:6}", "CN-{YYYY}-{SEQ:6}"), None);
        // A month is never 13 or above.
        assert_eq!(clash("X{MM}{SEQ}", "X13{SEQ}"), None);
        // Different separators, a fixed width that never fits.
        assert_eq!(clash("{YYYY}/{SEQ}", "{YYYY}-{SEQ}"), None);
        assert_eq!(clash("A{YY}-{SEQ}", "A{YYYY}-{SEQ}"), None);
    }
}
