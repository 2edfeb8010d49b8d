"""Full-text search over tickets, Chinese included: a ticket's words (subject, description, solution, product
model, serial number, notes) are kept in `tickets.search_tokens`, space-separated, and found through an index:
PostgreSQL a GIN index on `to_tsvector('simple', search_tokens)`, SQLite the FTS5 table `ticket_search`
(external content on tickets, kept in step by triggers; both from migration 0015).

Chinese has no spaces, so jieba segments it. A ticket is indexed with every dictionary word its text holds
(jieba's DAG, as its full mode) and every Chinese character on its own; a query is segmented once (precise
mode, no HMM): dictionary words and single characters. So a query word is found wherever its characters stand
in the text, however the surrounding sentence segments: jieba's search mode on both sides misses 服务中心 in
售后服务中心 (segmented 售后服务/中心) and 态度差 in 态度很差 (很差, a word its HMM made up).
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from typing import Any, cast

from sqlalchemy import ColumnClause, ColumnElement, column, func, literal_column, select, table, update
from sqlalchemy.orm import Session

from contactcenter.errors import Invalid, NotFound
from contactcenter.tickets.models import Ticket, TicketNote

# A ticket's tokens are capped: the column is rewritten at every reindex, FTS5 deletes and inserts every
# token, PostgreSQL updates a GIN entry per distinct word, and a tsvector must stay under 1 MB. Distinct words
# grow ever more slowly with length: 50,000 characters of dictionary words drawn at random (more varied than
# any conversation) give 43,700 characters of tokens, their first 20,000 characters 23,400. Past the cap, words
# first seen later (in the newest notes) are not indexed; the fields and the first notes always are.
MAX_TOKENS_CHARS = 20_000
MAX_TOKEN_CHARS = 64  # longer runs (a pasted key, a URL's path) are no words anyone searches for
MAX_QUERY_CHARS = 256
MAX_JOINED_PARTS = 4  # KFR-35GW/BP3DN8Y: its parts, and each run of up to 4 of them joined (kfr35gw)

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
# A run of Chinese characters, or a word of other letters and digits, whose parts - . / _ may join.
_TOKENS = re.compile(rf"(?P<han>[{_HAN}]+)|(?P<word>[^\W_{_HAN}]+(?:[-./_][^\W_{_HAN}]+)*)")
_JOINERS = re.compile(r"[-./_]")
# Particles that stand alone in almost every sentence: a query's 了 would otherwise require one.
_PARTICLES = frozenset("的了吗呢吧啊呀嘛哦")

_jieba: Any = None
_jieba_lock = threading.Lock()


def _segmenter() -> Any:
    """jieba's tokenizer with its dictionary, loaded on first use (0.7 s), once per process."""
    global _jieba
    with _jieba_lock:
        if _jieba is None:
            import jieba  # here, not at import time: the app factory and the CLI stay fast

            jieba.setLogLevel(logging.WARNING)  # its loading chatter goes to stderr at DEBUG
            tokenizer = jieba.Tokenizer()
            # Built from the dictionary rather than by initialize(), which writes a 9 MB cache into the temp
            # dir and later loads whatever file stands there; loading it is no faster than building (0.6 s).
            tokenizer.FREQ, tokenizer.total = tokenizer.gen_pfdict(tokenizer.get_dict_file())
            tokenizer.initialized = True
            _jieba = tokenizer
        return _jieba


def _matches(text: str) -> Iterator[re.Match[str]]:
    # NFKC: full-width ＳＮ１２３ is SN123; casefold: English (and ß) whatever the case.
    return _TOKENS.finditer(unicodedata.normalize("NFKC", text).casefold())


def _han_tokens(run: str) -> Iterator[str]:
    """Every character of a run of Chinese and every dictionary word in it, in the order they start."""
    dag = cast(dict[int, list[int]], _segmenter().get_DAG(run))
    for start, char in enumerate(run):
        if char not in _PARTICLES:
            yield char
        for end in dag[start]:
            if end > start:
                yield run[start : end + 1]


def _word_tokens(word: str) -> Iterator[str]:
    parts = _JOINERS.split(word)
    yield from parts
    for size in range(2, min(len(parts), MAX_JOINED_PARTS) + 1):
        for start in range(len(parts) - size + 1):
            yield "".join(parts[start : start + size])


