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

/// Which way a page is read from its cursor.
#[derive(Debug, Clone, PartialEq)]
pub enum From {
    /// The first page.
    Start,
    /// The rows after this cursor (scrolling down).
    After(Cursor),
    /// The rows before this cursor (scrolling back up, once the rows above
    /// were let go).
    Before(Cursor),
}

/// One page of rows, the cursors of the next and the previous (`None` at
/// either end) and how many rows match the filter in all.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub rows: Vec<T>,
    pub next: Option<Cursor>,
    pub prev: Option<Cursor>,
    pub total: i64,
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            rows: self.rows.into_iter().map(f).collect(),
            next: self.next,
            prev: self.prev,
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

    /// Reads up to `limit` rows (at most [`MAX_LIMIT`]) from `from`.
    pub fn read<T>(
        &self,
        conn: &Connection,
        from: &From,
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
        // Reading backwards reads the other way and turns the rows round.
        let back = matches!(from, From::Before(_));
        let (dir, cmp) = if self.desc != back {
            ("DESC", "<")
        } else {
            ("ASC", ">")
        };
        let mut filters = self.filters.clone();
        let mut params = self.params.clone();
        if let From::After(c) | From::Before(c) = from {
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
        let mut keys = Vec::new();
        let mut more = false;
        while let Some(r) = rows.next()? {
            if out.len() == limit as usize {
                more = true;
                break;
            }
            out.push(map(r)?);
            keys.push(Cursor {
                key: r.get(n - 2)?,
                id: r.get(n - 1)?,
            });
        }
        if back {
            out.reverse();
            keys.reverse();
        }
        let (first, last) = (keys.first().cloned(), keys.last().cloned());
        // Rows lie beyond the page's far end when more were found, and
        // beyond its near end when it was read from a cursor.
        let (next, prev) = match from {
            From::Start => (last.filter(|_| more), None),
            From::After(_) => (last.filter(|_| more), first),
            From::Before(_) => (last, first.filter(|_| more)),
        };
        Ok(Page {
            rows: out,
            next,
            prev,
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

    #[test]
    fn pages_read_forward_then_back_give_the_same_rows() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE t (id TEXT PRIMARY KEY, k INTEGER NOT NULL);
             INSERT INTO t VALUES ('a', 1), ('b', 1), ('c', 2), ('d', 2), ('e', 2), ('f', 3), ('g', 4);",
        )
        .unwrap();
        for desc in [false, true] {
            let k = Keyset {
                from: "t",
                count_from: "t",
                columns: "id",
                id: "id",
                sort: "k",
                desc,
                filters: Vec::new(),
                params: Vec::new(),
            };
            let read = |from: &From| {
                k.read(&conn, from, 3, |r| Ok(r.get::<_, String>(0)?))
                    .unwrap()
            };
            let p1 = read(&From::Start);
            let p2 = read(&From::After(p1.next.clone().unwrap()));
            let p3 = read(&From::After(p2.next.clone().unwrap()));
            assert_eq!(p3.next, None);
            assert_eq!(p1.total, 7);
            let all: Vec<String> = [&p1, &p2, &p3]
                .iter()
                .flat_map(|p| p.rows.clone())
                .collect();
            let mut want = vec!["a", "b", "c", "d", "e", "f", "g"];
            if desc {
                want.reverse();
            }
            assert_eq!(all, want);
            let back = read(&From::Before(p3.prev.clone().unwrap()));
            assert_eq!(back.rows, p2.rows);
            let back = read(&From::Before(back.prev.clone().unwrap()));
            assert_eq!(back.rows, p1.rows);
            assert_eq!(back.prev, None, "nothing lies before the first page");
        }
    }
}
