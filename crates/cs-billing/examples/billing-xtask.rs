//! Runs the billing tasks of `xtask/src/billing.rs` without the xtask binary:
//! `cargo run --release -p cs-billing --example billing-xtask -- bench` or
//! `-- crash-test 20`. The xtask wires the same functions as
//! `cargo xtask crash-test N` and `cargo xtask bench billing`.

#[path = "../../../xtask/src/billing.rs"]
mod billing;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("crash-test") => billing::crash_test(args.get(1).map(|n| n.parse()).transpose()?.unwrap_or(20)),
        Some("bench") => billing::bench(&args[1..]),
        _ => anyhow::bail!("usage: billing-xtask crash-test [N] | bench [--servers N] [--catchup-servers N] [--year-servers N] [--only a,b-fresh,b-month,b-next,c,d,e]"),
    }
}
