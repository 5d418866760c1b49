//! Running a test's other half in a child process: for crashes, resource
//! limits and anything else that must not touch the test process.
//!
//! The test binary runs itself (`--exact NAME --nocapture`), NAME being the
//! test's path in its binary (e.g. `overflow::...`), with [`CHILD_ENV`] set
//! to that name; the same test function, seeing the variable
//! ([`is_child`]), plays the child. The parent checks the child's exit
//! status and output, including the [`CHILD_DONE`] line the child prints
//! when it ran to the end, so that a child that ran no test at all cannot
//! pass.
//!
//! ```no_run
//! use gust_dev_support::child::{CHILD_DONE, is_child, run_child};
//!
//! const NAME: &str = "limits::test_something";
//! if is_child(NAME) {
//!     // ... the part that needs its own process ...
//!     println!("{CHILD_DONE}");
//!     return;
//! }
//! let output = run_child(NAME, &[]);
//! assert!(output.status.success());
//! assert!(String::from_utf8_lossy(&output.stdout).contains(CHILD_DONE));
//! ```

use std::process::{Command, Output};

/// Set in a child process to the name of the test it runs.
pub const CHILD_ENV: &str = "GUST_TEST_CHILD";

/// Printed by a child when its part of the test ran to the end.
pub const CHILD_DONE: &str = "GUST-CHILD-DONE";

/// Whether this process is the child of the test `name`.
pub fn is_child(name: &str) -> bool {
    std::env::var(CHILD_ENV).as_deref() == Ok(name)
}

/// Runs the test `name` of this binary in a child process, which sees
/// [`CHILD_ENV`] set and so plays the child's part; `envs` are set for it
/// too. The child's output is printed (libtest shows it if the test
/// fails).
///
/// # Panics
///
/// If the test binary cannot be run.
pub fn run_child(name: &str, envs: &[(&str, &str)]) -> Output {
    let mut command = Command::new(std::env::current_exe().expect("the test binary's path"));
    command
        .args(["--exact", name, "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, name)
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LOG");
    for (key, value) in envs {
        command.env(key, value);
    }
    let output = command.output().expect("run the test binary as a child");
    eprintln!(
        "child {name}: {}\n--- child stdout ---\n{}--- child stderr ---\n{}--- end of child output ---",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}
