//! [`ChunkSource`]: the documents' `self.fetch_next_chunk()`.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use gust::concurrent::Future;
use gust::gen_;
use gust::prelude::*;

use super::FETCH_TIME;

/// Where the documents' `self.fetch_next_chunk()` gets its chunks (they
/// leave it undefined): each fetch takes [`FETCH_TIME`] of loop time; after
/// the last chunk it gives `None`. A cheap handle: clones share the chunks.
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
