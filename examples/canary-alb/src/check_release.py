"""Deployment lifecycle hook: ECS calls it after all traffic has moved to the new version.

Returning ``{"hookStatus": "SUCCEEDED"}`` lets the release finish; ``"FAILED"`` makes ECS roll back
to the previous version. Replace the check below with real ones (error rates, a smoke request …).
"""

import json
import os
import urllib.request


def handler(event, _context):
    url = os.environ.get("CHECK_URL")
    if not url:
        return {"hookStatus": "SUCCEEDED"}
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            healthy = response.status == 200
    except OSError as exc:
        print(json.dumps({"check": url, "error": str(exc)}))
        healthy = False
    return {"hookStatus": "SUCCEEDED" if healthy else "FAILED"}
