//! Writes ui/src/bindings.ts from the Rust commands and events
//! (`cargo xtask bindings`). A unit test fails when the committed file is stale.

fn main() -> anyhow::Result<()> {
    let text = containerstacks_desktop::render_bindings()?;
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/ui/src/bindings.ts");
    std::fs::write(path, text)?;
    println!("wrote {path}");
    Ok(())
}
