"""One partial, two uses: a page filled on the server, and a `<template>` the phone fills offline.

A partial written for this takes a *view* (nested dicts and lists of display-ready texts) and
marks where each value goes with four attributes, which `static/js/fill.js` reads:

- `data-slot="key"`: the element's text is the view's `key`;
- `data-set="attr:key ..."`: the element's attribute `attr` is the view's `key` (href, id, ...);
- `data-if="key"`: the element is kept only when `key` is true or a non-empty list;
- `data-each="key"`: the element is repeated for each item of the list `key`, filled with it.

Rendered with `BLANK` as the view, the same partial gives the empty markup for a `<template>`:
every field of `BLANK` prints as nothing, is true, and iterates once (over `BLANK`). So partials
write only positive conditions (`{% if v.key %}`, never `else` or `not`): in a template every
branch must be there for the phone to keep or drop it.
"""

from __future__ import annotations

from collections.abc import Iterator

from markupsafe import Markup


class Blank:
    """An empty view: any field is an empty, true, once-iterable `Blank`."""

    def __getattr__(self, name: str) -> Blank:
        if name.startswith("_"):
            raise AttributeError(name)
        return self

    def __getitem__(self, name: object) -> Blank:
        return self

    def __iter__(self) -> Iterator[Blank]:
        yield self

    def __bool__(self) -> bool:
        return True

    def __html__(self) -> str:
        return ""

    def __str__(self) -> str:
        return ""


BLANK = Blank()


def slot(view: object, key: str) -> Markup:
    """A value inside a translated sentence: `_("Source: %(site)s", site=slot(v, "site"))`."""
    return Markup('<span data-slot="{}">{}</span>').format(key, _value(view, key))


def link(view: object, url: str = "url", text: str = "site") -> Markup:
    """A link inside a sentence: its address from `url`, its text from `text`."""
    # A site's name is the same in every language: no page translator may touch it.
    return Markup('<a href="{}" translate="no" data-set="href:{}" data-slot="{}">{}</a>').format(
        _value(view, url), url, text, _value(view, text)
    )


def _value(view: object, key: str) -> object:
    if isinstance(view, Blank):
        return view
    if isinstance(view, dict):
        return view[key]
    return getattr(view, key)
