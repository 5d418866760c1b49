//! A fake `tornado.web.RequestHandler`, and a source of chunks for it.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;
use std::time::Duration;

use gust::concurrent::Future;
use gust::gen_;
use gust::prelude::*;

use super::FETCH_TIME;

/// How long [`RequestHandler::flush`] takes.
pub const FLUSH_TIME: Duration = Duration::from_secs(1);

/// A fake `RequestHandler`: records what is written, flushed and
/// rendered. A cheap handle (clones share one request), so coroutines can
/// own one. Port a handler class as a struct around it that derefs to it:
/// then `self.render(...)` reads as in Python.
#[derive(Clone, Default)]
pub struct RequestHandler {
    state: Rc<HandlerState>,
}

#[derive(Default)]
struct HandlerState {
    buffer: RefCell<Vec<String>>,
    flushed: RefCell<Vec<String>>,
    flushes: Cell<usize>,
    rendered: RefCell<Option<String>>,
    finished: Future<()>,
}

impl RequestHandler {
    /// A handler for one request.
    pub fn new() -> RequestHandler {
        RequestHandler::default()
    }

    /// Buffers `chunk` for the response.
    pub fn write(&self, chunk: impl Into<String>) {
        self.state.buffer.borrow_mut().push(chunk.into());
    }

    /// Sends the buffered output to the client: a coroutine that takes
    /// [`FLUSH_TIME`] of loop time.
    pub fn flush(&self) -> Future<()> {
        let state = self.state.clone();
        let chunks: Vec<String> = std::mem::take(&mut *state.buffer.borrow_mut());
        gen_::coroutine(move |co| {
            co.yield_(gen_::sleep(FLUSH_TIME))?;
            state.flushed.borrow_mut().extend(chunks);
            state.flushes.set(state.flushes.get() + 1);
            Ok(())
        })
    }

    /// Renders `template_name` and finishes the request.
    pub fn render(&self, template_name: &str) {
        *self.state.rendered.borrow_mut() = Some(template_name.to_owned());
        self.finish();
    }

    /// Finishes the request (once).
    pub fn finish(&self) {
        if !self.state.finished.done() {
            let _ = self.state.finished.set_result(());
        }
    }

    /// A future resolved when the request is finished.
    pub fn finished(&self) -> Future<()> {
        self.state.finished.clone()
    }

    /// Whether the request is finished.
    pub fn is_finished(&self) -> bool {
        self.state.finished.done()
    }

    /// The template rendered, if any.
    pub fn rendered(&self) -> Option<String> {
        self.state.rendered.borrow().clone()
    }

    /// The chunks flushed to the client so far.
    pub fn flushed(&self) -> Vec<String> {
        self.state.flushed.borrow().clone()
    }

    /// How many flushes have completed.
    pub fn flushes(&self) -> usize {
        self.state.flushes.get()
    }
}

/// Where the docs' `self.fetch_next_chunk()` gets its chunks: each fetch
/// takes [`FETCH_TIME`] of loop time; after the last chunk it gives `None`.
#[derive(Clone)]
pub struct ChunkSource {
    chunks: Rc<RefCell<VecDeque<String>>>,
    fetches: Rc<Cell<usize>>,
}

impl ChunkSource {
    /// A source of these chunks.
    pub fn new(chunks: &[&str]) -> ChunkSource {
        ChunkSource {
            chunks: Rc::new(RefCell::new(chunks.iter().map(|c| (*c).to_owned()).collect())),
            fetches: Rc::new(Cell::new(0)),
        }
    }

    /// The next chunk, as a decorated coroutine (it starts at once).
    pub fn fetch_next_chunk(&self) -> Future<Option<String>> {
        let source = self.clone();
        source.fetches.set(source.fetches.get() + 1);
        gen_::coroutine(move |co| {
            co.yield_(gen_::sleep(FETCH_TIME))?;
            Ok(source.chunks.borrow_mut().pop_front())
        })
    }

    /// The next chunk, as a native coroutine (it does nothing until
    /// awaited or spawned).
    pub fn fetch_next_chunk_native(
        &self,
    ) -> impl std::future::Future<Output = Result<Option<String>, Error>> + use<> {
        let source = self.clone();
        async move {
            source.fetches.set(source.fetches.get() + 1);
            gen_::sleep(FETCH_TIME).await?;
            let chunk = source.chunks.borrow_mut().pop_front();
            Ok(chunk)
        }
    }

    /// How many fetches have started.
    pub fn fetches(&self) -> usize {
        self.fetches.get()
    }
}
