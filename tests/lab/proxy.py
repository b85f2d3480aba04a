"""An HTTPS proxy (HTTPS_PROXY) that plays the internet for the lab: CONNECTs to *.amazonaws.com are
answered with a lab-CA certificate for that host and relayed to the lab's AWS front; CONNECTs to the
loopback are tunnelled as they are; everything else is refused, so nothing leaves the machine.

Only STS goes this way (AWS_ENDPOINT_URL_STS=https://sts.<region>.amazonaws.com), so that tokens carry
the real STS host the authenticator's allow-list expects.
"""
from __future__ import annotations

import socket
import socketserver
import ssl
import sys
import threading

from .pki import CA


def _pipe(src, dst) -> None:
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        head = b""
        while b"\r\n\r\n" not in head and len(head) < 65536:
            chunk = self.request.recv(4096)
            if not chunk:
                return
            head += chunk
        method, target, *_ = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ")
        host, _, port = target.rpartition(":")
        if method != "CONNECT":
            self.request.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            return
        server: Proxy = self.server  # type: ignore[assignment]
        if host.endswith(".amazonaws.com"):
            self.request.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            client = server.ca.server_context(host).wrap_socket(self.request, server_side=True)
            upstream = socket.create_connection(server.upstream)
        elif host in ("127.0.0.1", "localhost"):
            upstream = socket.create_connection(("127.0.0.1", int(port)))
            self.request.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            client = self.request
        else:
            self.request.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            return
        with server.lock:
            server.open.update({client, upstream})
        back = threading.Thread(target=_pipe, args=(upstream, client), daemon=True)
        back.start()
        _pipe(client, upstream)
        back.join(5)
        for s in (client, upstream):
            s.close()
            with server.lock:
                server.open.discard(s)


class Proxy(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], (ssl.SSLError, ConnectionError)):   # a client refusing our CA is fine
            super().handle_error(request, client_address)

    def __init__(self, ca: CA, upstream: tuple[str, int]):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.ca, self.upstream = ca, upstream
        self.lock = threading.Lock()
        self.open: set = set()
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def start(self) -> "Proxy":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        with self.lock:
            for s in list(self.open):
                try:
                    s.close()
                except OSError:
                    pass
        self.server_close()
        self._thread.join(5)
