"""Process-wide state shared by the request handlers and the background simulations of the server."""

from __future__ import annotations

import threading

# Held by every moto request and by each step of a background simulation (CloudFormation engine, later
# ECS deployments): moto's backends are plain dicts and lists, not safe to mutate from two threads.
# Never hold it while sleeping or while making an HTTP call to this same server.
LOCK = threading.RLock()

# Set when the server is shutting down: background simulations stop at their next step.
shutting_down = threading.Event()
