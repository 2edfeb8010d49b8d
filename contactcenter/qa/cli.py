"""`contactcenter qa sample [--dry-run] [--seed N] [--policy ID]`: run the sampling policies now (or show what
they would choose), each run's seed and selection printed as a JSON line."""

from __future__ import annotations

import argparse
import json
import sys

from contactcenter.settings import load_settings

SEED_BITS = 53  # qa/sampling.py's (imported lazily: the command line starts without the database's modules)


def _seed(text: str) -> int:
    value = int(text)
    if not 0 <= value < 2**SEED_BITS:
        raise argparse.ArgumentTypeError(f"a seed from 0 to {2**SEED_BITS - 1}")
    return value


def sample(args: argparse.Namespace) -> int:
    """Run every active policy (or the one named) over its last whole period; print each run."""
    from contactcenter.db import Database
    from contactcenter.errors import APIError
    from contactcenter.qa.sampling_models import SamplingPolicy
    from contactcenter.qa.sampling_runs import ensure_defaults, policies_in_order, run_policy

    settings = load_settings()
    db = Database(settings.sqlalchemy_url)
    failed = 0
    try:
        with db.session() as session:
            ensure_defaults(session, settings=settings)
            if args.policy is not None:
                found = session.get(SamplingPolicy, args.policy)
                ids = [found.id] if found else []
                if not ids:
                    print(f"No sampling policy {args.policy}.", file=sys.stderr)
                    return 2
            else:
                ids = [policy.id for policy in policies_in_order(session)]
        for policy_id in ids:
            try:
                with db.session() as session:
                    policy = session.get_one(SamplingPolicy, policy_id)
                    done = run_policy(
                        session, policy=policy, settings=settings, seed=args.seed, trigger="cli", dry_run=args.dry_run
                    )
                    line = {**done.as_json(), "policy": policy.name, "dry_run": args.dry_run}
                    print(json.dumps(line, ensure_ascii=False))
            except APIError as exc:
                failed += 1
                print(f"policy {policy_id}: {exc}", file=sys.stderr)
    finally:
        db.dispose()
    return 1 if failed else 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `qa` command group."""
    qa = commands.add_parser("qa", help="quality assurance").add_subparsers(dest="qa_command", required=True)
    runs = qa.add_parser("sample", help="run the sampling policies over their last whole period now")
    runs.add_argument("--dry-run", action="store_true", help="print what would be chosen; write nothing")
    runs.add_argument("--seed", type=_seed, help="the seed (the same seed and data choose the same contacts)")
    runs.add_argument("--policy", type=int, help="one policy's id (default: every active policy)")
    runs.set_defaults(handler=sample)
