"""The customer file over HTTP (contract: customers/api.yml): read it, change the name or the grade, add
and remove products. Who: staff who reach one of the customer's tickets or contacts (managers, admins:
every customer); the grade only team leads, managers and admins change."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from contactcenter.access import Policy, Scope, reach, route
from contactcenter.access.rules import STAFF_ROLES
from contactcenter.audit.access import Action, audited
from contactcenter.context import Services
from contactcenter.customers import file, schemas
from contactcenter.errors import Invalid, NotFound, parsed, path_id
from contactcenter.responses import JSONResponse
from contactcenter.users.auth import SUPERVISOR_ROLES

CUSTOMER = Policy(
    "user",
    STAFF_ROLES,
    Scope("customer", "customer_id"),
    forbidden="The customer file is for agents, team leads, managers and admins",
    note="a customer of a ticket or contact in scope",
)
GRADE_ROLES = SUPERVISOR_ROLES  # team leads, managers, admins: who decides a key account


async def _answer_file(request: Request, customer_id: int, change: Callable[[Session], None] | None = None) -> Response:
    """The file (after `change(session)` in the same transaction, if given), in the access log as a read."""
    user = reach(request).user
    services: Services = request.app.state.services

    def run() -> dict[str, Any] | None:
        with services.db.session() as session:
            if change is not None:
                change(session)
                session.flush()
            return file.customer_file(session, customer_id=customer_id)

    view = await run_in_threadpool(run)
    if view is None:
        raise NotFound("No such customer.")
    await audited(request, user, action=Action.READ, object_type="customer", object_id=customer_id)
    return JSONResponse(view, viewer=user)


async def get_file(request: Request) -> Response:
    return await _answer_file(request, path_id(request, "customer_id"))


async def change_customer(request: Request) -> Response:
    body = parsed(schemas.CustomerChanges, await request.body())
    changes = body.changes()
    if not changes:
        raise Invalid("Nothing to change: send name or grade.")
    user = reach(request).user
    customer_id = path_id(request, "customer_id")

    def change(session: Session) -> None:
        file.change_customer(
            session,
            customer_id=customer_id,
            changes=changes,
            actor=f"user:{user.id}",
            may_grade=user.role in GRADE_ROLES,
        )

    return await _answer_file(request, customer_id, change)


async def add_product(request: Request) -> Response:
    body = parsed(schemas.NewProduct, await request.body())
    user = reach(request).user
    services: Services = request.app.state.services
    customer_id = path_id(request, "customer_id")

    def run() -> dict[str, Any]:
        with services.db.session() as session:
            fields = body.model_dump()
            return file.add_product(session, customer_id=customer_id, fields=fields, actor=f"user:{user.id}")

    return JSONResponse(await run_in_threadpool(run), status_code=201, viewer=user)


async def remove_product(request: Request) -> Response:
    user = reach(request).user
    services: Services = request.app.state.services
    customer_id, product_id = path_id(request, "customer_id"), path_id(request, "product_id")

    def run() -> None:
        with services.db.session() as session:
            file.remove_product(session, customer_id=customer_id, product_id=product_id, actor=f"user:{user.id}")

    await run_in_threadpool(run)
    return JSONResponse({"ok": True}, viewer=user)


PRODUCTS = "/api/customers/{customer_id:int}/products"
routes = [
    route("/api/customers/{customer_id:int}", get_file, methods=["GET"], policy=CUSTOMER),
    route("/api/customers/{customer_id:int}", change_customer, methods=["PATCH"], policy=CUSTOMER),
    route(PRODUCTS, add_product, methods=["POST"], policy=CUSTOMER),
    route(PRODUCTS + "/{product_id:int}", remove_product, methods=["DELETE"], policy=CUSTOMER),
]
