//! The web spider example (`examples/webspider.rs`): the pages it finds,
//! and that at most 10 fetches ever run at once.

#[allow(dead_code)] // the example's `main`
#[path = "../examples/webspider.rs"]
mod webspider;

use std::collections::HashSet;
use std::time::Duration;

use gust::gen_;
use gust::ioloop::ManualClock;
use gust::prelude::*;

/// The crawl of a 300-page site, on a loop whose clock jumps over the
/// pages' delays: every page of the tree is fetched once, each dead link is
/// reported once, nothing outside the base URL is followed, and the server
/// never answers more than 10 requests at once (nor fewer, once the tree
/// is wide enough: the 10 workers all fetch).
#[test]
fn crawls_the_site_with_ten_workers() {
    let io_loop = IOLoop::with_clock(ManualClock::autojump());
    let site = webspider::Site::new(300);
    let (_server, base_url) = webspider::serve(&site).unwrap();
    let base = base_url.clone();
    let found = io_loop
        .run_sync(
            move || gen_::native(webspider::crawl(base)),
            Some(Duration::from_secs(60)),
        )
        .unwrap();

    let mut pages: HashSet<String> = (1..300).map(|i| format!("{base_url}p{i}.html")).collect();
    pages.insert(base_url.clone());
    assert_eq!(found.fetched, pages);
    let dead: HashSet<String> = (0..300)
        .filter(|i| i % 20 == 7)
        .map(|i| format!("{base_url}p{i}-old.html"))
        .collect();
    assert_eq!(dead.len(), 15);
    assert_eq!(found.dead, dead);

    assert_eq!(site.max_in_flight(), 10);
    // One request per page and per dead link: nothing fetched twice, and
    // nothing outside /docs/ (/about.html, the other host) at all.
    assert_eq!(site.requests(), 300 + 15);
}

/// `get_links` finds the `href` of `<a>` tags only, however quoted, and
/// `remove_fragment` drops what follows `#`.
#[test]
fn finds_the_links_of_a_page() {
    let html = r#"<html><head><link href="style.css"></head><body>
        <a name="top"></a><A HREF='upper.html'>x</A>
        <a class="nav" href=bare.html>y</a> <a title="a=b" href="q.html?x=1#frag">z</a>
        <p href="not-a-link.html"></p><abbr href="nor-this.html"></abbr>"#;
    assert_eq!(
        webspider::get_links(html),
        ["upper.html", "bare.html", "q.html?x=1#frag"]
    );
    assert_eq!(webspider::remove_fragment("q.html?x=1#frag"), "q.html?x=1");
    assert_eq!(webspider::remove_fragment("#top"), "");
    assert_eq!(webspider::remove_fragment("plain.html"), "plain.html");
}

/// The port page (`docs/ports/webspider.md`) shows the example cut into
/// pieces beside Tornado's Python: each of its Rust blocks must be the
/// example's text, verbatim, so that the page cannot drift from the
/// program that runs.
#[test]
fn the_port_page_quotes_the_example() {
    let page = include_str!("../docs/ports/webspider.md");
    let example = include_str!("../examples/webspider.rs");
    let mut blocks = 0;
    let mut rest = page;
    while let Some(start) = rest.find("```rust\n") {
        let body = &rest[start + "```rust\n".len()..];
        let end = body.find("\n```").expect("a closed block");
        let block = &body[..end + 1];
        assert!(example.contains(block), "not in examples/webspider.rs:\n{block}");
        blocks += 1;
        rest = &body[end..];
    }
    assert_eq!(blocks, 7);
}
