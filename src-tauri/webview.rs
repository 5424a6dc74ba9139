//! How the window's webview draws.
//!
//! WebKitGTK paints pages with Skia, on the GPU by default, and composites
//! their layers with OpenGL. Where there is no GPU (a virtual machine, a
//! remote desktop, this project's CI under Xvfb) that GPU is Mesa's
//! llvmpipe, and what it holds lives in the processes' memory. Measured with
//! `cargo xtask bench desktop` (see crates/cs-app/BENCH.md):
//! - Skia on the "GPU" cost the web process about 40 MB more than Skia on
//!   the CPU, which draws the app's screens (forms, tables, a few charts)
//!   just as well. So the app always asks for CPU painting.
//! - Compositing on llvmpipe cost it about 55 MB more again, for nothing a
//!   software renderer gains from. So where the machine has no GPU (no DRM
//!   render node) the app turns compositing off.
//!
//! `CS_GPU_PAINTING=1` keeps WebKit's own painting. `CS_COMPOSITING=on` or
//! `off` decides compositing whatever the machine has; WebKitWebDriver's
//! screenshots need it on, so the end-to-end harness sets it.

/// Chooses how the webview paints. Runs first thing in `main`, while the
/// process has one thread: the web process, started later, inherits it.
pub fn choose_painting() {
    const CPU: &str = "WEBKIT_SKIA_ENABLE_CPU_RENDERING";
    const NO_COMPOSITING: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";
    let gpu = std::env::var("CS_GPU_PAINTING").is_ok_and(|v| v == "1");
    // Safe here: no other thread exists yet (no runtime, no GTK, no
    // logging), so nothing reads the environment concurrently.
    if !gpu && std::env::var_os(CPU).is_none() {
        std::env::set_var(CPU, "1");
    }
    let compositing = match std::env::var("CS_COMPOSITING").as_deref() {
        Ok("on") => true,
        Ok("off") => false,
        // WebKitGTK's variables mean nothing to the other platforms' webviews.
        _ => !cfg!(target_os = "linux") || has_gpu(),
    };
    if !compositing && std::env::var_os(NO_COMPOSITING).is_none() {
        std::env::set_var(NO_COMPOSITING, "1");
    }
}

/// Whether the machine has a GPU to render with: a DRM render node.
fn has_gpu() -> bool {
    std::fs::read_dir("/dev/dri").is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with("renderD"))
    })
}
