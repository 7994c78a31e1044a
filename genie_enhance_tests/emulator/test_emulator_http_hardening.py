"""The emulator authenticates before it reads a body and answers bad lengths with 400/413 — never a traceback or
a handler blocked on a body that never comes. Raw `http.client`/socket requests, the way a hostile client sends."""

from __future__ import annotations

import http.client
import json
import socket
import time

import pytest

from genie_enhance.emulator import Emulator
from genie_enhance.emulator import server as emulator_server
from genie_enhance_tests.support.emulator import SPACE_ID, TOKEN

PATH = f"/api/2.0/genie/spaces/{SPACE_ID}/start-conversation"
AUTH = f"Bearer {TOKEN}"


def raw_request(emulator: Emulator, head: str, body: bytes = b"", *, timeout: float = 5.0) -> tuple[int, dict, str]:
    """Send `head` (request line + headers) and `body` on a fresh socket; returns status, JSON body, raw reply."""
    with socket.create_connection(("127.0.0.1", emulator.port), timeout=timeout) as sock:
        sock.sendall(head.replace("\n", "\r\n").encode("latin-1") + b"\r\n" + body)
        reply = b""
        while b"\r\n\r\n" not in reply or len(reply.split(b"\r\n\r\n", 1)[1]) < _length(reply):
            chunk = sock.recv(65536)
            if not chunk:
                break
            reply += chunk
    text = reply.decode("utf-8", "replace")
    status = int(text.split(" ", 2)[1])
    return status, json.loads(text.split("\r\n\r\n", 1)[1]), text


def _length(reply: bytes) -> int:
    for line in reply.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


def _head(length: str, *, auth: bool = True) -> str:
    lines = [f"POST {PATH} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json", f"Content-Length: {length}"]
    if auth:
        lines.append(f"Authorization: {AUTH}")
    return "\n".join(lines) + "\n"


def _still_serves(emulator: Emulator) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", emulator.port, timeout=10)
    conn.request("POST", PATH, body=json.dumps({"content": "How many orders are there?"}),
                 headers={"Authorization": AUTH, "Content-Type": "application/json"})
    response = conn.getresponse()
    assert response.status == 200 and json.loads(response.read())["message_id"]
    conn.close()


def test_no_token_is_401_before_the_body_is_read(emulator: Emulator, capfd: pytest.CaptureFixture[str]) -> None:
    started = time.monotonic()
    status, body, text = raw_request(emulator, _head(str(10**12), auth=False))  # declares a terabyte, sends nothing
    assert status == 401 and body["error_code"] == "UNAUTHENTICATED"
    assert "Connection: close" in text  # the unread body must not be taken for the next request
    assert time.monotonic() - started < 2
    _still_serves(emulator)
    assert "Traceback" not in capfd.readouterr().err


@pytest.mark.parametrize("length,status,code", [
    ("-1", 400, "MALFORMED_REQUEST"),
    ("-99999", 400, "MALFORMED_REQUEST"),
    ("abc", 400, "MALFORMED_REQUEST"),
    ("1e3", 400, "MALFORMED_REQUEST"),
    (str(10**12), 413, "REQUEST_ENTITY_TOO_LARGE"),
    (str(emulator_server.MAX_BODY_BYTES + 1), 413, "REQUEST_ENTITY_TOO_LARGE"),
])
def test_bad_content_lengths_answer_400_or_413(emulator: Emulator, capfd: pytest.CaptureFixture[str],
                                               length: str, status: int, code: str) -> None:
    started = time.monotonic()
    got, body, _ = raw_request(emulator, _head(length), b'{"content": "How many orders are there?"}')
    assert (got, body["error_code"]) == (status, code)
    assert time.monotonic() - started < 2
    _still_serves(emulator)
    assert "Traceback" not in capfd.readouterr().err


def test_a_body_shorter_than_its_length_times_out_as_400(emulator: Emulator, monkeypatch: pytest.MonkeyPatch,
                                                         capfd: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(emulator_server, "BODY_TIMEOUT_S", 0.3)
    started = time.monotonic()
    status, body, _ = raw_request(emulator, _head("500"), b'{"content": ')
    assert status == 400 and "ended before its Content-Length" in body["message"]
    assert time.monotonic() - started < 3
    _still_serves(emulator)
    assert "Traceback" not in capfd.readouterr().err


def test_a_valid_request_with_a_body_keeps_the_connection(emulator: Emulator) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", emulator.port, timeout=10)
    for _ in range(2):  # the same keep-alive connection twice
        conn.request("POST", PATH, body=json.dumps({"content": "How many orders are there?"}),
                     headers={"Authorization": AUTH, "Content-Type": "application/json"})
        response = conn.getresponse()
        assert response.status == 200 and response.getheader("Connection") is None
        response.read()
    conn.close()
