//! Embeds every file of the workspace's `migrations/` folder into the binary,
//! in file-name order, so the store applies exactly the migrations it was
//! built with.

use std::{env, fs, path::PathBuf};

fn main() {
    let dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap()).join("../../migrations");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .expect("migrations/ folder at the workspace root")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    let mut out = String::from("/// (version, name, sql) of every embedded migration, in order.\npub const MIGRATIONS: &[(u32, &str, &str)] = &[\n");
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let stem = f.file_stem().unwrap().to_str().unwrap().to_string();
        let version: u32 = stem
            .split('_')
            .next()
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| {
                panic!("migration {stem} must start with a number, e.g. 0002_billing.sql")
            });
        let abs = fs::canonicalize(f).unwrap();
        out.push_str(&format!(
            "    ({version}, {stem:?}, include_str!({:?})),\n",
            abs.display().to_string()
        ));
    }
    out.push_str("];\n");
    fs::write(
        PathBuf::from(env::var("OUT_DIR").unwrap()).join("migrations.rs"),
        out,
    )
    .unwrap();
}
