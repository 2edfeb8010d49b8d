"""The ticket benchmark's rows: its sizes and people, and the lines COPY loads (customers, tickets with their
text and search tokens, the open tickets' clocks and alarms) or the SQL that derives the rest from the tickets
(five contacts each, the finished tickets' met clocks). Loaded by tickets_seed.py."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from tickets_text import CATEGORIES, SURNAMES, Text, Tokens, check_tokens, solution, ticket_text

from contactcenter.tickets.clocks import ALARM_JOB
from contactcenter.tickets.lifecycle import OPEN_STATES, State, lifecycle_of
from contactcenter.tickets.policies import DEFAULTS

HOTLINE = "+862180000000"
SPAN_DAYS = 730  # the tickets' history: two years
TABLES = ("customers", "tickets", "contacts", "ticket_clocks", "outbox_jobs")
QUEUES = (
    ("general", "咨询 General enquiries"),
    ("repair", "报修 Repairs"),
    ("complaints", "投诉 Complaints"),
    ("orders", "订单 Orders"),
    ("returns", "退换货 Returns"),
)
# Two teams, each with its team lead, serving its queues; the managers see everything.
TEAMS = {"east": ("general", "repair"), "south": ("complaints", "orders", "returns")}
AGENTS_PER_TEAM = 20
# The clock each open ticket counts first, and a second one some have (budgets from policies.DEFAULTS).
MAIN_TARGET = {"return_exchange": "result"}
SECOND_TARGET = {"repair": "dispatch", "complaint": "reply"}
MIN_AHEAD = timedelta(minutes=45)  # no seeded clock comes due within a run
BREACHED_SHARE = 0.03  # open tickets with a breached first-response clock, escalated to their team lead
CLOSED_STATES = ((State.CLOSED, 0.75), (State.RESOLVED, 0.2), (State.RETURN_VISIT, 0.05))
MERGED_SHARE = 0.003


@dataclass(frozen=True)
class Sizes:
    tickets: int
    clocks: int  # running clocks on the open tickets

    @property
    def open(self) -> int:
        return self.tickets // 10

    @property
    def customers(self) -> int:
        return max(self.tickets // 5, 100)


@dataclass
class Person:
    id: int
    username: str
    role: str
    team: str | None
    queues: tuple[str, ...]


@dataclass
class Seeded:
    """What the measurements need to know of the data, and what the load took."""

    now: datetime
    people: list[Person] = field(default_factory=list)
    serials: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    phases: dict[str, float] = field(default_factory=dict)
    distinct_clauses: int = 0

    def of_role(self, role: str) -> list[Person]:
        return [p for p in self.people if p.role == role]


def phone_of(customer_id: int) -> str:
    """A seeded customer's mobile number, in E.164."""
    return f"+86{('138', '139', '150', '186', '188', '158', '136')[customer_id % 7]}{customer_id:08d}"


def iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat()


def budget_of(category: str, target: str) -> int:
    for policy in DEFAULTS:
        if policy.category == category and policy.target == target:
            return policy.minutes * 60
    raise KeyError((category, target))


def customer_lines(sizes: Sizes, rng: random.Random, now: float) -> Iterator[str]:
    for index in range(1, sizes.customers + 1):
        name = f"{rng.choice(SURNAMES)}{'先生' if rng.random() < 0.5 else '女士'}"
        grade = "key" if rng.random() < 0.03 else "normal"
        created = iso(now - SPAN_DAYS * 86400 * rng.random())
        yield f"{index}\t{phone_of(index)}\t{name}\t{grade}\t{rng.randint(0, 9999):04d}\t{created}\n"


@dataclass
class OpenTicket:
    id: int
    category: str
    status: str
    breached: bool


