//! What creates a loop implicitly (`IOLoop::current()` on a thread with no
//! current loop) fails with a typed error when the operating system refuses
//! one, instead of panicking.

use super::*;
use gust::concurrent::{DummyExecutor, submit_to};
use gust::ioloop::PeriodicCallback;
use gust_dev_support::child::{CHILD_DONE, is_child, run_child};

/// Opens files until the process has no file descriptor left (after
/// lowering its soft limit, so this takes few); keep them to stay there.
fn exhaust_file_descriptors() -> Vec<std::fs::File> {
    let (_, hard) = rlimit::getrlimit(rlimit::Resource::NOFILE).unwrap();
    let open = std::fs::read_dir("/proc/self/fd").unwrap().count() as u64;
    rlimit::setrlimit(rlimit::Resource::NOFILE, open + 16, hard).unwrap();
    let mut files = Vec::new();
    loop {
        match std::fs::File::open("/dev/null") {
            Ok(file) => files.push(file),
            Err(e) if e.raw_os_error() == Some(libc::EMFILE) => return files,
            Err(e) => panic!("unexpected error: {e}"),
        }
        assert!(files.len() < 1000, "the limit did not take");
    }
}

/// The future failed with the operating system's "too many open files".
fn assert_emfile<T: 'static>(what: &str, f: Future<T>) {
    assert!(f.done(), "{what}: not done");
    let error = f
        .take_result()
        .err()
        .unwrap_or_else(|| panic!("{what}: succeeded"));
    assert_eq!(error.kind(), ErrorKind::Io, "{what}: {error}");
    let io = error.downcast_ref::<std::io::Error>().unwrap();
    assert_eq!(io.raw_os_error(), Some(libc::EMFILE), "{what}: {error}");
}

// New: with no file descriptor left, a thread without a current loop
// cannot get one; every gust function that would make one implicitly
// returns a future failed with the I/O error (PeriodicCallback::try_start
// returns it; `start` logs it), and nothing panics.
#[test]
fn test_no_loop_can_be_made_is_a_typed_error() {
    const NAME: &str = "implicit_loop::test_no_loop_can_be_made_is_a_typed_error";
    if is_child(NAME) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let files = exhaust_file_descriptors();
        std::thread::spawn(move || {
            assert!(IOLoop::current_opt().is_none());
            let error = IOLoop::try_current().expect_err("no loop can be made");
            assert_eq!(error.raw_os_error(), Some(libc::EMFILE));
            assert_emfile("coroutine", gen_::coroutine(|_co| Ok(1)));
            assert_emfile("sleep", gen_::sleep(Duration::from_secs(1)));
            assert_emfile(
                "with_timeout",
                gen_::with_timeout(Duration::from_secs(1), Future::<u8>::new()),
            );
            let native = gen_::native(async { Ok::<u8, Error>(1) });
            assert_emfile("native", gen_::convert_yielded(native));
            assert_emfile("submit_to", submit_to(&DummyExecutor, || 1));
            let pc = PeriodicCallback::new(|| {}, Duration::from_secs(1)).unwrap();
            let error = pc.try_start().expect_err("no loop to start on");
            assert_eq!(error.raw_os_error(), Some(libc::EMFILE));
            pc.start();
            assert!(!pc.is_running());
            assert!(gust::runner::runner_of(&Future::<u8>::new()).is_none());
            let error = gust::netutil::add_accept_handler(listener, |_, _| {}).expect_err("no loop");
            assert_eq!(error.raw_os_error(), Some(libc::EMFILE));
            assert_emfile(
                "connect",
                gust::tcpclient::TCPClient::new().connect("127.0.0.1", port),
            );
        })
        .join()
        .expect("no panic");
        drop(files);
        println!("{CHILD_DONE}");
        return;
    }
    let output = run_child(NAME, &[]);
    assert!(output.status.success(), "the child failed: {}", output.status);
    assert!(String::from_utf8_lossy(&output.stdout).contains(CHILD_DONE));
}
