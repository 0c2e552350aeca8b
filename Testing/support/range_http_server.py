"""A real HTTP server on 127.0.0.1 that serves files with Range support and records the requests it got."""

from __future__ import annotations

import contextlib
import mimetypes
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

__all__ = ["serve_folder"]


def _handler(folder: Path, requests: list):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's naming)
            requests.append((self.path, self.headers.get("Range")))
            path = folder / self.path.lstrip("/")
            if not path.is_file():
                self.send_error(404, "Not Found")
                return
            data = path.read_bytes()
            start = 0
            if self.headers.get("Range", "").startswith("bytes="):
                start = int(self.headers["Range"][6:].split("-")[0])
                if start >= len(data):
                    self.send_error(416, "Range Not Satisfiable")
                    return
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            else:
                self.send_response(200)
            self.send_header("Content-Length", str(len(data) - start))
            self.send_header("Content-Type", mimetypes.guess_type(path.name)[0] or "application/octet-stream")
            self.end_headers()
            self.wfile.write(data[start:])

        def log_message(self, *arguments):
            pass

    return Handler


@contextlib.contextmanager
def serve_folder(folder: Path) -> Iterator[tuple[str, list]]:
    """Yield (base URL, list of (path, Range header) received); the server stops when the block ends."""
    requests: list = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(folder, requests))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requests
    finally:
        server.shutdown()
        server.server_close()
