"""Entry point of one sandbox process: ``python -m dpn.sandbox.serve aws|dbx --ready-file F
[--data-dir D] [--port N]``.

It binds 127.0.0.1 (port 0: a free one), serves a threaded HTTP/1.1 keep-alive server with
``TCP_NODELAY``, and writes ``{"port", "pid"}`` atomically to the ready file once it
accepts connections. The emulator's token comes from ``DPN_SANDBOX_TOKEN`` (never argv).
SIGTERM and SIGINT stop it cleanly.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import signal
import socket
import sys
from pathlib import Path
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server

from dpn.sandbox.faults import FaultStore
from dpn.sandbox.middleware import Backend, FaultMiddleware


def _handler_class(base: type[WSGIRequestHandler]) -> type[WSGIRequestHandler]:
    class Handler(base):  # type: ignore[valid-type,misc]
        """werkzeug's environ, but HTTP/1.1 keep-alive: werkzeug's own ``run_wsgi`` closes
        every connection, which costs a TCP handshake per request. The body is read whole
        before the app runs, so the stream is always at the next request line."""

        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def run_wsgi(self) -> None:
            environ = self.make_environ()
            body = self._read_body(environ)
            if body is None:
                # the client went away before its request was whole: like a real front
                # end, never act on part of a request
                self.close_connection = True
                return
            length = environ.get("CONTENT_LENGTH")
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body)) if body or length else ""
            environ["wsgi.input_terminated"] = True
            environ.pop("HTTP_TRANSFER_ENCODING", None)
            captured: dict[str, Any] = {}

            def start_response(status: str, headers: list[tuple[str, str]],
                               exc_info: Any = None) -> Any:
                captured["status"], captured["headers"] = status, headers
                return lambda data: None

            try:
                result = self.server.app(environ, start_response)
                try:
                    payload = b"".join(result)
                finally:
                    if hasattr(result, "close"):
                        result.close()
            except (TimeoutError, ConnectionError):
                self.close_connection = True
                return
            except Exception:  # never a traceback on the wire
                self.server.log("error", "internal error", exc_info=sys.exc_info())
                captured = {"status": "500 Internal Server Error",
                            "headers": [("Content-Type", "application/json")]}
                payload = b'{"error_code":"INTERNAL_ERROR","message":"internal error"}'
            code, _, reason = captured["status"].partition(" ")
            lines = [f"HTTP/1.1 {code} {reason}"]
            names = set()
            for key, value in captured["headers"]:
                lines.append(f"{key}: {value}")
                names.add(key.lower())
            if "content-length" not in names and self.command != "HEAD":
                lines.append(f"Content-Length: {len(payload)}")
            if self.close_connection:
                lines.append("Connection: close")
            head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
            self.wfile.write(head if self.command == "HEAD" else head + payload)
            self.wfile.flush()

        def _read_body(self, environ: dict[str, Any]) -> bytes | None:
            """The whole request body, or None if the connection ended before it did."""
            stream = environ["wsgi.input"]
            length = environ.get("CONTENT_LENGTH")
            try:
                if environ.get("wsgi.input_terminated"):
                    return bytes(stream.read())
                if length and length.isdigit():
                    body = bytes(stream.read(int(length)))
                    return body if len(body) == int(length) else None
            except OSError:  # a chunked body cut short, or the connection reset
                return None
            return b""

        def log_request(self, *args: Any, **kwargs: Any) -> None:
            pass

        def log(self, type: str, message: str, *args: Any) -> None:
            if type == "error" and "dropped by a fault rule" not in message % args:
                super().log(type, message, *args)

    return Handler


def build(platform: str, data_dir: Path | None) -> tuple[Backend, type[WSGIRequestHandler]]:
    if platform == "aws":
        from moto.moto_server.werkzeug_app import MotoRequestHandler

        from dpn.sandbox.awsapp import AwsBackend

        return AwsBackend(), _handler_class(MotoRequestHandler)
    from dpn.sandbox.emulator.app import Emulator

    token = os.environ.get("DPN_SANDBOX_TOKEN", "")
    return Emulator(token=token, data_dir=data_dir), _handler_class(WSGIRequestHandler)


def write_ready(path: Path, port: int) -> None:
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump({"port": port, "pid": os.getpid()}, fh)
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dpn.sandbox.serve")
    parser.add_argument("platform", choices=["aws", "dbx"])
    parser.add_argument("--ready-file", type=Path, required=True)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    backend, handler = build(args.platform, args.data_dir)
    app = FaultMiddleware(backend, FaultStore())
    server = make_server("127.0.0.1", args.port, app, threaded=True, request_handler=handler)
    server.daemon_threads = True  # type: ignore[attr-defined]

    def _stop(signum: int, frame: Any) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    write_ready(args.ready_file, int(server.server_address[1]))
    try:
        server.serve_forever(poll_interval=0.2)
    except SystemExit:
        pass
    finally:
        server.server_close()
        close = getattr(backend, "close", None)
        if close is not None:
            close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
