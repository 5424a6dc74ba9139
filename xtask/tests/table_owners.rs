//! One owner per table: the table "Who owns which table" of ARCHITECTURE.md
//! names, for every table and view the migrations create, the one module
//! (a file, or a folder ending in `/`) whose code may name it in SQL. This
//! test fails when
//!
//! - a table of the migrations has no owner in ARCHITECTURE.md, or an owner
//!   row names a table that does not exist;
//! - Rust code outside the owner names a table in SQL (`FROM`, `JOIN`,
//!   `INTO`, `UPDATE`, `TABLE` followed by the table's name; keywords in
//!   upper case, as all of our SQL is written).
//!
//! Migrations (the `.sql` files, triggers and views included) are exempt, and
//! so is the migration runner (`crates/cs-store/src/migrate.rs`), whose tests
//! check what a migration does to the rows of every table. A
//! test file (under a `tests/` folder, or `*_tests.rs`) may name another
//! owner's table when it says why, on a line of its own:
//! `// owner-exempt(<table>): <why this test cannot go through the owner>`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits in the workspace")
        .to_path_buf()
}

/// The tables and views the migrations leave, in creation order.
fn migrated_tables(root: &Path) -> BTreeSet<String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("migrations"))
        .expect("migrations/")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    let mut tables = BTreeSet::new();
    for f in files {
        let sql = std::fs::read_to_string(&f).unwrap();
        let words: Vec<&str> = sql
            .split(|c: char| c.is_whitespace() || c == '(' || c == ';')
            .filter(|w| !w.is_empty())
            .collect();
        for (i, w) in words.iter().enumerate() {
            let next = |k: usize| words.get(i + k).copied().unwrap_or("");
            if *w == "CREATE" && (next(1) == "TABLE" || next(1) == "VIEW") {
                let name = if next(2) == "IF" { next(5) } else { next(2) };
                tables.insert(name.to_string());
            }
            if *w == "ALTER" && next(1) == "TABLE" && next(3) == "RENAME" && next(4) == "TO" {
                tables.remove(next(2));
                tables.insert(next(5).to_string());
            }
            if *w == "DROP" && (next(1) == "TABLE" || next(1) == "VIEW") {
                tables.remove(next(2));
            }
        }
    }
    tables
}

/// Table → owner path, from ARCHITECTURE.md's ownership table.
fn owners(root: &Path) -> BTreeMap<String, String> {
    let doc = std::fs::read_to_string(root.join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let section = doc
        .split("## Who owns which table")
        .nth(1)
        .expect("ARCHITECTURE.md has a section \"Who owns which table\"");
    let section = section.split("\n## ").next().unwrap_or(section);
    let mut out = BTreeMap::new();
    for line in section.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        // | `table`, `table` | owner | `path` |
        let path = cells
            .get(3)
            .and_then(|c| c.strip_prefix('`'))
            .and_then(|c| c.strip_suffix('`'))
            .unwrap_or_else(|| panic!("the row {line:?} names no `path` in its third column"));
        for t in cells[1].split(',') {
            let t = t.trim().trim_matches('`');
            assert!(
                out.insert(t.to_string(), path.to_string()).is_none(),
                "ARCHITECTURE.md gives table {t} two owners"
            );
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if p.is_dir() {
            if !matches!(name.as_str(), "target" | "node_modules" | ".git") {
                rust_files(&p, out);
            }
        } else if name.ends_with(".rs") {
            out.push(p);
        }
    }
}

/// (line number, table) of every SQL mention of a known table.
fn mentions(text: &str, tables: &BTreeSet<String>) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let words: Vec<&str> = line
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|w| !w.is_empty())
            .collect();
        for pair in words.windows(2) {
            if matches!(pair[0], "FROM" | "JOIN" | "INTO" | "UPDATE" | "TABLE")
                && tables.contains(pair[1])
            {
                found.push((n + 1, pair[1].to_string()));
            }
        }
    }
    found
}

fn is_test_file(rel: &str) -> bool {
    rel.contains("/tests/") || rel.ends_with("_tests.rs")
}

/// The tables a test file says why it names.
fn exemptions(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("// owner-exempt("))
        .filter_map(|l| {
            let (table, why) = l.split_once("):")?;
            (!why.trim().is_empty()).then(|| table.trim().to_string())
        })
        .collect()
}

#[test]
fn every_table_has_one_owner_in_architecture_md() {
    let root = root();
    let tables = migrated_tables(&root);
    let owners = owners(&root);
    let missing: Vec<&String> = tables.iter().filter(|t| !owners.contains_key(*t)).collect();
    assert!(
        missing.is_empty(),
        "tables without an owner in ARCHITECTURE.md's \"Who owns which table\": {missing:?}"
    );
    let unknown: Vec<&String> = owners.keys().filter(|t| !tables.contains(*t)).collect();
    assert!(
        unknown.is_empty(),
        "ARCHITECTURE.md names tables the migrations do not create: {unknown:?}"
    );
    for (t, path) in &owners {
        assert!(
            root.join(path).exists(),
            "the owner of {t}, {path}, does not exist"
        );
    }
}

#[test]
fn sql_names_a_table_only_in_its_owner() {
    let root = root();
    let tables = migrated_tables(&root);
    let owners = owners(&root);
    let mut files = Vec::new();
    for dir in ["crates", "src-tauri", "xtask"] {
        rust_files(&root.join(dir), &mut files);
    }
    files.sort();
    let mut wrong = Vec::new();
    for f in &files {
        let rel = f
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if rel == "xtask/tests/table_owners.rs" || rel == "crates/cs-store/src/migrate.rs" {
            continue;
        }
        let text = std::fs::read_to_string(f).unwrap();
        let exempt = if is_test_file(&rel) {
            exemptions(&text)
        } else {
            BTreeSet::new()
        };
        for (line, table) in mentions(&text, &tables) {
            let Some(owner) = owners.get(&table) else {
                continue;
            };
            let owned = if owner.ends_with('/') {
                rel.starts_with(owner.as_str())
            } else {
                rel == *owner
            };
            if !owned && !exempt.contains(&table) {
                wrong.push(format!("{rel}:{line}: {table} (owner: {owner})"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "SQL names tables outside their owner (go through the owner's functions, or, in a test, say why with `// owner-exempt(<table>): <why>`):\n{}",
        wrong.join("\n")
    );
}
