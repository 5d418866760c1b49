//! Recording destructors.

use std::cell::RefCell;
use std::rc::Rc;

/// Records its name in a shared list when dropped: a destructor on a
/// coroutine's stack (Python's `finally`).
pub struct Guard {
    log: Rc<RefCell<Vec<&'static str>>>,
    name: &'static str,
}

impl Guard {
    /// A guard that appends `name` to `log` when dropped.
    pub fn new(log: &Rc<RefCell<Vec<&'static str>>>, name: &'static str) -> Guard {
        Guard {
            log: log.clone(),
            name,
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.log.borrow_mut().push(self.name);
    }
}

/// A list for [`Guard`]s to record into.
pub fn new_log() -> Rc<RefCell<Vec<&'static str>>> {
    Rc::new(RefCell::new(Vec::new()))
}
