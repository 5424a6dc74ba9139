//! Keyset pagination, shared by the owners of the tables the UI lists.
//!
//! A page is read in the order of one indexed sort expression with the row
//! id as tie-breaker, so rows with equal keys keep one order. The cursor of
//! the next page is the last row's (key, id): the next read starts strictly
//! after it, so rows inserted or deleted between two reads never make a row
//! appear twice or vanish from the rows that were there all along (an
//! offset would shift). The owner module names its table; this module only
//! assembles the statement.

use rusqlite::types::Value;
use rusqlite::{Connection, Row};

use crate::Result;

/// The largest page a list command returns.
pub const MAX_LIMIT: u32 = 100;

/// Where the next page starts: the last row's sort key and id.
#[derive(Debug, Clone, PartialEq)]
pub struct Cursor {
    pub key: Value,
    pub id: String,
}

impl Cursor {
    /// An opaque string for the UI (JSON `[key, id]`).
    pub fn encode(&self) -> String {
        let key = match &self.key {
            Value::Integer(n) => serde_json::Value::from(*n),
            Value::Text(s) => serde_json::Value::from(s.as_str()),
            _ => serde_json::Value::Null,
        };
        serde_json::to_string(&(key, &self.id)).unwrap_or_default()
    }

    /// `None` when the string is not a cursor this module wrote.
    pub fn decode(s: &str) -> Option<Cursor> {
        let (key, id): (serde_json::Value, String) = serde_json::from_str(s).ok()?;
        let key = match key {
            serde_json::Value::String(s) => Value::Text(s),
            serde_json::Value::Number(n) => Value::Integer(n.as_i64()?),
            _ => return None,
        };
        Some(Cursor { key, id })
    }
}

/// One page of rows, the cursor of the next (`None` at the end) and how many
/// rows match the filter in all.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub rows: Vec<T>,
    pub next: Option<Cursor>,
    pub total: i64,
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            rows: self.rows.into_iter().map(f).collect(),
            next: self.next,
            total: self.total,
        }
    }
}

/// A listing statement, built by the table's owner.
pub struct Keyset<'a> {
    /// `FROM` clause of the rows (joins allowed).
    pub from: &'a str,
    /// `FROM` clause of the count: the table alone, when the filters allow.
    pub count_from: &'a str,
    /// The selected columns, read by the row mapper from index 0.
    pub columns: &'a str,
    /// The row id expression (the tie-breaker).
    pub id: &'a str,
    /// The sort expression; an index on (sort, id) serves it.
    pub sort: &'a str,
    pub desc: bool,
    /// Conditions ANDed together, with `?` placeholders…
    pub filters: Vec<String>,
    /// …bound in order.
    pub params: Vec<Value>,
}

impl Keyset<'_> {
    /// Adds a condition with its parameters.
    pub fn filter(&mut self, sql: impl Into<String>, params: impl IntoIterator<Item = Value>) {
        self.filters.push(sql.into());
        self.params.extend(params);
    }

    /// Adds a prefix search: `expr` starts with `prefix` (the comparison uses
    /// `expr`'s collation, so an index on `expr` serves it).
    pub fn prefix_bounds(prefix: &str) -> [Value; 2] {
        [
            Value::Text(prefix.to_string()),
            Value::Text(format!("{prefix}\u{10FFFF}")),
        ]
    }

    fn where_clause(filters: &[String]) -> String {
        if filters.is_empty() {
            String::new()
        } else {
            format!(
                " WHERE {}",
                filters
                    .iter()
                    .map(|f| format!("({f})"))
                    .collect::<Vec<_>>()
                    .join(" AND ")
            )
        }
    }

    /// Reads up to `limit` rows (at most [`MAX_LIMIT`]) after `after`.
    pub fn read<T>(
        &self,
        conn: &Connection,
        after: Option<&Cursor>,
        limit: u32,
        mut map: impl FnMut(&Row<'_>) -> Result<T>,
    ) -> Result<Page<T>> {
        let limit = limit.clamp(1, MAX_LIMIT);
        let total: i64 = conn
            .prepare_cached(&format!(
                "SELECT count(*) FROM {}{}",
                self.count_from,
                Self::where_clause(&self.filters)
            ))?
            .query_row(rusqlite::params_from_iter(self.params.iter()), |r| r.get(0))?;
        let (dir, cmp) = if self.desc {
            ("DESC", "<")
        } else {
            ("ASC", ">")
        };
        let mut filters = self.filters.clone();
        let mut params = self.params.clone();
        if let Some(c) = after {
            // The first condition is implied by the second; it lets SQLite
            // seek the index when the sort has a collation (a row value
            // with one is not used as a range).
            filters.push(format!("{} {cmp}= ?", self.sort));
            filters.push(format!("({}, {}) {cmp} (?, ?)", self.sort, self.id));
            params.push(c.key.clone());
            params.push(c.key.clone());
            params.push(Value::Text(c.id.clone()));
        }
        params.push(Value::Integer(i64::from(limit) + 1));
        let sql = format!(
            "SELECT {}, {}, {} FROM {}{} ORDER BY {} {dir}, {} {dir} LIMIT ?",
            self.columns,
            self.sort,
            self.id,
            self.from,
            Self::where_clause(&filters),
            self.sort,
            self.id,
        );
        let mut stmt = conn.prepare_cached(&sql)?;
        let n = stmt.column_count();
        let mut rows = stmt.query(rusqlite::params_from_iter(params.iter()))?;
        let mut out = Vec::new();
        let mut last = None;
        let mut more = false;
        while let Some(r) = rows.next()? {
            if out.len() == limit as usize {
                more = true;
                break;
            }
            out.push(map(r)?);
            last = Some(Cursor {
                key: r.get(n - 2)?,
                id: r.get(n - 1)?,
            });
        }
        Ok(Page {
            rows: out,
            next: if more { last } else { None },
            total,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_text_and_integer_keys() {
        for key in [Value::Text("a \"b\" ,c".into()), Value::Integer(-42)] {
            let c = Cursor {
                key,
                id: "id-1".into(),
            };
            assert_eq!(Cursor::decode(&c.encode()), Some(c));
        }
        assert_eq!(Cursor::decode("not a cursor"), None);
        assert_eq!(Cursor::decode("[null, \"x\"]"), None);
    }
}
