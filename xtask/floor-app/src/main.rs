//! Hello world in a Tauri window: the floor ContainerStacks is measured
//! against (`cargo xtask bench desktop`).
#![forbid(unsafe_code)]

fn main() {
    tauri::Builder::default()
        .run(tauri::generate_context!())
        .unwrap_or_else(|e| {
            eprintln!("floor-app: the window failed: {e}");
            std::process::exit(1);
        });
}
