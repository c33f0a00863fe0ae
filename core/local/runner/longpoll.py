"""SQS long polling that does not stop the local AWS.

Every moto request runs under `state.LOCK`; moto's ReceiveMessage with `WaitTimeSeconds` waits for
messages inside the request (`Queue.wait_for_messages`, up to 1 s per round) and so held the lock for the
whole wait: one worker long-polling its queue (what a local worker does all the time) froze every other
request and the background simulations. Here the wait gives the lock up while it waits (it holds no moto
state then) and takes it back before moto looks at the queue again.
"""

from __future__ import annotations

import threading

from core.local import state

_installed = False
_install_lock = threading.Lock()


def _release_all(lock) -> int:
    """Release a re-entrant lock held by this thread as often as it is held; how often that was."""
    count = 0
    while getattr(lock, "_is_owned", lambda: False)():
        lock.release()
        count += 1
    return count


def install() -> None:
    global _installed
    with _install_lock:
        if _installed:
            return
        from moto.sqs.models import Queue

        original = Queue.wait_for_messages

        def wait_for_messages(self, timeout: int) -> None:
            held = _release_all(state.LOCK)
            try:
                original(self, timeout)
            finally:
                for _ in range(held):
                    state.LOCK.acquire()

        wait_for_messages._stp = True  # type: ignore[attr-defined]
        Queue.wait_for_messages = wait_for_messages
        _installed = True
