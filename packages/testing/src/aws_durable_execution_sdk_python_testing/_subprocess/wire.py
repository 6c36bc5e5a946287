"""The wire between the runner and its sandbox processes: framed JSON over a Unix socket.

Each message is a 4-byte big-endian length and that many bytes of UTF-8 JSON. The payloads
are the botocore-shaped dicts the SDK's model already maps (``to_dict``/``from_dict``);
datetimes travel as ISO text, which ``Operation.from_dict`` reads back without losing the
microseconds that epoch milliseconds would. A socket rather than stdin/stdout leaves the
handler's own ``print`` output where the user expects it.
"""

from __future__ import annotations

import datetime
import json
import socket
import struct
from typing import Any

__all__ = ["WireClosed", "receive", "receive_with_fds", "send"]

_HEADER = struct.Struct(">I")


class WireClosed(Exception):
    """The other end closed the socket (or died) before a whole message arrived."""


def _default(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    raise TypeError(f"cannot send {type(value).__name__} over the sandbox wire")


def send(sock: socket.socket, message: dict[str, Any], fds: list[int] | None = None) -> None:
    body = json.dumps(message, default=_default, separators=(",", ":")).encode()
    data = _HEADER.pack(len(body)) + body
    if fds:
        socket.send_fds(sock, [data], fds)
    else:
        sock.sendall(data)


def _exactly(sock: socket.socket, size: int) -> bytes:
    buffer = bytearray(size)
    view = memoryview(buffer)
    got = 0
    while got < size:
        count = sock.recv_into(view[got:])
        if count == 0:
            raise WireClosed("the other end closed the connection")
        got += count
    return bytes(buffer)


def receive(sock: socket.socket) -> dict[str, Any]:
    """The next message; ``socket.timeout`` if the socket's timeout passes first.

    Raises:
        WireClosed: the peer is gone.
    """
    try:
        (size,) = _HEADER.unpack(_exactly(sock, _HEADER.size))
        message: dict[str, Any] = json.loads(_exactly(sock, size))
    except ConnectionResetError as error:
        raise WireClosed(str(error)) from error
    return message


def receive_with_fds(sock: socket.socket, max_fds: int) -> tuple[dict[str, Any], list[int]]:
    """A message that may carry file descriptors (the zygote's fork requests)."""
    header, fds, _flags, _addr = socket.recv_fds(sock, _HEADER.size, max_fds)
    if not header:
        raise WireClosed("the other end closed the connection")
    if len(header) < _HEADER.size:
        header += _exactly(sock, _HEADER.size - len(header))
    (size,) = _HEADER.unpack(header)
    message: dict[str, Any] = json.loads(_exactly(sock, size))
    return message, list(fds)
