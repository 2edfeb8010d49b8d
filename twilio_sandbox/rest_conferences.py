"""Twilio's Conferences and Participants REST resources (2010-04-01), as twilio-python calls them."""

from __future__ import annotations

import asyncio
import re
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .conference_model import Conference, Participant
from .conference_verb import join_spec
from .faults import SLOW_ANSWER_SECONDS
from .ids import API_VERSION
from .rest_api import RestApi, list_page, not_found, twilio_error
from .rest_calls import CreateError, last, multi_form
from .rest_participants import announce_param, parse_change, parse_participant
from .sandbox import Sandbox
from .signals import Fetch
from .twiml import parse_twiml

CONFERENCE_SID_RE = re.compile(r"^CF[0-9a-fA-F]{32}$")


def _bool_filter(value: str | None) -> bool | None:
    """A true/false list filter; None when absent."""
    return None if value is None else value.strip().lower() == "true"


class ConferenceRestApi:
    """Request handlers for Conferences.json and its Participants, bound to one sandbox."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self._auth = RestApi(sandbox)

    def routes(self) -> list[Route]:
        """Starlette routes of the conference resources."""
        base = f"/{API_VERSION}/Accounts/{{account_sid}}/Conferences"
        participants = f"{base}/{{conference}}/Participants"
        return [
            Route(f"{base}.json", self.list_conferences, methods=["GET"]),
            Route(f"{base}/{{conference}}.json", self.conference, methods=["GET", "POST"]),
            Route(f"{participants}.json", self.list_participants, methods=["GET"]),
            Route(f"{participants}.json", self.create_participant, methods=["POST"]),
            Route(f"{participants}/{{participant}}.json", self.participant, methods=["GET", "POST", "DELETE"]),
        ]

    async def _form(self, request: Request) -> dict[str, list[str]]:
        """The request's form body, repeated parameters kept."""
        return multi_form(parse_qsl((await request.body()).decode(errors="replace"), keep_blank_values=True))

    def _conference(self, request: Request) -> Conference | Response:
        """The conference named by SID in the path, or the answer refusing the request (401, 404)."""
        if (denied := self._auth.authorize(request)) is not None:
            return denied
        conference = self.sandbox.conferences.get(request.path_params["conference"])
        return not_found(request.url.path) if conference is None else conference

    # -- conferences ------------------------------------------------------------------------

    async def list_conferences(self, request: Request) -> Response:
        """GET Conferences.json [FriendlyName, Status filters], newest first."""
        if (denied := self._auth.authorize(request)) is not None:
            return denied
        name, status = request.query_params.get("FriendlyName"), request.query_params.get("Status")
        conferences = [
            conference.to_resource()
            for conference in self.sandbox.conferences.all()
            if (name is None or conference.friendly_name == name) and (status is None or conference.status == status)
        ]
        return JSONResponse(list_page("conferences", conferences, request.url.path))

    async def conference(self, request: Request) -> Response:
        """GET a conference, or POST Status=completed to end it."""
        conference = self._conference(request)
        if isinstance(conference, Response):
            return conference
        if request.method == "POST":
            form = await self._form(request)
            status = last(form, "Status")
            if status is not None and status != "completed":
                return twilio_error(400, 20001, f"Invalid Status: {status}")
            try:
                announce = announce_param(form)
            except CreateError as exc:
                return twilio_error(400, exc.code, str(exc))
            if announce is not None and conference.status != "completed":
                self.sandbox.conferences.announce(conference, *announce, None)
            if status == "completed":
                self.sandbox.conferences.end(conference)
        return JSONResponse(conference.to_resource())

    # -- participants -------------------------------------------------------------------------

    async def list_participants(self, request: Request) -> Response:
        """GET the conference's participants [Muted, Hold, Coaching filters]."""
        conference = self._conference(request)
        if isinstance(conference, Response):
            return conference
        filters = {name: _bool_filter(request.query_params.get(name)) for name in ("Muted", "Hold", "Coaching")}

        def wanted(participant: Participant) -> bool:
            values = {"Muted": participant.muted, "Hold": participant.hold, "Coaching": participant.coaching}
            return all(want is None or values[name] == want for name, want in filters.items())

        items = [conference.participant_resource(p) for p in conference.participants.values() if wanted(p)]
        return JSONResponse(list_page("participants", items, request.url.path))

    async def create_participant(self, request: Request) -> Response:
        """POST Participants.json: call To and, once answered, put the call in the conference (SID or name)."""
        if (denied := self._auth.authorize(request)) is not None:
            return denied
        form = await self._form(request)
        try:
            req = parse_participant(form, set(self.sandbox.config.numbers))
        except CreateError as exc:
            return twilio_error(400, exc.code, str(exc))
        key: str = request.path_params["conference"]
        registry = self.sandbox.conferences
        # A CF SID must name a live conference; a FriendlyName opens the room if need be.
        conference = registry.get(key) if CONFERENCE_SID_RE.match(key) else registry.open(key)
        if conference is None or conference.status == "completed":
            return not_found(request.url.path)
        first = Fetch(None, "POST", req.twiml(conference.friendly_name), kind="participant")
        try:
            call = self.sandbox.place_outbound(
                from_=req.from_, to=req.to, first=first, status_callback=req.status_callback, timeout=req.timeout
            )
        except RuntimeError as exc:
            return twilio_error(503, 20503, str(exc))
        document = parse_twiml(first.twiml or "", "")
        participant = registry.expect(conference, call, join_spec(document.verbs[0].children[0], document))
        if self.sandbox.faults.take_slow_participant_answer():
            await asyncio.sleep(SLOW_ANSWER_SECONDS)
        return JSONResponse(conference.participant_resource(participant, queue_time="0"), status_code=201)

    async def participant(self, request: Request) -> Response:
        """GET, POST (update) or DELETE (kick) one participant, by CallSid or label."""
        conference = self._conference(request)
        if isinstance(conference, Response):
            return conference
        participant = conference.find(request.path_params["participant"])
        if participant is None:
            return not_found(request.url.path)
        if request.method == "DELETE":
            self.sandbox.conferences.kick(participant)
            return Response(status_code=204)
        if request.method == "POST":
            form = await self._form(request)
            try:
                change, announce = parse_change(form), announce_param(form)
            except CreateError as exc:
                return twilio_error(400, exc.code, str(exc))
            self.sandbox.conferences.update(conference, participant, change)
            if announce is not None and participant.joined:
                self.sandbox.conferences.announce(conference, *announce, participant)
        return JSONResponse(conference.participant_resource(participant))
