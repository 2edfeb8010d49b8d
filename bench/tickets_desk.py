"""The ticket benchmark's desk phases: the list (`desk.list_tickets`) as agents, team leads and managers use it,
full-text search through its `q`, and the SQL of a new call on the incoming-call path (register, menu choice).

Every query is the product's function on its own reading session, timed from the call to its return (the SQL
and the page's rows: clocks, names), as a request's handler runs it.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Engine, event
from tickets_rows import Person, Seeded, phone_of
from tickets_text import search_queries

from contactcenter.access.scopes import Reach, reach_of
from contactcenter.contacts import service as contacts
from contactcenter.contacts.models import Contact
from contactcenter.context import Services
from contactcenter.tickets.clocks import clockwork
from contactcenter.tickets.desk import Filters, list_tickets
from contactcenter.tickets.linking import thread_contact
from contactcenter.users.auth import CurrentUser

PAGE = 50  # the desk's page (desk_routes.py's default)
OPEN_STATUSES = (("in_progress",), ("new", "acknowledged"), ("waiting_parts",), ("dispatched", "in_progress"))


@dataclass
class Sample:
    kind: str
    ms: float
    rows: int
    sql_ms: float = 0.0  # of which in the database driver's execute (PostgreSQL's work and the rows' transfer)


@dataclass
class Query:
    kind: str
    person: Person
    filters: Filters
    second_page: bool = False


class SqlClock:
    """The time this process spends in the driver's execute, summed (SQLAlchemy's cursor events)."""

    def __init__(self, engine: Engine) -> None:
        self.spent = 0.0
        self._began = 0.0
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, *_: object) -> None:
        self._began = time.perf_counter()

    def _after(self, *_: object) -> None:
        self.spent += time.perf_counter() - self._began


@dataclass
class Timings:
    samples: list[Sample] = field(default_factory=list)
    sql: SqlClock | None = None
    _sql_before: float = 0.0

    def start(self) -> float:
        self._sql_before = self.sql.spent if self.sql else 0.0
        return time.perf_counter()

    def add(self, kind: str, began: float, rows: int) -> None:
        sql_ms = ((self.sql.spent if self.sql else 0.0) - self._sql_before) * 1000
        self.samples.append(Sample(kind, (time.perf_counter() - began) * 1000, rows, sql_ms))

    def values(self, kind: str | None = None) -> list[float]:
        return [s.ms for s in self.samples if kind is None or s.kind == kind]

    def sql_values(self, kind: str | None = None) -> list[float]:
        return [s.sql_ms for s in self.samples if kind is None or s.kind == kind]

    def kinds(self) -> list[str]:
        return list(dict.fromkeys(s.kind for s in self.samples))


def reach_for(services: Services, person: Person) -> Reach:
    user = CurrentUser(person.id, person.username, person.username, person.role, person.queues, {}, team=person.team)
    return reach_of(services, user)


def list_mix(rng: random.Random, seeded: Seeded, count: int) -> list[Query]:
    """The desk's everyday lists: an agent's own and queues' tickets, a team lead's team, a manager's statuses,
    "breaching soon" at each level, a category over a week; a third of them also ask for the second page."""
    agents, leads, managers = seeded.of_role("agent"), seeded.of_role("supervisor"), seeded.of_role("manager")
    week_ago = seeded.now - timedelta(days=7)
    makers: list[Callable[[], Query]] = [
        lambda: Query("agent: mine", rng.choice(agents), Filters(view="mine")),
        lambda: Query("agent: mine, open", rng.choice(agents), Filters(view="mine", status=rng.choice(OPEN_STATUSES))),
        lambda: Query("agent: queues", rng.choice(agents), Filters(view="queues")),
        lambda: Query("agent: queues, new", rng.choice(agents), Filters(view="queues", status=("new",))),
        lambda: Query("lead: team", rng.choice(leads), Filters(view="team")),
        lambda: Query("lead: team, status", rng.choice(leads), Filters(view="team", status=rng.choice(OPEN_STATUSES))),
        lambda: Query(
            "manager: all, status", rng.choice(managers), Filters(view="all", status=rng.choice(OPEN_STATUSES))
        ),
        lambda: Query("agent: breaching soon", rng.choice(agents), Filters(view="mine", due="breaching_soon")),
        lambda: Query("lead: breaching soon", rng.choice(leads), Filters(view="team", due="breaching_soon")),
        lambda: Query("manager: breaching soon", rng.choice(managers), Filters(view="all", due="breaching_soon")),
        lambda: Query("manager: breached", rng.choice(managers), Filters(view="all", due="breached")),
        lambda: Query(
            "manager: category, last week",
            rng.choice(managers),
            Filters(view="all", category=rng.choice(("complaint", "return_exchange", "order")), updated_from=week_ago),
        ),
        lambda: Query(
            "agent: category, last week",
            rng.choice(agents),
            Filters(view="queues", category=rng.choice(("repair", "complaint", "order")), updated_from=week_ago),
        ),
    ]
    out = []
    for index in range(count):
        query = makers[index % len(makers)]()
        query.second_page = rng.random() < 1 / 3
        out.append(query)
    rng.shuffle(out)
    return out


def search_mix(rng: random.Random, seeded: Seeded, count: int) -> list[Query]:
    """Searches of 1-3 Chinese words or a serial number, by managers (all), agents (their queues), team leads."""
    out = []
    for kind, q in search_queries(rng, count, seeded.serials):
        pick = rng.random()
        if pick < 0.5:
            person, view = rng.choice(seeded.of_role("manager")), "all"
        elif pick < 0.85:
            person, view = rng.choice(seeded.of_role("agent")), "queues"
        else:
            person, view = rng.choice(seeded.of_role("supervisor")), "team"
        out.append(Query(f"search {kind}", person, Filters(view=view, q=q), second_page=rng.random() < 0.2))
    return out


def run_queries(services: Services, queries: list[Query], timings: Timings | None) -> None:
    """Each query on its own reading session; its second page (keyset, `after`) timed apart."""
    reaches: dict[int, Reach] = {}
    for query in queries:
        reach = reaches.get(query.person.id) or reaches.setdefault(query.person.id, reach_for(services, query.person))
        with services.db.reading() as session:
            began = timings.start() if timings else 0.0
            page = list_tickets(session, reach=reach, filters=query.filters, limit=PAGE)
            if timings is not None:
                timings.add(query.kind, began, len(page["tickets"]))
        if query.second_page and page["next"]:
            with services.db.reading() as session:
                began = timings.start() if timings else 0.0
                page = list_tickets(session, reach=reach, filters=query.filters, limit=PAGE, after=page["next"])
                if timings is not None:
                    timings.add(
                        f"{query.kind} (page 2)" if not query.kind.startswith("search") else "search page 2",
                        began,
                        len(page["tickets"]),
                    )


def rows_per_kind(timings: Timings) -> dict[str, float]:
    out: dict[str, list[int]] = {}
    for sample in timings.samples:
        out.setdefault(sample.kind, []).append(sample.rows)
    return {kind: sum(rows) / len(rows) for kind, rows in out.items()}


def open_calls(services: Services, rng: random.Random, seeded: Seeded, count: int, sql: SqlClock) -> Timings:
    """The SQL of new calls, as the IVR runs it: the caller's first answer registers the call (contact, customer,
    ticket: ivr/service.py `register`), the menu choice queues it (`mark_queued`: the ticket's category and its
    first clocks, `thread_contact`, the commit, `last_agent_of`: ivr/queueing.py `enter_routing` before routing)."""
    timings = Timings(sql=sql)
    work = clockwork(services)
    choices = (("repair", "repair", "2"), ("complaints", "complaint", "3"), ("general", "consultation", "1"))
    for index in range(count):
        customer = rng.randint(1, seeded.counts["customers"])
        known = rng.random() < 0.7  # most callers have called before
        phone = phone_of(customer) if known else f"+86199{rng.randint(0, 10**8 - 1):08d}"
        sid = f"CAbench{seeded.now.timestamp():.0f}{index:08d}"
        began = timings.start()
        with services.db.session() as session:
            contact, _ = contacts.register_inbound_call(
                session, call_sid=sid, from_number=phone, to_number="+862180000000", region="CN"
            )
            contact_id = contact.id
        timings.add("register (first answer)", began, 1)
        queue, category, choice = rng.choice(choices)
        began = timings.start()
        with services.db.session() as session:
            contact = session.get_one(Contact, contact_id)
            contacts.mark_queued(session, work, contact=contact, queue=queue, choice=choice, category=category)
            thread_contact(session, work, contact=contact, window_hours=72, actor="twilio")
            session.commit()
            if contact.customer_id:
                contacts.last_agent_of(session, customer_id=contact.customer_id)
        timings.add("menu choice (category, clocks, threading)", began, 1)
    return timings
