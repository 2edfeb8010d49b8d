"""One server of the call benchmark, run by uvicorn with the settings of `contactcenter serve` (as
bench/webhooks_server.py runs its servers), so the product's neighbours differ only in their application:

    python bench/calls_server.py sandbox --port 8001 --ring-seconds 0 --recordings-dir DIR \\
        --number +862180000000 http://127.0.0.1:8000/twilio/voice http://127.0.0.1:8000/twilio/voice/status ...
    python bench/calls_server.py dial --port 8002       # the old <Dial><Client> path (calls_dial.py)

The sandbox's account SID and auth token come from TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN; the dial
app's settings from the environment as well (calls_dial.py). `twilio-sandbox serve` cannot set the ring
delay; the benchmark needs it at zero, so that ringing does not hide what it measures.
"""

from __future__ import annotations

import argparse
import gc
import os
from pathlib import Path

import uvicorn
from webhooks_server import SETTINGS

from twilio_sandbox import SandboxConfig, create_sandbox_app
from twilio_sandbox.cli import numbers_from


def never_collect() -> None:
    """No garbage collection in the bench's own processes (the sandbox, the old path's server, the
    bench), which live for one run: their collections held up whichever accept was under way and set
    both paths' tail (measured with gc.callbacks, 2026-12-06: with Python's defaults full collections
    of 30-85 ms every ~10 s in the sandbox as its calls' history grew; with the product's thresholds
    young collections of 30-90 ms). The product keeps its own settings (contactcenter/app.py)."""
    gc.collect()
    gc.freeze()
    gc.disable()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kind", choices=["sandbox", "dial"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ring-seconds", type=float, default=0.0, help="sandbox: how long an agent's phone rings")
    parser.add_argument("--recordings-dir", type=Path, default=Path("sandbox-recordings"))
    parser.add_argument("--number", nargs="+", action="append", default=[], metavar="E164 VOICE_URL [STATUS]")
    args = parser.parse_args()
    if args.kind == "dial":
        never_collect()
        uvicorn.run("calls_dial:dial_app", factory=True, host="127.0.0.1", port=args.port, **SETTINGS)  # type: ignore[arg-type]
        return
    config = SandboxConfig(
        account_sid=os.environ["TWILIO_ACCOUNT_SID"],
        auth_token=os.environ["TWILIO_AUTH_TOKEN"],
        public_url=f"http://127.0.0.1:{args.port}",
        numbers=numbers_from(args.number),
        recordings_dir=args.recordings_dir,
        ring_seconds=args.ring_seconds,
    )
    app = create_sandbox_app(config)
    never_collect()
    uvicorn.run(app, host="127.0.0.1", port=args.port, **SETTINGS)  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
