"""A tiny HTTP service: `GET /` answers which release and task served it, `GET /health` answers ok.

Listens on $PORT (the runner of the local AWS gives each task its own port; on AWS it is 8080).
Logs one line per request to stdout, which ends up in the container's CloudWatch log group.
"""

import json
import os
import signal
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RELEASE = os.environ.get("RELEASE", "dev")
TASK = os.environ.get("STP_LOCAL_TASK_ID", socket.gethostname())[:8]


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/health":
            body = {"status": "ok"}
        else:
            body = {"release": RELEASE, "task": TASK, "path": self.path}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt, *args):
        print(f"{self.command} {self.path} -> {fmt % args} (release {RELEASE})", flush=True)


def main() -> int:
    port = int(os.environ.get("PORT", "8080"))
    server = ThreadingHTTPServer(("0.0.0.0", port), Handler)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown, daemon=True).start())
    print(f"release {RELEASE} listening on port {port}", flush=True)
    server.serve_forever(poll_interval=0.2)
    print("stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
