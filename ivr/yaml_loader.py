"""YAML for the IVR's files, read with libyaml's parser where PyYAML has it.

Every app start reads the flows and the calendars. The pure-Python parser, run twice over a flow (nodes for
line numbers, then data), took 20 ms a file; libyaml, once, 1.5 ms (the test suite starts ~500 apps).
"""

from __future__ import annotations

from typing import Any

import yaml

SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse(text: str) -> tuple[yaml.Node | None, Any]:
    """The document's node tree (for line numbers) and its data, parsed once."""
    loader = SafeLoader(text)
    try:
        document = loader.get_single_node()
        return document, (loader.construct_document(document) if document is not None else None)
    finally:
        loader.dispose()
