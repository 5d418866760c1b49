//! The docs' "simplified inner loop of tornado.gen.Runner":
//!
//!     def run(self):
//!         # send(x) makes the current yield return x.
//!         # It returns when the next yield is reached
//!         future = self.gen.send(self.next)
//!         def callback(f):
//!             self.next = f.result()
//!             self.run()
//!         future.add_done_callback(callback)

use super::*;

struct SimpleRunner {
    generator: RefCell<Generator<Future<i32>, i32, i32>>,
    result: Future<i32>,
    steps: Cell<u32>,
}

impl SimpleRunner {
    fn start(generator: Generator<Future<i32>, i32, i32>) -> Rc<SimpleRunner> {
        let runner = Rc::new(SimpleRunner {
            generator: RefCell::new(generator),
            result: Future::new(),
            steps: Cell::new(0),
        });
        let state = runner.generator.borrow_mut().start();
        SimpleRunner::handle(&runner, state);
        runner
    }

    fn run(self: &Rc<Self>, next: Result<i32, Error>) {
        // send(x) makes the current yield return x (throw: raise x there).
        // It returns when the next yield is reached.
        let state = match next {
            Ok(value) => self.generator.borrow_mut().send(value),
            Err(error) => self.generator.borrow_mut().throw(error),
        };
        SimpleRunner::handle(self, state);
    }

    fn handle(runner: &Rc<SimpleRunner>, state: Result<GeneratorState<Future<i32>, i32>, Error>) {
        runner.steps.set(runner.steps.get() + 1);
        match state {
            Ok(GeneratorState::Yielded(future)) => {
                let runner = runner.clone();
                future.add_done_callback(move |f| runner.run(f.result()));
            }
            Ok(GeneratorState::Returned(value)) => runner.result.set_result(value).unwrap(),
            Err(error) => runner.result.set_exception(error).unwrap(),
        }
    }
}

// Ports the docs' simplified Runner: the generator yields futures, the
// runner sends their results back in. A done future's callback runs at once
// (the Tornado 4 behaviour the sketch relies on), a pending one's when it is
// resolved; an error is thrown in at the yield.
#[test]
fn test_simplified_runner_inner_loop() {
    let a = Future::new();
    let b = Future::ready(2);
    let c = Future::new();
    let (ga, gb, gc) = (a.clone(), b.clone(), c.clone());
    let generator = Generator::new(move |y: &Yielder<Future<i32>, i32>| {
        let x = y.yield_(ga)?;
        let z = y.yield_(gb)?;
        let w = match y.yield_(gc) {
            Ok(v) => v,
            Err(e) if e.to_string() == "c failed" => 100,
            Err(e) => return Err(e),
        };
        Ok(x + z + w)
    })
    .unwrap();
    let runner = SimpleRunner::start(generator);
    assert!(!runner.result.done());
    assert_eq!(runner.steps.get(), 1);

    // Resolving `a` runs the generator on inside set_result, through the
    // already-done `b`, up to the pending `c`.
    a.set_result(1).unwrap();
    assert_eq!(runner.steps.get(), 3);
    assert!(!runner.result.done());

    c.set_exception(Error::msg("c failed")).unwrap();
    assert_eq!(runner.steps.get(), 4);
    assert_eq!(runner.result.result().unwrap(), 103);
    assert!(runner.generator.borrow().is_finished());
}

// The same runner reports a generator's uncaught error in its result.
#[test]
fn test_simplified_runner_propagates_errors() {
    let a = Future::new();
    let ga = a.clone();
    let generator = Generator::new(move |y: &Yielder<Future<i32>, i32>| {
        let x = y.yield_(ga)?;
        Ok(x)
    })
    .unwrap();
    let runner = SimpleRunner::start(generator);
    let error = Error::msg("a failed");
    a.set_exception(error.clone()).unwrap();
    let got = runner.result.result().unwrap_err();
    assert!(got.ptr_eq(&error));
}
