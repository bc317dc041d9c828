"""Small-group suppression: no count, cell, bar or comparison backed by fewer than k submissions.

Hiding the small cells is not enough when their total can be worked out from what is shown (a
total of 23 beside a shown 20 gives away a hidden 3). So, as statistical offices do, a table also
hides the next smallest cells until what is hidden adds up to at least k, or to nothing.
DESIGN.md: quasi-identifiers are coarse by design; aggregates and exports suppress any group
smaller than k (default 5).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

DEFAULT_K = 5

Key = TypeVar("Key")


def suppressed(counts: Mapping[Key, int], k: int = DEFAULT_K) -> dict[Key, int | None]:
    """The counts with every cell under k hidden (None), and more hidden while the hidden cells
    add up to between 1 and k - 1 (the smallest shown cells first, so the least is lost)."""
    if k < 1:
        raise ValueError("k must be at least 1")
    hidden = {key for key, n in counts.items() if 0 < n < k}
    shown = sorted((n, i) for i, (key, n) in enumerate(counts.items()) if key not in hidden and n)
    keys = list(counts)
    while 0 < sum(counts[key] for key in hidden) < k and shown:
        _, index = shown.pop(0)
        hidden.add(keys[index])
    return {key: None if key in hidden else n for key, n in counts.items()}


def total_or_none(counts: Mapping[Key, int], k: int = DEFAULT_K) -> int | None:
    """A total is shown only when it is backed by at least k submissions."""
    total = sum(counts.values())
    return total if total >= k else None


def suppressed_table(
    counts: Mapping[tuple[Key, Key], int], k: int = DEFAULT_K, hide: frozenset = frozenset()
) -> dict[tuple[Key, Key], int | None]:
    """A two-way table (rows by columns: a group by month) under the same rule in both ways:
    every cell under k hidden, and more hidden until, in each row and in each column, the hidden
    cells add up to nothing or to at least k (so neither a row's total, shown elsewhere, nor a
    column's gives a hidden cell away). `hide`: cells hidden from the start (a row whose whole
    group is not shown)."""
    hidden = {cell for cell, n in counts.items() if 0 < n < k} | (set(hide) & set(counts))
    changed = True
    while changed:
        changed = False
        for axis in (0, 1):
            lines: dict = {}
            for cell in counts:
                lines.setdefault(cell[axis], []).append(cell)
            for line in lines.values():
                held = sum(counts[cell] for cell in line if cell in hidden)
                if 0 < held < k:
                    rest = sorted(
                        (counts[cell], str(cell), cell)
                        for cell in line
                        if cell not in hidden and counts[cell]
                    )
                    while 0 < held < k and rest:
                        n, _, cell = rest.pop(0)
                        hidden.add(cell)
                        held += n
                        changed = True
    return {cell: None if cell in hidden else n for cell, n in counts.items()}
