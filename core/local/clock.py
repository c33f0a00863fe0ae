"""Simulated time for the local AWS.

`--time-scale X` makes X simulated seconds pass per real second. Slow AWS processes that the local
server simulates on a schedule (ECS deployment lifecycle stages, traffic shifting every N minutes,
bake times) read and wait on this clock, so a 10-minute canary takes 6 real seconds at scale 100.
CloudFormation resource durations are configured in real seconds (see `config`), not on this clock.
"""

from __future__ import annotations

import threading
import time

from core.local.config import CONFIG


class Clock:
    """Simulated wall-clock seconds since the epoch, advancing `scale` times faster than real time.

    Changing the scale keeps the simulated time continuous (no jump at the change).
    """

    def __init__(self, scale: float | None = None):
        self._fixed_scale = scale
        self._lock = threading.Lock()
        self._base_real = time.monotonic()
        self._base_sim = time.time()
        self._base_scale = self.scale

    @property
    def scale(self) -> float:
        return self._fixed_scale if self._fixed_scale is not None else CONFIG.time_scale

    def now(self) -> float:
        with self._lock:
            scale = self.scale
            real = time.monotonic()
            if scale != self._base_scale:  # rebase so time stays continuous across a scale change
                self._base_sim += (real - self._base_real) * self._base_scale
                self._base_real, self._base_scale = real, scale
            return self._base_sim + (real - self._base_real) * scale

    def real_seconds(self, simulated_seconds: float) -> float:
        return max(0.0, simulated_seconds) / self.scale

    def sleep(self, simulated_seconds: float, stop: threading.Event | None = None) -> bool:
        """Wait `simulated_seconds` on this clock; returns False when `stop` was set meanwhile."""
        real = self.real_seconds(simulated_seconds)
        if stop is None:
            time.sleep(real)
            return True
        return not stop.wait(real)


CLOCK = Clock()
