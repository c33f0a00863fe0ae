"""Did-you-mean suggestions for misspelt keys, types and values."""

from __future__ import annotations

import difflib


def closest(word: str, candidates, n: int = 1, cutoff: float = 0.6) -> list[str]:
    """The candidates that look most like ``word`` (case-insensitive)."""
    cands = [str(c) for c in candidates]
    lowered = {c.lower(): c for c in cands}
    hits = difflib.get_close_matches(str(word).lower(), list(lowered), n=n, cutoff=cutoff)
    if not hits:
        # the same words in another order ("dockerfile-custom" → "custom-dockerfile")
        def words(x: str) -> str:
            return "-".join(sorted(x.replace("_", "-").split("-")))

        w = words(str(word).lower())
        hits = [c for c in lowered if words(c) == w][:n]
    if not hits:
        # a prefix or containment match helps with truncated words ("web-servi")
        w = str(word).lower()
        hits = [c for c in lowered if w and (c.startswith(w) or w.startswith(c))][:n]
    return [lowered[h] for h in hits]


def did_you_mean(word: str, candidates) -> str:
    hit = closest(word, candidates)
    return f" Did you mean '{hit[0]}'?" if hit else ""


def one_of(values, limit: int = 12) -> str:
    vals = [repr(v) if not isinstance(v, str) else f"'{v}'" for v in values]
    if len(vals) > limit:
        return ", ".join(vals[:limit]) + f" … ({len(vals) - limit} more)"
    return ", ".join(vals)


def with_article(noun: str) -> str:
    """The noun with its article: 'an sns-topic', 'a bucket' (as the names are read aloud)."""
    vowel_sound = noun[:1].lower() in "aeio" or noun.lower().startswith(("sns", "sqs", "http", "upstash"))
    return f"{'an' if vowel_sound else 'a'} {noun}"
