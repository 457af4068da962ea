"""A map tile server on loopback for the browser tests: any /{z}/{x}/{y}.png answers a 256 × 256 PNG, and
every path asked for is kept, so a test can tell which tiles a map drew."""
from __future__ import annotations

import io
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from PIL import Image


def _tile() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (256, 256), (214, 226, 204)).save(out, "PNG")
    return out.getvalue()


class TileServer:
    def __init__(self) -> None:
        self.requested: list[str] = []
        png = _tile()
        requested = self.requested

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802  (http.server's name)
                requested.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(png)))
                self.send_header("Access-Control-Allow-Origin", "*")
                self.end_headers()
                self.wfile.write(png)

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_port}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