def ticket_lines(
    sizes: Sizes, rng: random.Random, now: float, seeded: Seeded, opened: list[OpenTicket]
) -> Iterator[str]:
    """The tickets, oldest first (ids grow with time); the open ones are mostly recent."""
    tokens = Tokens()
    names, weights = [c[0] for c in CATEGORIES], [c[1] for c in CATEGORIES]
    queue_of: dict[str, str | None] = {c[0]: c[2] for c in CATEGORIES}
    agents_of: dict[str, list[int]] = {}
    for person in seeded.of_role("agent"):
        for served in person.queues:
            agents_of.setdefault(served, []).append(person.id)
    n, recent = sizes.tickets, 2 * sizes.open
    old_share = 0.2 * sizes.open / max(n - recent, 1)
    step = SPAN_DAYS * 86400 / n
    samples: list[tuple[str, Text, str | None]] = []
    for index in range(n):
        ticket_id = index + 1
        created = now - SPAN_DAYS * 86400 + (index + rng.random()) * step
        category = rng.choices(names, weights)[0]
        queue = queue_of.get(category)
        is_open = rng.random() < (0.4 if index >= n - recent else old_share)
        text = ticket_text(rng, category)
        serial = f"SN{datetime.fromtimestamp(created, UTC).year}{ticket_id:08d}"
        merged_into = "\\N"
        escalation = 0
        if is_open:
            states = [s for s in lifecycle_of(category).states if s in OPEN_STATES and s != State.MERGED]
            status: str = rng.choice(states)
            updated = created + (now - created) * rng.random()
            resolved_at = closed_at = fixed = None
            if status == State.NEW:
                assignee = None
                queue = queue if rng.random() < 0.9 else None  # a message left on the chat page: nobody's
            else:
                assignee = rng.choice(agents_of[queue or "general"])
            breached = status not in (State.NEW, State.WAITING_CUSTOMER) and rng.random() < BREACHED_SHARE
            escalation = 1 if breached else 0
            opened.append(OpenTicket(ticket_id, category, status, breached))
        else:
            status = rng.choices([s for s, _ in CLOSED_STATES], [w for _, w in CLOSED_STATES])[0]
            if rng.random() < MERGED_SHARE and index > 0:
                status, merged_into = State.MERGED, str(ticket_id - 1)
            resolved = min(created + rng.uniform(2 * 3600, 10 * 86400), now - 60)
            closed = resolved + rng.uniform(3600, 3 * 86400) if status == State.CLOSED else None
            updated = min(closed or resolved, now - 60)
            resolved_at, closed_at = iso(resolved), iso(closed) if closed else None
            assignee = rng.choice(agents_of[queue or "general"])
            fixed = solution(rng)
        if len(seeded.serials) < 2000 and rng.random() < 2000 / n * 2:
            seeded.serials.append(serial)
        if len(samples) < 200:
            samples.append((serial, text, fixed))
        row = (
            str(ticket_id),
            f"T-{ticket_id:06d}",
            status,
            category,
            text.subject,
            text.description,
            str(rng.randint(1, sizes.customers)),
            str(assignee) if assignee else "\\N",
            queue or "\\N",
            text.product_model or "\\N",
            serial,
            fixed or "\\N",
            str(escalation),
            merged_into,
            iso(created),
            iso(updated),
            resolved_at or "\\N",
            closed_at or "\\N",
            tokens.of(serial=serial, text=text, solution=fixed),
        )
        yield "\t".join(row) + "\n"
    check_tokens(iter(samples), tokens)
    seeded.distinct_clauses = tokens.distinct


TICKET_COLUMNS = (
    "id, number, status, category, subject, description, customer_id, assignee_id, queue, product_model, "
    "serial_number, solution, escalation_level, merged_into_id, created_at, updated_at, resolved_at, closed_at, "
    "search_tokens"
)
CLOCK_COLUMNS = (
    "id, ticket_id, target, level, state, policy_version, budget_seconds, warn_percent, started_at, running_since, "
    "consumed_seconds, due_at, warn_at, warned_at, breached_at, generation"
)


