//! Tornado's concurrent web spider (the user guide's "Queue example"), on
//! gust: 10 workers take URLs from a `Queue`, fetch each page with the
//! `AsyncHTTPClient`, and put the links they find beneath the base URL
//! back into the queue; `q.join()` waits until every URL put has been
//! processed.
//!
//! Run with `cargo run --example webspider`. The site it crawls is served
//! in the same process by a gust `HTTPServer` on 127.0.0.1: a generated
//! tree of 300 pages under `/docs/`, with some dead links, links outside
//! `/docs/` and links to other hosts (neither is followed). Each page
//! answers after a few milliseconds, so that fetches overlap.
//!
//! `docs/ports/webspider.md` sets this file beside Tornado's Python;
//! `tests/webspider.rs` runs the crawl and checks what it finds.

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::rc::Rc;
use std::time::{Duration, Instant};

use gust::concurrent::Future;
use gust::gen_;
use gust::httpclient::AsyncHTTPClient;
use gust::httpserver::{HTTPServer, ResponseWriter, Router};
use gust::httputil::{HTTPServerRequest, url_join};
use gust::prelude::*;
use gust::queues::Queue;

// ---------------------------------------------------------------------
// The spider (Tornado's demos/webspider/webspider.py)
// ---------------------------------------------------------------------

const CONCURRENCY: usize = 10;

/// Download the page at `url` and parse it for links.
///
/// Returned links have had the fragment after `#` removed, and have been
/// made absolute so, e.g. the URL `p2.html#intro` becomes
/// `http://127.0.0.1:PORT/docs/p2.html`.
async fn get_links_from_url(url: &str) -> Result<Vec<String>, Error> {
    let response = AsyncHTTPClient::new().fetch(url).await?;
    println!("fetched {url}");

    let html = response.body_str();
    Ok(get_links(&html)
        .iter()
        .map(|new_url| url_join(url, remove_fragment(new_url)))
        .collect())
}

pub(crate) fn remove_fragment(url: &str) -> &str {
    match url.split_once('#') {
        Some((pure_url, _frag)) => pure_url,
        None => url,
    }
}

/// The `href` of every `<a>` tag (Python's `HTMLParser` subclass
/// `URLSeeker`, reduced to what it looks at).
pub(crate) fn get_links(html: &str) -> Vec<String> {
    let mut urls = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        rest = &rest[start + 1..];
        let end = rest.find('>').unwrap_or(rest.len());
        let tag = &rest[..end];
        rest = &rest[end..];
        let mut words = tag.split_ascii_whitespace();
        if !words.next().is_some_and(|name| name.eq_ignore_ascii_case("a")) {
            continue;
        }
        if let Some(href) = attribute(tag, "href") {
            urls.push(href.to_owned());
        }
    }
    urls
}

/// The value of attribute `name` in the inside of a tag (`a href="x"`).
fn attribute<'t>(tag: &'t str, name: &str) -> Option<&'t str> {
    let mut rest = tag;
    while let Some(at) = rest.find('=') {
        let key = rest[..at].trim_end();
        let key = &key[key.rfind(|c: char| c.is_ascii_whitespace()).map_or(0, |i| i + 1)..];
        let value = rest[at + 1..].trim_start();
        let (value, after) = match value.chars().next() {
            Some(quote @ ('"' | '\'')) => match value[1..].find(quote) {
                Some(close) => (&value[1..=close], &value[close + 2..]),
                None => (&value[1..], ""),
            },
            _ => {
                let close = value
                    .find(|c: char| c.is_ascii_whitespace())
                    .unwrap_or(value.len());
                (&value[..close], &value[close..])
            }
        };
        if key.eq_ignore_ascii_case(name) {
            return Some(value);
        }
        rest = after;
    }
    None
}

