"""One server of the webhook benchmark, started with the same uvicorn settings whichever app it runs:

    python bench/webhooks_server.py app  --port 8100 [--cpu 1]   # the product (contactcenter.asgi:app)
    python bench/webhooks_server.py bare --port 8101 [--cpu 1]   # fixed TwiML from BENCH_TWIML_FILE

The settings are those of `contactcenter serve` (one worker process, uvicorn's automatic loop and
HTTP implementation, which pick uvloop and httptools when installed, the sansio websocket stack,
proxy headers), so the two servers differ only in the application they run.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

TARGETS = {"app": "contactcenter.asgi:app", "bare": "webhooks_server:bare_app"}
SETTINGS = {
    "workers": 1,
    "loop": "auto",
    "http": "auto",
    "ws": "websockets-sansio",
    "ws_per_message_deflate": False,
    "proxy_headers": True,
    "log_level": "warning",
}


def bare_app() -> Starlette:
    """POST /twilio/voice answers the same TwiML every time: no signature check, no flow, no SQL."""
    body = Path(os.environ["BENCH_TWIML_FILE"]).read_bytes()

    async def voice(request: Request) -> Response:
        await request.body()  # receive the whole request, as the webhook does before parsing it
        return Response(body, media_type="application/xml")

    async def healthz(request: Request) -> Response:
        return JSONResponse({"ok": True})

    return Starlette(routes=[Route("/twilio/voice", voice, methods=["POST"]), Route("/healthz", healthz)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kind", choices=sorted(TARGETS))
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cpu", type=int, help="run on this core only (the threads it starts inherit it)")
    args = parser.parse_args()
    if args.cpu is not None:
        os.sched_setaffinity(0, {args.cpu})
    uvicorn.run(TARGETS[args.kind], factory=True, host="127.0.0.1", port=args.port, **SETTINGS)  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
