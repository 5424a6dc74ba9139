//! One window per data folder. The first start holds `window.lock` in the
//! data folder for its life and listens on `window.sock` beside it; a later
//! start with the same folder finds the lock taken, asks the running window
//! to come to the front through the socket, and exits before it touches the
//! database. Plain Unix sockets and a file lock: no session bus needed.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const LOCK: &str = "window.lock";
const SOCKET: &str = "window.sock";
/// How long a later start keeps asking a window that holds the lock but does
/// not answer yet (starting) or any more (closing: then the lock frees).
const PATIENCE: Duration = Duration::from_secs(15);

/// The held lock, taken out by [`release`].
static HELD: Mutex<Option<File>> = Mutex::new(None);
/// Set by [`release`]: later starts are told "closing" instead of "ok".
static CLOSING: AtomicBool = AtomicBool::new(false);

/// Gives the data folder's window up before this process ends (the window
/// closes, or the app restarts into an update): a start from now on waits
/// for the lock instead of handing over to a window on its way out.
pub fn release() {
    CLOSING.store(true, Ordering::SeqCst);
    // Dropping the file unlocks it.
    drop(HELD.lock().unwrap_or_else(|e| e.into_inner()).take());
}

/// What a start of the window found.
pub enum Start {
    /// This is the window of the data folder.
    First(Instance),
    /// The running window came to the front; this start should exit.
    HandedOver,
}

/// The claim of the first start: the lock and the socket later starts call.
pub struct Instance {
    listener: UnixListener,
    socket: PathBuf,
}

/// Claims the window of `dir`, or hands over to the window that has it.
pub fn claim(dir: &Path) -> anyhow::Result<Start> {
    let socket = dir.join(SOCKET);
    let deadline = Instant::now() + PATIENCE;
    loop {
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join(LOCK))?;
        match lock.try_lock() {
            Ok(()) => {
                // A socket file left by a window that crashed answers nobody.
                let _ = std::fs::remove_file(&socket);
                let listener = UnixListener::bind(&socket).map_err(|e| {
                    anyhow::anyhow!("cannot listen on {}: {e}", socket.display())
                })?;
                CLOSING.store(false, Ordering::SeqCst);
                *HELD.lock().unwrap_or_else(|e| e.into_inner()) = Some(lock);
                return Ok(Start::First(Instance { listener, socket }));
            }
            Err(TryLockError::WouldBlock) => match ask_to_focus(&socket) {
                Ok(()) => return Ok(Start::HandedOver),
                Err(e) if Instant::now() < deadline => {
                    tracing::debug!(error = %e, "the running window does not answer yet");
                    std::thread::sleep(Duration::from_millis(200));
                }
                Err(e) => anyhow::bail!(
                    "another ContainerStacks window has this data folder ({}) but does not answer ({e}): close it and start again",
                    dir.display()
                ),
            },
            Err(TryLockError::Error(e)) => return Err(e.into()),
        }
    }
}

fn ask_to_focus(socket: &Path) -> std::io::Result<()> {
    let mut stream = UnixStream::connect(socket)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.write_all(b"focus\n")?;
    let mut answer = String::new();
    BufReader::new(stream).read_line(&mut answer)?;
    if answer.trim() == "ok" {
        Ok(())
    } else {
        Err(std::io::Error::other(format!(
            "it answered {answer:?} instead of \"ok\""
        )))
    }
}

impl Instance {
    /// Answers later starts for the life of the process, calling `focus` for
    /// each until [`release`].
    pub fn serve(self, focus: impl Fn() + Send + 'static) {
        let Instance { listener, socket } = self;
        let spawned = std::thread::Builder::new()
            .name("single-instance".into())
            .spawn(move || {
                for stream in listener.incoming() {
                    match stream {
                        Ok(stream) => {
                            if let Err(e) = answer(stream, &focus) {
                                tracing::warn!(error = %e, "a later start's request failed");
                            }
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, socket = %socket.display(), "the window's socket failed");
                            std::thread::sleep(Duration::from_secs(1));
                        }
                    }
                }
            });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "could not listen for later starts");
        }
    }
}

fn answer(stream: UnixStream, focus: &impl Fn()) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    let mut request = String::new();
    BufReader::new(&stream).read_line(&mut request)?;
    if CLOSING.load(Ordering::SeqCst) {
        return (&stream).write_all(b"closing\n");
    }
    if request.trim() != "focus" {
        return Err(std::io::Error::other(format!(
            "unknown request {request:?}"
        )));
    }
    tracing::info!("the app was started again: showing this window");
    focus();
    (&stream).write_all(b"ok\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::sync::Arc;

    /// One test, in order: the claim is process-wide state.
    #[test]
    fn one_window_per_data_folder() {
        let dir = tempfile::tempdir().unwrap();
        // A socket file left by a crash does not block the first start.
        std::fs::write(dir.path().join(SOCKET), b"left by a crash").unwrap();
        let Start::First(first) = claim(dir.path()).unwrap() else {
            panic!("the first start must get the window");
        };
        let focused = Arc::new(AtomicUsize::new(0));
        let seen = focused.clone();
        first.serve(move || {
            seen.fetch_add(1, Ordering::SeqCst);
        });
        // Later starts hand over: the window is asked to come forward.
        for _ in 0..2 {
            assert!(matches!(claim(dir.path()).unwrap(), Start::HandedOver));
        }
        assert_eq!(focused.load(Ordering::SeqCst), 2);
        // A window on its way out says so, and the next start gets the folder.
        release();
        assert!(ask_to_focus(&dir.path().join(SOCKET)).is_err());
        assert!(matches!(claim(dir.path()).unwrap(), Start::First(_)));
        assert_eq!(focused.load(Ordering::SeqCst), 2);
        release();
    }
}
