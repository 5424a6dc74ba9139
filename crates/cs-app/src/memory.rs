//! Giving freed heap back to the system.
//!
//! A pass over every server (adopting the Sandbox's at start, the full
//! reconciliation) allocates and frees tens of thousands of small values.
//! glibc keeps the freed pages for reuse, so without this the app's resident
//! memory stays at the pass's high-water mark for as long as it runs.

/// Returns the heap's free pages to the system (glibc's `malloc_trim`);
/// elsewhere it does nothing.
pub fn give_back() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim takes no pointer and only releases memory that
    // malloc holds free; it is thread-safe (it takes each arena's lock).
    #[allow(unsafe_code)]
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Caps glibc's heap arenas at two, where it would make up to eight per
/// core: each arena keeps its own free pages, so with tokio's and WebKit's
/// many threads the same freed memory was held several times over. The
/// shells call it first thing in `main`, before any thread starts.
pub fn fewer_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt takes two integers and changes a malloc setting; it is
    // called before any other thread exists.
    #[allow(unsafe_code)]
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}