/// The shared state of `main`'s nested functions in Python (`q`,
/// `fetching`, `fetched`, `dead`): cloned into each worker.
#[derive(Clone)]
struct Spider {
    base_url: String,
    q: Queue<Option<String>>,
    fetching: Rc<RefCell<HashSet<String>>>,
    fetched: Rc<RefCell<HashSet<String>>>,
    dead: Rc<RefCell<HashSet<String>>>,
}

impl Spider {
    async fn fetch_url(&self, current_url: String) -> Result<(), Error> {
        if self.fetching.borrow().contains(&current_url) {
            return Ok(());
        }

        println!("fetching {current_url}");
        self.fetching.borrow_mut().insert(current_url.clone());
        let urls = get_links_from_url(&current_url).await?;
        self.fetched.borrow_mut().insert(current_url);

        for new_url in urls {
            // Only follow links beneath the base URL
            if new_url.starts_with(&self.base_url) {
                self.q.put(Some(new_url), None).await?;
            }
        }
        Ok(())
    }

    async fn worker(self) -> Result<(), Error> {
        let mut q = self.q.stream();
        while let Some(url) = q.next().await {
            let Some(url) = url else {
                return Ok(());
            };
            if let Err(e) = self.fetch_url(url.clone()).await {
                println!("Exception: {e} {url}");
                self.dead.borrow_mut().insert(url);
            }
            self.q.task_done()?; // finally:
        }
        Ok(())
    }
}

/// What a crawl found.
#[derive(Debug, Default)]
pub(crate) struct Found {
    pub(crate) fetched: HashSet<String>,
    pub(crate) dead: HashSet<String>,
}

/// Tornado's `main()`, with the base URL as an argument and what it found
/// as its result.
pub(crate) async fn crawl(base_url: String) -> Result<Found, Error> {
    let q = Queue::new(0);
    let start = Instant::now();
    let spider = Spider {
        base_url: base_url.clone(),
        q: q.clone(),
        fetching: Rc::default(),
        fetched: Rc::default(),
        dead: Rc::default(),
    };

    q.put(Some(base_url), None).await?;

    // Start workers, then wait for the work queue to be empty.
    let workers = gen_::multi(
        (0..CONCURRENCY)
            .map(|_| gen_::native(spider.clone().worker()))
            .collect::<Vec<_>>(),
    );
    q.join(Duration::from_secs(300)).await?;
    let fetched = spider.fetched.take();
    let dead = spider.dead.take();
    assert_eq!(*spider.fetching.borrow(), &fetched | &dead);
    println!(
        "Done in {:.3} seconds, fetched {} URLs.",
        start.elapsed().as_secs_f64(),
        fetched.len()
    );
    println!("Unable to fetch {} URLs.", dead.len());

    // Signal all the workers to exit.
    for _ in 0..CONCURRENCY {
        q.put(None, None).await?;
    }
    workers.await?;
    Ok(Found { fetched, dead })
}

// ---------------------------------------------------------------------
// The site it crawls (in Tornado's demo, www.tornadoweb.org)
// ---------------------------------------------------------------------

/// A generated site: page 0 is `/docs/`, page `i` is `/docs/p{i}.html`.
/// The pages form a tree (page `i` links to its children `4i + 1` to
/// `4i + 4`, its parent and the root); every 20th page, from page 7, also
/// links to an old page that is gone (404). Every page also links to
/// itself (`#top`), to `/about.html` (outside `/docs/`) and to another
/// host. Page `i` answers after `1 + i % 5` milliseconds.
pub(crate) struct Site {
    pages: usize,
    /// Requests received, being answered now, and the most there ever
    /// were at once.
    requests: Cell<usize>,
    in_flight: Cell<usize>,
    max_in_flight: Cell<usize>,
}

impl Site {
    pub(crate) fn new(pages: usize) -> Rc<Site> {
        Rc::new(Site {
            pages,
            requests: Cell::new(0),
            in_flight: Cell::new(0),
            max_in_flight: Cell::new(0),
        })
    }

    /// How many requests the server received.
    pub(crate) fn requests(&self) -> usize {
        self.requests.get()
    }

