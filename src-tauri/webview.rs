//! How the window's webview draws.
//!
//! WebKitGTK paints pages with Skia, on the GPU by default. Where there is no
//! GPU (a virtual machine, a remote desktop, this project's CI under Xvfb)
//! that "GPU" is Mesa's llvmpipe, and its caches live in the web process's
//! memory: for the app's screens (forms, tables, a few charts) about 40 MB
//! more than painting with Skia on the CPU, which draws them just as well
//! (measured with `cargo xtask bench desktop`, see crates/cs-app/BENCH.md).
//! So the app asks WebKit for CPU painting; compositing stays on.
//! `CS_GPU_PAINTING=1` keeps WebKit's default, to compare or on a machine
//! where the GPU is worth it.

/// Chooses how the webview paints. Runs first thing in `main`, while the
/// process has one thread: the web process, started later, inherits it.
pub fn choose_painting() {
    const CPU: &str = "WEBKIT_SKIA_ENABLE_CPU_RENDERING";
    let gpu = std::env::var("CS_GPU_PAINTING").is_ok_and(|v| v == "1");
    if !gpu && std::env::var_os(CPU).is_none() {
        // Safe here: no other thread exists yet (no runtime, no GTK, no
        // logging), so nothing reads the environment concurrently.
        std::env::set_var(CPU, "1");
    }
}