def _document_tokens(text: str) -> Iterator[str]:
    for match in _matches(text):
        if match["han"]:
            yield from _han_tokens(match["han"])
        else:
            yield from _word_tokens(match["word"])


def search_tokens(*texts: str | None) -> str:
    """The words of `texts` for the index: lower-cased, each once, space-separated, at most MAX_TOKENS_CHARS."""
    return _bounded(texts)


def _bounded(texts: Iterable[str | None]) -> str:
    kept: dict[str, None] = {}
    size = -1  # no space before the first
    for text in texts:
        for token in _document_tokens(text or ""):
            if token in kept or len(token) > MAX_TOKEN_CHARS:
                continue
            size += len(token) + 1
            if size > MAX_TOKENS_CHARS:
                return " ".join(kept)
            kept[token] = None
    return " ".join(kept)


def query_tokens(query: str) -> list[str]:
    """The words a ticket must hold to match `query`; Invalid when it is too long or holds no word."""
    if len(query) > MAX_QUERY_CHARS:
        raise Invalid(f"A search is at most {MAX_QUERY_CHARS} characters.")
    tokens: dict[str, None] = {}
    for match in _matches(query):
        if match["han"]:
            words = cast(Iterator[str], _segmenter().cut(match["han"], HMM=False))
            tokens.update((word, None) for word in words if word not in _PARTICLES)
        else:
            # A joined word as a whole (KFR-35GW finds KFR35GW too), unless the index kept only its parts.
            parts = _JOINERS.split(match["word"])
            joined = "".join(parts)
            whole = len(parts) <= MAX_JOINED_PARTS and len(joined) <= MAX_TOKEN_CHARS
            tokens.update((part, None) for part in ([joined] if whole else parts))
    if not tokens:
        raise Invalid("Type a word, a number or Chinese to search for.")
    return list(tokens)


_TICKETS = Ticket.__table__
_FIELDS = (Ticket.serial_number, Ticket.product_model, Ticket.subject, Ticket.description, Ticket.solution)
# The very expression of PostgreSQL's index ix_tickets_search (a bound 'simple' would not match it).
_SIMPLE: ColumnClause[Any] = literal_column("'simple'::regconfig")
_TSVECTOR = func.to_tsvector(_SIMPLE, Ticket.search_tokens)
_FTS = table("ticket_search", column("rowid"))


def matching(query: str, *, dialect: str) -> ColumnElement[bool]:
    """A where-clause on Ticket: tickets holding every word of `query` (Invalid as query_tokens)."""
    tokens = query_tokens(query)
    if dialect == "postgresql":
        # plainto_tsquery: the words ANDed, nothing of tsquery's syntax; the text is a bound parameter.
        return _TSVECTOR.bool_op("@@")(func.plainto_tsquery(_SIMPLE, " ".join(tokens)))
    if dialect == "sqlite":
        # Each token a quoted string, ANDed: FTS5's syntax (AND, NEAR, *, ^, column:) never reaches it.
        phrases = " ".join('"' + token.replace('"', '""') + '"' for token in tokens)
        return Ticket.id.in_(select(_FTS.c.rowid).where(literal_column("ticket_search").op("MATCH")(phrases)))
    raise ValueError(f"No ticket search on {dialect}.")


def reindex(session: Session, *, ticket_id: int) -> None:
    """Recompute a ticket's search tokens from its fields and its notes (the oldest first)."""
    # The row locked first (PostgreSQL; SQLite has one writer): a reindex beside it waits, then reads the notes
    # this one wrote. NO KEY UPDATE, as the UPDATE below takes, lets notes be inserted meanwhile.
    locked = select(Ticket.search_tokens, *_FIELDS).where(Ticket.id == ticket_id).with_for_update(key_share=True)
    row = session.execute(locked).one_or_none()
    if row is None:
        raise NotFound(f"No ticket {ticket_id}.")
    notes = session.scalars(select(TicketNote.body).where(TicketNote.ticket_id == ticket_id).order_by(TicketNote.id))
    tokens = _bounded((*row[1:], *notes))
    if tokens != row.search_tokens:  # unchanged: no rewrite of the row and its index entries
        session.execute(update(_TICKETS).where(_TICKETS.c.id == ticket_id).values(search_tokens=tokens))
