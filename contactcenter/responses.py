"""The JSON API's one response class: every body is masked (contactcenter/access/masking.py) as it is
rendered, unless the viewer given needs personal data whole. No viewer: masked. Importing Starlette's
own JSONResponse elsewhere is refused by ruff (banned-api in pyproject.toml)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.background import BackgroundTask
from starlette.responses import JSONResponse as StarletteJSONResponse  # noqa: TID251 (the one use)

from contactcenter.access.masking import Viewer, masked, sees_whole


class JSONResponse(StarletteJSONResponse):
    """JSON with phone numbers, ID numbers and addresses masked unless `viewer` needs them whole.

    `whole=True` is for bodies shown whole on purpose: an audited reveal, a document with no personal data."""

    def __init__(
        self,
        content: Any,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTask | None = None,
        *,
        viewer: Viewer | None = None,
        whole: bool = False,
    ) -> None:
        self.whole = whole or sees_whole(viewer)  # set first: the parent renders the body in __init__
        super().__init__(content, status_code, headers, media_type, background)

    def render(self, content: Any) -> bytes:
        return super().render(content if self.whole else masked(content))
