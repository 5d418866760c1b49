//! hyper 1.x client baseline of `benches/http.rs`: N sequential keep-alive
//! GETs on one connection, then N GETs with up to C connections in flight,
//! against a local server; prints one line per measurement.
//!
//! Usage: hyper_client PORT N C
use std::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::Request;
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

async fn connection(port: u16) -> http1::SendRequest<Empty<Bytes>> {
    let stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let (sender, conn) = http1::handshake(TokioIo::new(stream)).await.unwrap();
    tokio::task::spawn(async move {
        let _ = conn.await;
    });
    sender
}

async fn get(sender: &mut http1::SendRequest<Empty<Bytes>>, port: u16) -> usize {
    sender.ready().await.unwrap();
    let request = Request::get(format!("http://127.0.0.1:{port}/"))
        .header("Host", format!("127.0.0.1:{port}"))
        .body(Empty::<Bytes>::new())
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    assert_eq!(response.status(), 200);
    response.into_body().collect().await.unwrap().to_bytes().len()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let port: u16 = args.next().and_then(|p| p.parse().ok()).unwrap_or(8888);
    let n: usize = args.next().and_then(|p| p.parse().ok()).unwrap_or(10_000);
    let c: usize = args.next().and_then(|p| p.parse().ok()).unwrap_or(100);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async move {
        let mut sender = connection(port).await;
        let start = Instant::now();
        for _ in 0..n {
            get(&mut sender, port).await;
        }
        let secs = start.elapsed().as_secs_f64();
        println!("hyper sequential: {n} fetches in {secs:.3} s = {:.0} fetches/s", n as f64 / secs);

        let start = Instant::now();
        let per = n / c;
        let mut tasks = Vec::new();
        for _ in 0..c {
            tasks.push(tokio::task::spawn(async move {
                let mut sender = connection(port).await;
                for _ in 0..per {
                    get(&mut sender, port).await;
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        let secs = start.elapsed().as_secs_f64();
        println!(
            "hyper concurrent ({c} connections): {} fetches in {secs:.3} s = {:.0} fetches/s",
            per * c,
            (per * c) as f64 / secs
        );
    });
}
