"""A minimal JSON-RPC / LSP client over a subprocess' stdio, for the benches.

One reader thread parses the server's messages; responses resolve the
pending request, ``textDocument/publishDiagnostics`` notifications are kept
per document with their arrival time, and the few requests servers send to
the client (``workspace/configuration``, ``client/registerCapability``,
``window/workDoneProgress/create``…) are answered so the server never waits.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from collections import deque
from typing import Any


class LspError(RuntimeError):
    pass


class LspClient:
    def __init__(self, cmd: list[str], *, env: dict | None = None, cwd: str | None = None,
                 settings: dict | None = None):
        self.cmd = cmd
        self.settings = settings or {}  # answers workspace/configuration by section
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=env, cwd=cwd, start_new_session=True)
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._next_id = 0
        self._responses: dict[int, tuple[float, dict]] = {}
        self.diagnostics: dict[str, list[tuple[float, dict]]] = {}  # uri -> [(arrival, params)]
        self.stderr_tail: deque[str] = deque(maxlen=40)
        self.closed = False
        self._write_lock = threading.Lock()
        threading.Thread(target=self._read_loop, daemon=True).start()
        threading.Thread(target=self._stderr_loop, daemon=True).start()

    # --- wire ----------------------------------------------------------------------------------

    def _send(self, msg: dict) -> float:
        body = json.dumps(msg, separators=(",", ":")).encode()
        data = b"Content-Length: %d\r\n\r\n" % len(body) + body
        with self._write_lock:
            t = time.perf_counter()
            try:
                self.proc.stdin.write(data)
                self.proc.stdin.flush()
            except (BrokenPipeError, OSError) as e:
                raise LspError(f"server pipe closed: {e}; stderr: {self.stderr()}") from e
        return t

    def _read_loop(self) -> None:
        out = self.proc.stdout
        try:
            while True:
                length = None
                while True:
                    line = out.readline()
                    if not line:
                        return
                    line = line.strip()
                    if not line:
                        break
                    name, _, value = line.partition(b":")
                    if name.lower() == b"content-length":
                        length = int(value)
                if length is None:
                    continue
                body = out.read(length)
                now = time.perf_counter()
                self._dispatch(json.loads(body), now)
        finally:
            with self._cond:
                self.closed = True
                self._cond.notify_all()

    def _stderr_loop(self) -> None:
        for line in self.proc.stderr:
            self.stderr_tail.append(line.decode(errors="replace").rstrip())

    def stderr(self) -> str:
        return "\n".join(self.stderr_tail)

    def _dispatch(self, msg: dict, now: float) -> None:
        if "method" in msg and "id" in msg:  # a request from the server
            self._answer(msg)
        elif "method" in msg:
            if msg["method"] == "textDocument/publishDiagnostics":
                p = msg["params"]
                with self._cond:
                    self.diagnostics.setdefault(p["uri"], []).append((now, p))
                    self._cond.notify_all()
        elif "id" in msg:
            with self._cond:
                self._responses[msg["id"]] = (now, msg)
                self._cond.notify_all()

    def _answer(self, msg: dict) -> None:
        result: Any = None
        if msg["method"] == "workspace/configuration":
            result = [self._section(item.get("section")) for item in msg["params"].get("items", [])]
        elif msg["method"] == "workspace/workspaceFolders":
            result = []
        try:
            self._send({"jsonrpc": "2.0", "id": msg["id"], "result": result})
        except LspError:
            pass

    def _section(self, section: str | None):
        if not section:
            return self.settings
        node: Any = self.settings
        for part in section.split("."):
            if isinstance(node, dict) and part in node:
                node = node[part]
            else:
                # flat keys such as {"yaml.validate": true} under a "[yaml]" section are not ours
                return None
        return node

    # --- API -----------------------------------------------------------------------------------

    def notify(self, method: str, params: Any) -> float:
        """Send a notification; returns the time it was written."""
        return self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def send_request(self, method: str, params: Any) -> tuple[int, float]:
        with self._lock:
            self._next_id += 1
            rid = self._next_id
        return rid, self._send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})

    def wait_response(self, rid: int, timeout: float = 60.0) -> tuple[float, Any]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while rid not in self._responses:
                left = deadline - time.monotonic()
                if self.closed:
                    raise LspError(f"server exited; stderr: {self.stderr()}")
                if left <= 0:
                    raise LspError(f"no response to request {rid} within {timeout}s")
                self._cond.wait(left)
            t, msg = self._responses.pop(rid)
        if "error" in msg:
            raise LspError(f"error response: {msg['error']}")
        return t, msg.get("result")

    def request(self, method: str, params: Any, timeout: float = 60.0) -> tuple[float, Any]:
        """Send a request and wait: (latency in seconds, result)."""
        rid, sent = self.send_request(method, params)
        t, result = self.wait_response(rid, timeout)
        return t - sent, result

    def wait_diagnostics(self, uri: str, pred, after: float, timeout: float = 60.0) -> tuple[float, dict]:
        """First publishDiagnostics for ``uri`` that arrived after ``after`` and satisfies ``pred(params)``."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for t, p in self.diagnostics.get(uri, []):
                    if t >= after and pred(p):
                        return t, p
                left = deadline - time.monotonic()
                if self.closed:
                    raise LspError(f"server exited; stderr: {self.stderr()}")
                if left <= 0:
                    raise LspError(f"no matching publishDiagnostics for {uri} within {timeout}s")
                self._cond.wait(left)

    def clear_diagnostics(self, uri: str) -> None:
        with self._cond:
            self.diagnostics.pop(uri, None)

    def initialize(self, root_uri: str | None, init_options: Any = None, capabilities: dict | None = None,
                   timeout: float = 60.0) -> dict:
        caps = capabilities if capabilities is not None else {
            "textDocument": {
                "synchronization": {"dynamicRegistration": False, "didSave": True},
                "completion": {"completionItem": {"snippetSupport": True,
                                                  "documentationFormat": ["markdown", "plaintext"]}},
                "hover": {"contentFormat": ["markdown", "plaintext"]},
                "publishDiagnostics": {"versionSupport": True, "relatedInformation": True},
            },
            "workspace": {"configuration": True, "didChangeConfiguration": {"dynamicRegistration": False}},
            "general": {"positionEncodings": ["utf-16"]},
        }
        _, result = self.request("initialize", {
            "processId": os.getpid(),
            "rootUri": root_uri,
            "workspaceFolders": [{"uri": root_uri, "name": "bench"}] if root_uri else None,
            "capabilities": caps,
            "initializationOptions": init_options,
        }, timeout=timeout)
        self.notify("initialized", {})
        return result

    def stop(self, timeout: float = 3.0) -> None:
        """shutdown + exit, then terminate / kill the process (its own process group) if it lingers."""
        if self.proc.poll() is None:
            try:
                rid, _ = self.send_request("shutdown", None)
                self.wait_response(rid, timeout)
                self.notify("exit", None)
            except Exception:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        for f in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            try:
                f.close()
            except Exception:
                pass

    def kill(self) -> None:
        if self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, 15)
            self.proc.wait(2)
        except Exception:
            try:
                os.killpg(self.proc.pid, 9)
                self.proc.wait(2)
            except Exception:
                pass