def clock_lines(sizes: Sizes, rng: random.Random, now: float, opened: list[OpenTicket]) -> Iterator[tuple[str, ...]]:
    """(clock line, outbox line or ''): exactly `sizes.clocks` running clocks, none due for 45 minutes, those
    past their warning share warned; paused clocks for tickets waiting on the customer; breached ones."""
    counting = [t for t in opened if t.status != State.WAITING_CUSTOMER]
    seconds = [t for t in counting if t.category in SECOND_TARGET]
    rng.shuffle(seconds)
    wanted = [(t, MAIN_TARGET.get(t.category, "resolve")) for t in counting[: sizes.clocks]]
    wanted += [(t, SECOND_TARGET[t.category]) for t in seconds[: max(sizes.clocks - len(wanted), 0)]]
    clock_id = 0
    for ticket, target in wanted:
        clock_id += 1
        budget = budget_of(ticket.category, target)
        ahead = MIN_AHEAD.total_seconds()
        due = now + ahead + rng.random() * max(budget - ahead, 0)
        since = due - budget
        warn = since + 0.8 * budget
        # Warned already when its warning falls within the run (none may come due in it).
        warned, warn_at = (iso(min(warn, now)), "\\N") if warn <= now + ahead else ("\\N", iso(warn))
        line = (
            f"{clock_id}\t{ticket.id}\t{target}\t0\trunning\t0\t{budget}\t80\t{iso(since)}\t{iso(since)}\t0\t"
            f"{iso(due)}\t{warn_at}\t{warned}\t\\N\t1\n"
        )
        alarm_ms = int((warn if warn > now + ahead else due) * 1000)
        job = f"{iso(now)}\t{ALARM_JOB}\t{json.dumps([clock_id, 1])}\t{alarm_ms}\tclock-{clock_id}-1\t[]\t0\n"
        yield line, job
    for ticket in opened:
        target = MAIN_TARGET.get(ticket.category, "resolve")
        budget = budget_of(ticket.category, target)
        if ticket.status == State.WAITING_CUSTOMER:
            clock_id += 1
            started = iso(now - rng.uniform(3600, 5 * 86400))
            used = rng.uniform(0.1, 0.7) * budget
            yield (
                (
                    f"{clock_id}\t{ticket.id}\t{target}\t0\tpaused\t0\t{budget}\t80\t{started}\t\\N\t{used:.0f}\t"
                    "\\N\t\\N\t\\N\t\\N\t2\n"
                ),
                "",
            )
        if ticket.breached:
            clock_id += 1
            due = now - rng.uniform(600, 5 * 86400)
            yield (
                (
                    f"{clock_id}\t{ticket.id}\trespond\t0\tbreached\t0\t1800\t80\t{iso(due - 1800)}\t"
                    f"{iso(due - 1800)}\t0\t{iso(due)}\t\\N\t{iso(due - 360)}\t{iso(due)}\t3\n"
                ),
                "",
            )


def met_clocks_sql() -> str:
    """One met 'resolve'-like clock per finished ticket, late if it was resolved after its budget."""
    budgets = " ".join(
        f"WHEN '{p.category}' THEN {p.minutes * 60}"
        for p in DEFAULTS
        if p.target == MAIN_TARGET.get(p.category, "resolve")
    )
    return f"""
        INSERT INTO ticket_clocks (ticket_id, target, level, state, policy_version, budget_seconds, warn_percent,
            started_at, consumed_seconds, due_at, warned_at, breached_at, stopped_at, generation)
        SELECT t.id, CASE t.category WHEN 'return_exchange' THEN 'result' ELSE 'resolve' END, 0, 'stopped', 0, b.s,
            80, t.created_at, extract(epoch FROM t.resolved_at - t.created_at), t.created_at + b.s * interval '1 s',
            CASE WHEN t.resolved_at > t.created_at + 0.8 * b.s * interval '1 s'
                THEN t.created_at + 0.8 * b.s * interval '1 s' END,
            CASE WHEN t.resolved_at > t.created_at + b.s * interval '1 s' THEN t.created_at + b.s * interval '1 s' END,
            t.resolved_at, 3
        FROM tickets t CROSS JOIN LATERAL (SELECT CASE t.category {budgets} END AS s) b
        WHERE t.resolved_at IS NOT NULL
    """


CONTACTS_SQL = f"""
    INSERT INTO contacts (provider_id, channel, direction, from_number, to_number, status, queue, menu_choice,
        customer_id, ticket_id, agent_id, language, disposition, conference_sid, identity_verified, priority,
        created_at, queued_at, answered_at, ended_at)
    SELECT 'CA' || lpad(to_hex(t.id * 5 + k), 32, '0'),
        CASE WHEN (t.id + k) % 5 = 0 THEN 'chat' ELSE 'voice' END, 'inbound', c.phone, '{HOTLINE}',
        CASE WHEN t.assignee_id IS NULL THEN 'abandoned' ELSE 'ended' END, t.queue, t.category, t.customer_id, t.id,
        t.assignee_id, 'zh-CN', CASE WHEN t.assignee_id IS NULL THEN NULL ELSE 'resolved' END,
        CASE WHEN (t.id + k) % 5 <> 0 AND t.assignee_id IS NOT NULL
            THEN 'CF' || lpad(to_hex(t.id * 5 + k), 32, '0') END, false, 0,
        t.created_at + (k - 1) * (t.updated_at - t.created_at) / 5,
        t.created_at + (k - 1) * (t.updated_at - t.created_at) / 5 + interval '25 s',
        CASE WHEN t.assignee_id IS NULL THEN NULL
            ELSE t.created_at + (k - 1) * (t.updated_at - t.created_at) / 5 + interval '70 s' END,
        t.created_at + (k - 1) * (t.updated_at - t.created_at) / 5 + interval '6 min'
    FROM tickets t JOIN customers c ON c.id = t.customer_id CROSS JOIN generate_series(1, 5) AS k
"""
