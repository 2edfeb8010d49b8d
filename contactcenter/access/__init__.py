"""One access policy for every route and websocket (docs/access.md): `route(…, policy=…)` declares it
beside the route's definition, and nothing reaches the endpoint without passing it."""

from contactcenter.access.policy import Policy, Scope, mount, queues_of, reach, route, websocket_route

__all__ = ["Policy", "Scope", "mount", "queues_of", "reach", "route", "websocket_route"]
