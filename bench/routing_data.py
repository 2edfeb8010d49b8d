"""Setup data of the routing benchmark: 50 queues, 20 skills, N agents, and the same population as SQL users."""

from __future__ import annotations

import random
from dataclasses import dataclass

from agent_sockets import cheap_password_hash
from redis import Redis

QUEUE_COUNT = 50
SKILL_COUNT = 20
QUEUES_PER_AGENT = 3
SKILLS = [f"skill{i:02d}" for i in range(SKILL_COUNT)]
QUEUES = [f"bench{i:02d}" for i in range(QUEUE_COUNT)]
PASSWORD = "bench-password-not-secret"


@dataclass(frozen=True)
class Agent:
    name: str
    queues: tuple[str, ...]
    skills: dict[str, int]


@dataclass(frozen=True)
class Population:
    needs: dict[str, dict[str, int]]  # queue -> skills (minimum levels) every contact of it needs
    agents: list[Agent]


def population(agents: int, seed: int = 7) -> Population:
    """Every queue needs one of the 20 skills at level 2 or more; every agent is in 3 queues (each queue
    the first queue of agents/50 of them), has their skills at level 2-5 plus two more at level 1-5."""
    rng = random.Random(seed)
    needs = {q: {SKILLS[i % SKILL_COUNT]: 2} for i, q in enumerate(QUEUES)}
    people = []
    for n in range(agents):
        first = QUEUES[n % QUEUE_COUNT]
        queues = (first, *rng.sample([q for q in QUEUES if q != first], QUEUES_PER_AGENT - 1))
        skills = {skill: rng.randint(2, 5) for q in queues for skill in needs[q]}
        for skill in rng.sample(SKILLS, 2):
            skills.setdefault(skill, rng.randint(1, 5))
        people.append(Agent(f"agent{n:05d}", queues, skills))
    return Population(needs, people)


def reset_redis(url: str) -> str:
    """Empty the benchmark's Redis database (only that one database); the server's version."""
    client = Redis.from_url(url)
    try:
        client.flushdb()
        return str(client.info("server").get("redis_version", "?"))
    finally:
        client.close()


def create_users(database_url: str, pop: Population) -> dict[str, int]:
    """Migrate an empty database, add the queues (with their skills) and one agent user per agent.

    Users get one precomputed argon2id hash with cheap parameters (benchmark only), so logging
    2,000 agents in costs one fast verify each instead of 2,000 full-cost hashes."""
    import contactcenter.models  # noqa: F401  (every table mapped before the first query)
    from contactcenter.db import Database
    from contactcenter.demo import create_demo_data
    from contactcenter.users.models import Role, User
    from queues.service import create_queue

    cheap_hash = cheap_password_hash(PASSWORD)
    db = Database(database_url)
    db.upgrade()
    try:
        with db.session() as session:
            create_demo_data(session)  # the demo queues: the app checks its IVR flows' queues at start-up
            queues = {}
            for name, needs in pop.needs.items():
                queues[name] = create_queue(session, name=name, display_name=name, actor="bench")
                queues[name].skills = needs
            users = [
                User(
                    username=agent.name,
                    display_name=agent.name,
                    password_hash=cheap_hash,
                    role=Role.AGENT,
                    skills=agent.skills,
                    queues=[queues[q] for q in agent.queues],
                )
                for agent in pop.agents
            ]
            session.add_all(users)
            session.flush()
            return {user.username: user.id for user in users}
    finally:
        db.dispose()