    /// The most requests the server was answering at once.
    pub(crate) fn max_in_flight(&self) -> usize {
        self.max_in_flight.get()
    }

    /// The page's number, for a path of the site.
    fn page_number(&self, path: &str) -> Option<usize> {
        if path == "/docs/" {
            return Some(0);
        }
        let number = path.strip_prefix("/docs/p")?.strip_suffix(".html")?;
        let i: usize = number.parse().ok()?;
        (i > 0 && i < self.pages && number == i.to_string()).then_some(i)
    }

    fn html(&self, i: usize) -> String {
        let mut links = Vec::new();
        for child in 4 * i + 1..=4 * i + 4 {
            if child < self.pages {
                // Every other child link carries a fragment.
                let fragment = if child % 2 == 1 { "#intro" } else { "" };
                links.push(format!("p{child}.html{fragment}"));
            }
        }
        if i > 0 {
            let parent = (i - 1) / 4;
            links.push(if parent == 0 {
                "./".to_owned()
            } else {
                format!("p{parent}.html#top")
            });
        }
        if i % 20 == 7 {
            links.push(format!("p{i}-old.html"));
        }
        links.extend(["#top", "/docs/", "../about.html", "http://www.tornadoweb.org/"].map(String::from));
        let anchors: String = links
            .iter()
            .map(|href| format!("<li><a class=\"nav\" href=\"{href}\">{href}</a>\n"))
            .collect();
        format!(
            "<!DOCTYPE html>\n<html><head><title>Page {i}</title>\
             <link rel=\"stylesheet\" href=\"style.css\"></head>\n\
             <body><a name=\"top\"></a><h1>Page {i}</h1>\n<ul>\n{anchors}</ul></body></html>\n"
        )
    }

    /// The request handler: a page of the tree (after its delay), or 404.
    fn router(self: &Rc<Site>) -> Router {
        let (site, about) = (self.clone(), self.clone());
        Router::new()
            .get(
                "/docs/*",
                move |request: HTTPServerRequest, writer: ResponseWriter| -> Future<()> {
                    let site = site.clone();
                    let page = site.page_number(&request.path);
                    site.requests.set(site.requests.get() + 1);
                    site.in_flight.set(site.in_flight.get() + 1);
                    site.max_in_flight
                        .set(site.max_in_flight.get().max(site.in_flight.get()));
                    gen_::coroutine(move |co| {
                        let delay = Duration::from_millis(1 + page.unwrap_or(0) as u64 % 5);
                        let slept = co.yield_(gen_::sleep(delay));
                        site.in_flight.set(site.in_flight.get() - 1);
                        slept?;
                        match page {
                            Some(i) => writer.write(site.html(i)),
                            None => drop(writer.send_error(404)),
                        }
                        Ok(())
                    })
                },
            )
            .get(
                "/about.html",
                move |_: HTTPServerRequest, writer: ResponseWriter| {
                    about.requests.set(about.requests.get() + 1);
                    writer.write("about");
                },
            )
    }
}

/// Serves `site` on 127.0.0.1 (a free port) on the current loop; returns
/// the server and the base URL of the crawl.
pub(crate) fn serve(site: &Rc<Site>) -> std::io::Result<(HTTPServer, String)> {
    let server = HTTPServer::new(site.router());
    server.listen(0, "127.0.0.1")?;
    let base_url = format!("http://127.0.0.1:{}/docs/", server.local_addrs()[0].port());
    Ok((server, base_url))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    env_logger::init();
    let io_loop = IOLoop::new();
    let site = Site::new(300);
    let (_server, base_url) = serve(&site)?;
    let found = io_loop.run_sync(move || gen_::native(crawl(base_url)), None)?;
    let mut dead: Vec<&String> = found.dead.iter().collect();
    dead.sort();
    println!("{} pages found; dead links: {dead:?}", found.fetched.len());
    println!(
        "The server answered {} requests, at most {} at once ({CONCURRENCY} workers).",
        site.requests(),
        site.max_in_flight()
    );
    Ok(())
}
