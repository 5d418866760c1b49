//! A fake of the `motor` package: a client whose `test` database has a
//! `collection` of [`DOCUMENTS`] documents, served in batches of
//! [`BATCH_SIZE`], each batch a round trip of [`ROUND_TRIP`] of loop
//! time.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;
use std::time::Duration;

use gust::concurrent::Future;
use gust::gen_;

/// Documents in the fake collection.
pub const DOCUMENTS: usize = 5;
/// Documents per round trip.
pub const BATCH_SIZE: usize = 2;
/// How long a round trip to the server takes.
pub const ROUND_TRIP: Duration = Duration::from_millis(10);

/// A document: `{"_id": id, "name": ...}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// `_id`.
    pub id: u32,
    /// `name`.
    pub name: String,
}

/// `motor.MotorClient()`.
pub struct MotorClient {
    /// The `test` database (Python: `client.test`).
    pub test: Database,
}

impl MotorClient {
    /// A client connected to the fake server.
    #[allow(clippy::new_without_default)]
    pub fn new() -> MotorClient {
        let docs = (1..=DOCUMENTS as u32)
            .map(|id| Document {
                id,
                name: format!("doc {id}"),
            })
            .collect();
        MotorClient {
            test: Database {
                collection: Collection {
                    docs: Rc::new(docs),
                    round_trips: Rc::new(Cell::new(0)),
                },
            },
        }
    }
}

/// A database.
#[derive(Clone)]
pub struct Database {
    /// The collection named `collection` (Python: `db.collection`).
    pub collection: Collection,
}

/// A collection.
#[derive(Clone)]
pub struct Collection {
    docs: Rc<Vec<Document>>,
    round_trips: Rc<Cell<usize>>,
}

impl Collection {
    /// A cursor over every document (`collection.find()`).
    pub fn find(&self) -> Cursor {
        Cursor {
            collection: self.clone(),
            state: Rc::new(RefCell::new(CursorState {
                buffer: VecDeque::new(),
                next_index: 0,
            })),
        }
    }

    /// Round trips made to the server so far.
    pub fn round_trips(&self) -> usize {
        self.round_trips.get()
    }
}

struct CursorState {
    buffer: VecDeque<Document>,
    next_index: usize,
}

/// A cursor, as Motor's `MotorCursor`.
#[derive(Clone)]
pub struct Cursor {
    collection: Collection,
    state: Rc<RefCell<CursorState>>,
}

impl Cursor {
    /// Motor's `fetch_next`: a future resolving to whether a document
    /// is available. Already done (`true`) while the current batch
    /// lasts; otherwise a round trip fetches the next batch.
    pub fn fetch_next(&self) -> Future<bool> {
        if !self.state.borrow().buffer.is_empty() {
            return Future::ready(true);
        }
        let cursor = self.clone();
        gen_::coroutine(move |co| {
            co.yield_(gen_::sleep(ROUND_TRIP))?;
            let collection = &cursor.collection;
            collection.round_trips.set(collection.round_trips.get() + 1);
            let mut state = cursor.state.borrow_mut();
            let start = state.next_index.min(collection.docs.len());
            let end = (start + BATCH_SIZE).min(collection.docs.len());
            state.buffer.extend(collection.docs[start..end].iter().cloned());
            state.next_index = end;
            Ok(!state.buffer.is_empty())
        })
    }

    /// Motor's `next_object()`: the next document of the batch.
    pub fn next_object(&self) -> Option<Document> {
        self.state.borrow_mut().buffer.pop_front()
    }
}
