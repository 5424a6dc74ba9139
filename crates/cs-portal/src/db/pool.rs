//! A small blocking connection pool, for both drivers: connections are made
//! on demand up to a maximum, handed out one per transaction, and returned
//! when the transaction ends (or dropped if it broke the connection).

use std::sync::{Condvar, Mutex};

use super::DbError;

type Make<C> = Box<dyn Fn() -> Result<C, DbError> + Send + Sync>;

pub struct Pool<C> {
    state: Mutex<State<C>>,
    returned: Condvar,
    make: Make<C>,
    max: usize,
}

struct State<C> {
    idle: Vec<C>,
    open: usize,
}

impl<C> Pool<C> {
    pub fn new(max: usize, make: Make<C>) -> Pool<C> {
        Pool {
            state: Mutex::new(State {
                idle: Vec::new(),
                open: 0,
            }),
            returned: Condvar::new(),
            make,
            max: max.max(1),
        }
    }

    /// A connection, waiting for one to be returned when all are in use.
    pub fn get(&self) -> Result<Pooled<'_, C>, DbError> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(conn) = state.idle.pop() {
                return Ok(Pooled {
                    pool: self,
                    conn: Some(conn),
                });
            }
            if state.open < self.max {
                state.open += 1;
                drop(state);
                return match (self.make)() {
                    Ok(conn) => Ok(Pooled {
                        pool: self,
                        conn: Some(conn),
                    }),
                    Err(e) => {
                        self.forget();
                        Err(e)
                    }
                };
            }
            state = self.returned.wait(state).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// Takes every idle connection out of the pool (to close them elsewhere).
    pub fn drain(&self) -> Vec<C> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let idle = std::mem::take(&mut state.idle);
        state.open -= idle.len();
        idle
    }

    fn forget(&self) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.open -= 1;
        self.returned.notify_one();
    }
}

/// A connection on loan; it goes back to the pool when dropped.
pub struct Pooled<'a, C> {
    pool: &'a Pool<C>,
    conn: Option<C>,
}

impl<C> Pooled<'_, C> {
    pub fn conn(&mut self) -> &mut C {
        self.conn
            .as_mut()
            .expect("a pooled connection until dropped")
    }

    /// Drops the connection instead of returning it (it may be broken).
    pub fn discard(mut self) {
        self.conn = None;
        self.pool.forget();
    }
}

impl<C> Drop for Pooled<'_, C> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            let mut state = self.pool.state.lock().unwrap_or_else(|p| p.into_inner());
            state.idle.push(conn);
            self.pool.returned.notify_one();
        }
    }
}
