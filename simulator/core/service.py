"""How a fake service plugs into the sandbox: its route table, its backend, its auth, its error
format. `build_app` turns one service into a Flask app; both transports (sockets and the in-process
`responses` router) call that same app, so the route table is the single source of truth.
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson
from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from simulator.core.context import current_sandbox
from simulator.core.errors import ApiError

if TYPE_CHECKING:
    from simulator.core.sandbox import Sandbox

log = logging.getLogger("hubforce.simulator")

Handler = Callable[..., Response]


@dataclass(frozen=True)
class Route:
    """One entry of a route table: a Flask rule (trailing slash optional), methods, handler."""

    rule: str
    methods: tuple[str, ...]
    handler: Handler
    public: bool = False  # True: no authentication (OAuth token endpoints, SOAP login, versions)


@dataclass
class Ctx:
    """What a handler gets: the sandbox, this service's backend, the request, and helpers."""

    sandbox: Sandbox
    service: Service
    backend: Any
    response_headers: dict[str, str] = field(default_factory=dict)
    auth: Any = None  # whatever the service's authenticate() established (token, session, ...)

    @property
    def request(self):  # noqa: ANN201 - flask's request proxy
        return request

    def json_body(self) -> Any:
        """Parse the body as JSON or raise the service's own malformed-JSON error."""
        raw = request.get_data(cache=True)
        if not raw.strip():
            raise self.service.malformed_json_error("empty request body", raw)
        try:
            return json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise self.service.malformed_json_error(str(exc), raw, exc) from exc

    def arg_list(self, name: str) -> list[str]:
        """A multi-valued query parameter, sent repeated (`a=1&a=2`, the SDKs) or comma-separated."""
        values: list[str] = []
        for raw in request.args.getlist(name):
            values.extend(v for v in (p.strip() for p in raw.split(",")) if v)
        return values

    def arg_bool(self, name: str, default: bool = False) -> bool:
        raw = request.args.get(name)
        if raw is None or raw == "":
            return default
        return raw.strip().lower() in ("true", "1", "yes")


class Service:
    """Subclass per fake. Keep HTTP parsing in handlers and domain logic in the backend."""

    name: str = ""
    routes: list[Route] = []
    default_settings: dict[str, Any] = {}

    def create_backend(self, sandbox: Sandbox) -> Any:
        raise NotImplementedError

    def authenticate(self, ctx: Ctx) -> None:
        """Raise an ApiError when the request may not proceed; may set ctx.auth."""

    def before_dispatch(self, ctx: Ctx, route: Route) -> None:
        """Rate limits, usage counters: raise ApiError to refuse, or add ctx.response_headers."""

    def after_request(self, ctx: Ctx) -> None:
        """Runs after the response is built, OUTSIDE the sandbox lock: side effects that call out
        (e.g. webhook deliveries to a receiver that may call the fake back) belong here."""

    def unrouted_headers(self, sandbox: Sandbox) -> dict[str, str]:
        """Headers for a response the router answers itself (404 no route, 405 wrong method), e.g.
        a usage header the real API puts on every response. Runs under the sandbox lock."""
        return {}

    def error(self, status: int, message: str) -> ApiError:
        """The service's generic error for `status` (unknown route, 405, 500, injected faults)."""
        return ApiError(status, {"message": message})

    def malformed_json_error(self, detail: str, raw: bytes = b"", exc: BaseException | None = None) -> ApiError:
        """`detail`: Python's message; `raw` and `exc` for services that word it their API's way."""
        return self.error(400, f"Malformed JSON: {detail}")

    def fault_error(self, status: int) -> ApiError:
        """Body for an injected fault with this status when the rule gives none."""
        return self.error(status, f"Injected fault {status}")

    def validate_settings(self, settings: dict[str, Any]) -> dict[str, Any]:
        """Return the merged, validated settings or raise ValueError naming the bad key."""
        unknown = sorted(set(settings) - set(self.default_settings))
        if unknown:
            raise ValueError(f"unknown {self.name} setting(s): {', '.join(unknown)}")
        return settings

    def admin_routes(self) -> list[Route]:
        """Service-specific control actions, mounted under /_hubforce/<service>/ (no auth)."""
        return []


def _json_bytes(body: Any) -> bytes | str:
    """Compact JSON, UTF-8 as the real APIs send it. orjson is several times faster than the
    stdlib on the large pages a sync reads; what it cannot encode (an integer beyond 64 bits, a
    non-string key) goes through json."""
    try:
        return orjson.dumps(body)
    except TypeError:
        return json.dumps(body, separators=(",", ":"))


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    if status == 204 or body is None:
        resp = Response(status=status)
    else:
        resp = Response(_json_bytes(body), status=status, mimetype="application/json")
    if headers:
        resp.headers.update(headers)
    return resp


def error_response(err: ApiError, extra_headers: dict[str, str] | None = None) -> Response:
    headers = dict(extra_headers or {})
    headers.update(err.headers)
    return json_response(err.body, err.status, headers)


def build_app(sandbox: Sandbox, service: Service) -> Flask:
    """A Flask app serving `service` plus the sandbox control API."""
    from simulator.admin.routes import control_routes  # late: admin imports this module

    app = Flask(f"hubforce-{service.name}")
    app.url_map.strict_slashes = False  # the clients send both `/sobjects/Lead/` and `/sobjects`
    app.url_map.merge_slashes = False  # `//` is not a path a real API would quietly rewrite
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024 * 1024

    def make_view(route: Route) -> Callable[..., Response]:
        def view(**params: Any) -> Response:
            ctx = Ctx(sandbox=sandbox, service=service, backend=sandbox.backend(service.name))
            current_sandbox.set(sandbox)
            try:
                with sandbox.lock:
                    if not route.public:
                        service.authenticate(ctx)
                    service.before_dispatch(ctx, route)
                    resp = route.handler(ctx, **params)
            except ApiError as err:
                resp = error_response(err, ctx.response_headers)
            else:
                if ctx.response_headers:
                    resp.headers.update(ctx.response_headers)
            service.after_request(ctx)
            return resp

        return view

    for i, route in enumerate(service.routes):
        app.add_url_rule(route.rule, f"api{i}", make_view(route), methods=list(route.methods))

    for i, route in enumerate(control_routes(sandbox)):
        app.add_url_rule(route.rule, f"control{i}", _control_view(sandbox, route), methods=list(route.methods))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        path = request.path
        if path.startswith("/_hubforce"):
            return json_response({"error": exc.description, "status": exc.code}, exc.code or 500)
        status = exc.code or 500
        message = {404: f"No route for {request.method} {path}",
                   405: f"HTTP method {request.method} is not allowed for {path}",
                   413: "Request body too large"}.get(status, exc.description or "error")
        with sandbox.lock:
            headers = service.unrouted_headers(sandbox)
        return error_response(service.error(status, message), headers)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        # A bug in a fake must still answer in the API's own format (never an HTML page), and loudly.
        log.error("unhandled error in %s fake: %s", service.name, traceback.format_exc())
        return error_response(service.error(500, f"Internal error in the {service.name} fake: {exc!r}"))

    from simulator.core.middleware import SandboxMiddleware

    app.wsgi_app = SandboxMiddleware(app.wsgi_app, sandbox, service)  # type: ignore[method-assign]
    return app


def _control_view(sandbox: Sandbox, route: Route) -> Callable[..., Response]:
    def view(**params: Any) -> Response:
        try:
            with sandbox.lock:
                return route.handler(sandbox, **params)
        except ApiError as err:
            return error_response(err)

    return view
