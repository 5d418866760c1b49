#!/usr/bin/env python3
"""Tornado baseline for benches/net.rs: the same loopback workloads with
Tornado 6's IOStream, TCPServer and TCPClient, client and server as native
coroutines on one IOLoop (asyncio), on one thread.

    benches/run_net_baselines.sh          # creates a venv with tornado==6.6.1
    python3 benches/baselines/tornado_net.py [FILTER...]

Prints one line per measurement, median and min over the runs (default 7,
GUST_BENCH_RUNS overrides), in nanoseconds per operation, in the gust
harness's format. Counts are smaller than gust's and tokio's (Python is
slower); the per-op numbers are comparable.

- ping_pong_64B: write 64 bytes, read the 64-byte echo; one op is a round
  trip.
- bulk_256MiB: the client writes 256 MiB in 64 KiB writes; the server reads
  with read_into into one 64 KiB bytearray (partial=True) and answers one
  byte. One op is a MiB.
- conns_1000_x10: 1,000 connections opened first, then 10 round trips on
  each, all at once; one op is a round trip.
- open_10000: 10,000 connections held open at the same time: a child
  process opens them (blocking connects) and holds them; the server
  accepts each as an IOStream. One op is a connection, from the go signal
  to the last accept.
"""

import asyncio
import os
import resource
import socket
import sys
import time

from tornado.iostream import IOStream, StreamClosedError
from tornado.netutil import bind_sockets
from tornado.tcpclient import TCPClient
from tornado.tcpserver import TCPServer

RUNS = int(os.environ.get("GUST_BENCH_RUNS", "7"))
FILTERS = [a for a in sys.argv[1:] if not a.startswith("-")]
MSG = 64


def report(name, ops, samples):
    samples = sorted(samples)
    mid = len(samples) // 2
    median = samples[mid] if len(samples) % 2 else (samples[mid - 1] + samples[mid]) / 2
    print(
        f"{'tornado/' + name:<48} median {median * 1e9 / ops:.1f} ns/op  "
        f"min {samples[0] * 1e9 / ops:.1f} ns/op  (n={ops})",
        flush=True,
    )


def measure(name, ops, workload):
    if FILTERS and not any(f in name for f in FILTERS):
        return
    asyncio.run(workload())
    report(name, ops, [asyncio.run(workload()) for _ in range(RUNS)])


class EchoServer(TCPServer):
    async def handle_stream(self, stream, address):
        try:
            while True:
                data = await stream.read_bytes(MSG)
                await stream.write(data)
        except StreamClosedError:
            pass


def listen(server, backlog=128):
    sockets = bind_sockets(0, "127.0.0.1", family=socket.AF_INET, backlog=backlog)
    server.add_sockets(sockets)
    return sockets[0].getsockname()[1]


async def round_trip(stream, message):
    await stream.write(message)
    await stream.read_bytes(MSG)


def ping_pong(n):
    async def workload():
        server = EchoServer()
        port = listen(server)
        stream = await TCPClient().connect("127.0.0.1", port)
        message = b"\x07" * MSG
        await round_trip(stream, message)
        start = time.perf_counter()
        for _ in range(n):
            await round_trip(stream, message)
        elapsed = time.perf_counter() - start
        stream.close()
        server.stop()
        return elapsed

    return workload


def bulk(mib):
    chunk_size = 64 * 1024
    total = mib * 1024 * 1024

    class Sink(TCPServer):
        async def handle_stream(self, stream, address):
            buf = bytearray(chunk_size)
            received = 0
            while received < total:
                received += await stream.read_into(buf, partial=True)
            await stream.write(b"!")

    async def workload():
        server = Sink()
        port = listen(server)
        stream = await TCPClient().connect("127.0.0.1", port)
        chunk = b"\x01" * chunk_size
        start = time.perf_counter()
        for _ in range(total // chunk_size):
            await stream.write(chunk)
        await stream.read_bytes(1)
        elapsed = time.perf_counter() - start
        stream.close()
        server.stop()
        return elapsed

    return workload


def many_connections(conns, rounds):
    async def workload():
        server = EchoServer()
        port = listen(server, backlog=4096)
        client = TCPClient()
        streams = await asyncio.gather(*[client.connect("127.0.0.1", port) for _ in range(conns)])
        message = b"\x07" * MSG

        async def one(stream):
            for _ in range(rounds):
                await round_trip(stream, message)

        start = time.perf_counter()
        await asyncio.gather(*[one(s) for s in streams])
        elapsed = time.perf_counter() - start
        for s in streams:
            s.close()
        server.stop()
        return elapsed

    return workload


CLIENT = r"""
import socket, sys
port, conns = int(sys.argv[1]), int(sys.argv[2])
sys.stdin.readline()
held = [socket.create_connection(("127.0.0.1", port)) for _ in range(conns)]
print("done", len(held), flush=True)
sys.stdin.readline()
"""


def open_connections(conns):
    """The client side runs in a child process (blocking connects, held
    open): both ends of 10,000 connections need more descriptors than one
    process may have here (a hard limit of 20,000)."""
    held = []

    class Holder(TCPServer):
        def handle_stream(self, stream, address):
            held.append(stream)

    async def workload():
        import subprocess

        held.clear()
        server = Holder()
        port = listen(server, backlog=4096)
        child = subprocess.Popen(
            [sys.executable, "-c", CLIENT, str(port), str(conns)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        await asyncio.sleep(0.2)  # let the child start before timing
        start = time.perf_counter()
        child.stdin.write("go\n")
        child.stdin.flush()
        while len(held) < conns:
            await asyncio.sleep(0)
        elapsed = time.perf_counter() - start
        assert child.stdout.readline().strip() == f"done {conns}"
        child.stdin.close()
        child.wait()
        for s in held:
            s.close()
        held.clear()
        server.stop()
        return elapsed

    return workload


def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    n = 20_000
    measure("ping_pong_64B (round trip)", n, ping_pong(n))
    measure("bulk_256MiB (MiB)", 256, bulk(256))
    measure("conns_1000_x10 (round trip)", 10_000, many_connections(1000, 10))
    measure("open_10000 (connection)", 10_000, open_connections(10_000))


if __name__ == "__main__":
    main()
