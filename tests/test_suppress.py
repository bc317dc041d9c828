"""Small-group suppression: nothing under k shown, nothing under k worked out from what is shown."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lmcself.core.suppress import DEFAULT_K, suppressed, total_or_none

tables = st.dictionaries(st.text(min_size=1, max_size=3), st.integers(0, 40), max_size=12)
ks = st.integers(1, 12)


@given(tables, ks)
def test_no_shown_cell_is_smaller_than_k(counts, k):
    for n in suppressed(counts, k).values():
        assert n is None or n == 0 or n >= k


@given(tables, ks)
def test_what_is_hidden_cannot_be_worked_out_below_k(counts, k):
    """A total minus the shown cells gives the hidden cells' sum: it must be 0 or at least k.
    A table whose total is under k shows neither its total nor any cell."""
    shown = suppressed(counts, k)
    hidden = sum(counts[key] for key, n in shown.items() if n is None)
    if total_or_none(counts, k) is None:
        assert all(not n for n in shown.values())
    else:
        assert hidden == 0 or hidden >= k


@given(tables, ks)
def test_shown_cells_are_true_and_at_most_one_big_cell_is_hidden(counts, k):
    shown = suppressed(counts, k)
    assert shown.keys() == counts.keys()
    assert all(n == counts[key] for key, n in shown.items() if n is not None)
    assert sum(1 for key, n in shown.items() if n is None and counts[key] >= k) <= 1


def test_the_example_of_the_docstring():
    assert suppressed({"Phnom Penh": 20, "Siem Reap": 3}) == {"Phnom Penh": None, "Siem Reap": None}
    assert suppressed({"a": 20, "b": 3, "c": 7}) == {"a": 20, "b": None, "c": None}
    assert suppressed({"a": 20, "b": 3, "c": 4}) == {"a": 20, "b": None, "c": None}
    assert suppressed({"a": 5, "b": 0}) == {"a": 5, "b": 0}


def test_totals_under_k_are_hidden():
    assert total_or_none({"a": 2, "b": 2}) is None
    assert total_or_none({"a": 2, "b": 3}) == DEFAULT_K


def test_k_below_one_is_refused():
    with pytest.raises(ValueError):
        suppressed({"a": 1}, 0)
