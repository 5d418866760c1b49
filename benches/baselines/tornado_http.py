"""Tornado 6.6.1 baselines of gust's benches/http.rs.

    python tornado_http.py server PORT        hello-world HTTPServer (one process)
    python tornado_http.py client PORT N C    N sequential fetches, then N fetches
                                              with max_clients C, against a server
                                              on 127.0.0.1:PORT; prints
                                              "... = R fetches/s" twice
"""
import sys
import time

from tornado import gen, httpserver, ioloop, web
from tornado.httpclient import AsyncHTTPClient


class Hello(web.RequestHandler):
    def get(self):
        self.write("Hello, world")


def server(port):
    app = web.Application([(r"/", Hello)])
    srv = httpserver.HTTPServer(app)
    srv.listen(port, "127.0.0.1")
    ioloop.IOLoop.current().start()


async def client(port, n, c):
    url = "http://127.0.0.1:%d/" % port
    seq = AsyncHTTPClient(force_instance=True)
    start = time.perf_counter()
    for _ in range(n):
        response = await seq.fetch(url)
        assert len(response.body) == 12
    secs = time.perf_counter() - start
    print("tornado sequential: %d fetches in %.3f s = %.0f fetches/s" % (n, secs, n / secs))
    conc = AsyncHTTPClient(force_instance=True, max_clients=c)
    start = time.perf_counter()
    await gen.multi([conc.fetch(url) for _ in range(n)])
    secs = time.perf_counter() - start
    print("tornado concurrent (max_clients %d): %d fetches in %.3f s = %.0f fetches/s" % (c, n, secs, n / secs))


if __name__ == "__main__":
    if sys.argv[1] == "server":
        server(int(sys.argv[2]))
    else:
        port, n, c = (int(a) for a in sys.argv[2:5])
        ioloop.IOLoop.current().run_sync(lambda: client(port, n, c))
