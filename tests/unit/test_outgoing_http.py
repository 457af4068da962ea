"""The outgoing-HTTP adapter against real sockets on loopback: a receiver that drips its answer a byte at a time
cannot hold an attempt past its deadline, and what may not be called is refused before anything is sent."""
import socket
import threading
import time

import pytest

from server.adapters.http import TargetRefused, check_target, post_json


@pytest.fixture
def dripping():
    """A server that answers one byte every 0.25 s, for ever."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    stop = threading.Event()

    def serve():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            conn.recv(65536)
            for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + b"x" * 100000:
                if stop.is_set():
                    break
                try:
                    conn.send(bytes([byte]))
                except OSError:
                    break
                time.sleep(0.25)
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/hook"
    stop.set()
    server.close()


def test_a_dripping_receiver_is_cut_off_at_the_deadline(dripping):
    started = time.monotonic()
    answer = post_json(dripping, b"{}", {}, timeout=1, allow_private=True)
    assert time.monotonic() - started < 2.5
    assert answer.status is None and "timed out" in answer.error


def test_refused_before_anything_is_sent():
    for url, words in (("http://127.0.0.1:1/", "internal"), ("http://10.0.0.1/", "internal"),
                       ("http://[::1]/", "internal"), ("ftp://example.cn/", "http(s)"),
                       ("http://example.com:abc/", "malformed"), ("http://[::1", "malformed"),
                       ("http://no-such-host.invalid/", "resolve")):
        with pytest.raises(TargetRefused, match=words.replace("(", r"\(").replace(")", r"\)")):
            check_target(url, allow_private=False)
    assert check_target("http://127.0.0.1:8080/a?b=1", allow_private=True).address == "127.0.0.1"
    assert post_json("http://10.0.0.1/", b"{}", {}, 1, False).error.endswith("not allowed")


def test_a_closed_port_is_a_refused_connection():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    answer = post_json(f"http://127.0.0.1:{port}/", b"{}", {}, 2, True)
    assert answer.status is None and "refused" in answer.error
