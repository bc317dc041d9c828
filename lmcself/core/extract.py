"""A Babel extractor for the YAML data (instrument and catalog), so translators see its texts.

Each message carries a translator comment naming its key (for example
`dimensions.payments.payments_qr.options.scan`), so a translator knows where the text appears.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

import yaml

from lmcself.core.catalog import Catalog, load_catalog
from lmcself.core.instrument import Instrument, load_instrument


def _scalar_lines(text: str) -> dict[str, int]:
    """The first line on which each text stands, for the catalog's location comments."""
    lines: dict[str, int] = {}
    stack = [yaml.compose(text)]
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.ScalarNode):
            lines.setdefault(" ".join(str(node.value).split()), node.start_mark.line + 1)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            stack.extend(v for _, v in node.value)
    return lines


def extract_instrument(
    fileobj: IO[bytes], keywords, comment_tags, options
) -> Iterator[tuple[int, str, str, list[str]]]:
    """Babel extractor: yields (line, function, message, comments) for every text of the
    instrument or, for a file named catalog.yaml, of the country catalog."""
    data: Catalog | Instrument = (
        load_catalog(fileobj.name)
        if fileobj.name.endswith("catalog.yaml")
        else load_instrument(fileobj.name)
    )
    lines = _scalar_lines(fileobj.read().decode("utf-8"))
    for key, text in data.texts():
        yield lines.get(text, 0), "gettext", text, [f"TRANSLATORS: {key}"]
