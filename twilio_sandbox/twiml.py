"""Parsing of the TwiML documents the app returns."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from urllib.parse import urljoin


class TwimlError(ValueError):
    """The webhook answered something that is not a TwiML <Response>."""


@dataclass(frozen=True)
class Verb:
    """One TwiML element: its name, attributes, text and nested elements."""

    name: str
    attrs: dict[str, str]
    text: str
    children: tuple[Verb, ...]

    def attr(self, name: str, default: str = "") -> str:
        """Attribute value, or `default` when absent."""
        return self.attrs.get(name, default)

    def number(self, name: str, default: float) -> float:
        """Numeric attribute; a malformed value falls back to the default, as Twilio does."""
        try:
            return float(self.attrs[name])
        except (KeyError, ValueError):
            return default

    def flag(self, name: str) -> bool:
        """Boolean attribute such as actionOnEmptyResult="true"."""
        return self.attrs.get(name, "").strip().lower() == "true"


@dataclass(frozen=True)
class Document:
    """A parsed TwiML document plus the URL it came from (base for relative URLs)."""

    url: str
    verbs: tuple[Verb, ...]

    def resolve(self, target: str | None) -> str | None:
        """Resolve a URL found in this document against the document's own URL."""
        if target is None or not target.strip():
            return None
        return urljoin(self.url, target.strip())


def _local_name(tag: str) -> str:
    """Drop any XML namespace: TwiML has none, but be lenient."""
    return tag.rsplit("}", 1)[-1]


def _to_verb(element: ET.Element) -> Verb:
    """Convert an XML element (recursively) into a Verb."""
    return Verb(
        name=_local_name(element.tag),
        attrs=dict(element.attrib),
        text="".join(element.itertext()).strip(),
        children=tuple(_to_verb(child) for child in element),
    )


def parse_twiml(body: bytes | str, url: str) -> Document:
    """Parse a webhook answer; raise TwimlError unless it is a <Response> document."""
    data = body.encode() if isinstance(body, str) else body
    if not data.strip():
        raise TwimlError("empty response body")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise TwimlError(f"invalid XML: {exc}") from exc
    if _local_name(root.tag) != "Response":
        raise TwimlError(f"root element is <{_local_name(root.tag)}>, expected <Response>")
    return Document(url=url, verbs=tuple(_to_verb(child) for child in root))
