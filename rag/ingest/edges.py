"""Running headers and footers: first/last page lines that repeat on many pages (digits
ignored) are blanked before chunking, keeping raw character offsets valid."""

from __future__ import annotations

import re

_DIGITS = re.compile(r"\d+")

EDGE_LINES = 1  # the first and the last line of a page may be a running header or footer


def _edge_key(line: str) -> str:
    return _DIGITS.sub("#", " ".join(line.split())).lower()


def _edges(lines: list[str]) -> list[int]:
    """Candidate header/footer lines; a short page has none (its lines are its content)."""
    n = len(lines)
    if n < 2 * EDGE_LINES + 2:
        return []
    return list(range(EDGE_LINES)) + list(range(n - EDGE_LINES, n))


EDGE_SAMPLE = 24  # pages read to find running headers and footers, before the first page is passed on


def edge_sample(page_count: int) -> list[int]:
    """The pages whose first and last lines decide what is a running header or footer: all
    of them up to EDGE_SAMPLE, else EDGE_SAMPLE / 2 pairs of facing pages spread evenly from
    first to last (pairs, so that books whose left and right pages carry different headers
    show both). They are read before the first page can be passed on, while the embedder
    waits; 80 pages (the first and last 40, as before) kept it waiting 66 ms on a 100-page
    manual, 24 about 20."""
    if page_count <= EDGE_SAMPLE:
        return list(range(page_count))
    pairs = EDGE_SAMPLE // 2
    starts = {round(i * (page_count - 2) / (pairs - 1)) for i in range(pairs)}
    return sorted({p for start in starts for p in (start, start + 1)})


def repeated_edge_lines(raw_pages: list[str]) -> set[str]:
    """Header/footer lines: first/last lines that repeat (digits ignored) on many pages."""
    if len(raw_pages) < 4:
        return set()
    counts: dict[str, int] = {}
    for raw in raw_pages:
        lines = raw.splitlines()
        for key in {_edge_key(lines[i]) for i in _edges(lines)}:
            if key and key != "#":
                counts[key] = counts.get(key, 0) + 1
    threshold = max(3, int(0.3 * len(raw_pages)))
    keys = {k for k, c in counts.items() if c >= threshold}
    bare_numbers = sum(1 for raw in raw_pages if raw.splitlines() and _edge_key(raw.splitlines()[-1]) == "#")
    if bare_numbers >= threshold:
        keys.add("#")
    return keys


def blank_edge_lines(raw: str, boilerplate: set[str]) -> str:
    """Blank out header/footer lines with spaces, so raw character offsets stay valid."""
    if not boilerplate:
        return raw
    lines = raw.splitlines(keepends=True)
    plain = [line.rstrip("\r\n") for line in lines]
    for i in _edges(plain):
        if _edge_key(plain[i]) in boilerplate:
            lines[i] = " " * len(plain[i]) + lines[i][len(plain[i]):]
    return "".join(lines)
