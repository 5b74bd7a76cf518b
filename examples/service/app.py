"""The HTTP doors: FastAPI routes over `Mall` (the decisions) and `Store` (the rows).

Bodies are read as bytes and loaded with sirui's codec (`loads_json(body,
Cart)`, ...); answers are sirui values dumped by the same codec. Every
mutating route takes an ``Idempotency-Key`` header: the command id. A
request that repeats a stored key gets the original answer (status and
body, header ``Idempotent-Replayed: true``); another request under a used
key is refused (400). Errors are `Problem` documents: 409 when a rule
refused (sirui's reason code and its zh/en message), 422 for invalid
content (every problem with its path), 404 for unknown ids, 400 for misuse,
413 for a body over 1 MiB, 503 when a command kept losing races, and 500
only for a bug (logged with its traceback).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pendulum
from examples.service import models
from examples.service.domain import Invalid, Mall, NotFound, check_id, ok, problem
from examples.service.policies import ServicePolicies
from examples.service.store import Answer, Busy, Store, StoredAnswerMismatch, Tx, micros
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pendulum import DateTime
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sirui.config import dumps_json, json_schema, loads_json, schemas
from sirui.core import Cart, ConfigError, IdConflictError, InvalidCommandError, Member, SiruiError
from sirui.loyalty.points import Earn
from sirui.rules import reason_code

log = logging.getLogger("sirui.service")

MAX_BODY = 1 << 20  # 1 MiB: a cart is a few kB

MISSING_KEY = reason_code("request.missing_idempotency_key",
                          zh="缺少 Idempotency-Key 请求头（命令ID）",
                          en="the Idempotency-Key header (the command id) is required")
KEY_REUSED = reason_code("request.idempotency_key_reused",
                         zh="Idempotency-Key {key} 已用于另一个请求",
                         en="Idempotency-Key {key} was used for another request")
ID_CONFLICT = reason_code("request.id_conflict", zh="命令ID冲突：{detail}",
                          en="command id conflict: {detail}")
MISUSE = reason_code("request.misuse", zh="请求有误：{detail}", en="bad request: {detail}")
INVALID = reason_code("request.invalid_content", zh="请求内容无效（{count}处）",
                      en="invalid request content ({count} problems)")
TOO_LARGE = reason_code("request.too_large", zh="请求体超过{limit}字节",
                        en="the request body is over {limit} bytes")
NO_ROUTE = reason_code("request.no_route", zh="没有这个接口：{detail}",
                       en="no such route: {detail}")
BUSY = reason_code("service.busy", zh="系统繁忙，请用同一 Idempotency-Key 重试",
                   en="busy: retry with the same Idempotency-Key")
BUG = reason_code("service.internal_error", zh="服务内部错误", en="internal error")


class Clock:
    """The service's ``now``: the wall clock in the store's zone, or a test clock.

    The test clock (``--clock ISO``) stands still until ``POST /admin/clock``
    moves it forward; it is kept in the ``meta`` table, so a restarted server
    resumes where it was and time never runs backwards.
    """

    def __init__(self, store: Store, tz: str, start: str | None) -> None:
        self.tz = tz
        self.store = store
        self.fixed: DateTime | None = None
        if start is not None:
            at = pendulum.parse(start)
            assert isinstance(at, DateTime)
            saved = store.get_meta("clock")
            if saved is not None:
                prev = pendulum.parse(saved)
                assert isinstance(prev, DateTime)
                at = max(at, prev)
            self.fixed = at.in_timezone(tz)
            store.set_meta("clock", self.fixed.isoformat())

    def now(self) -> DateTime:
        return self.fixed if self.fixed is not None else pendulum.now(self.tz)

    def advance(self, seconds: int) -> DateTime:
        if self.fixed is None:
            raise InvalidCommandError("the clock is the wall clock: start with --clock to move it")
        self.fixed = self.fixed.add(seconds=seconds)
        self.store.set_meta("clock", self.fixed.isoformat())
        return self.fixed


class BodyLimit:
    """Read at most `MAX_BODY` bytes of a request; answer 413 beyond (pure ASGI)."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        too_large = False
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            too_large = True
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body = message.get("body", b"")
            size += len(body)
            if size > self.limit:
                too_large = True
            if not too_large:
                chunks.append(body)
            if not message.get("more_body", False):
                break
            if too_large and size > 64 * self.limit:
                break  # stop draining an endless body; the connection closes
        if too_large:
            ans = problem(413, TOO_LARGE(limit=self.limit))
            await _send(send, ans.status, ans.body.encode(), close=True)
            return
        whole = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": whole, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _send(send: Send, status: int, body: bytes, close: bool = False) -> None:
    headers = [(b"content-type", b"application/json"),
               (b"content-length", str(len(body)).encode())]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _response(ans: Answer) -> Response:
    headers = {"Idempotent-Replayed": "true"} if ans.replayed else None
    return Response(ans.body, status_code=ans.status, media_type="application/json",
                    headers=headers)


def _problem(status: int, reason: Any, problems: tuple[tuple[str, str], ...] = ()) -> Response:
    body = models.Problem(status, reason.code, reason.zh, reason.en, reason, problems)
    return Response(dumps_json(body, indent=None), status_code=status,
                    media_type="application/json")


SERVICE_TYPES: dict[str, type] = {
    "policies": ServicePolicies,
    "order": models.ServiceOrder,
    "statement": models.MemberStatement,
    "problem": models.Problem,
    "claim": models.ClaimRequest,
    "refund": models.RefundRequest,
    "draw": models.DrawRequest,
    "bargain-start": models.BargainStart,
    "bargain-help": models.BargainHelp,
    "outcome": models.Outcome,
}


def create_app(  # noqa: C901 - the routes are closures over store, clock and mall, a few lines each
    store: Store, policies: ServicePolicies, clock: Clock, sweep_seconds: float = 1.0,
) -> FastAPI:
    """The ASGI app (wrapped in `BodyLimit`): routes, error handlers, the sweeper."""
    mall = Mall(policies)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(_sweeper()) if sweep_seconds > 0 else None
        yield
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        store.dispose()

    app = FastAPI(title="sirui reference service", version="1", lifespan=lifespan)
    app.state.store = store
    app.state.clock = clock

    # -- plumbing -------------------------------------------------------------------------

    async def command(request: Request, body: bytes,
                      decide: Callable[[Tx, DateTime], Answer], key: str | None) -> Response:
        h = _hash(request, body)

        def run() -> Answer:
            return store.run(key, h, lambda tx: decide(tx, clock.now()),
                             lambda: micros(clock.now()))

        return _response(await run_in_threadpool(run))

    def need_key(request: Request) -> str:
        key = request.headers.get("idempotency-key")
        if not key:
            raise _Misuse(400, MISSING_KEY())
        return check_id(key, "Idempotency-Key")

    async def read(request: Request, fn: Callable[[Tx, DateTime], Answer]) -> Response:
        def run() -> Answer:
            now = clock.now()
            return store.read(lambda tx: fn(tx, now), micros(now))

        return _response(await run_in_threadpool(run))

    def sweep_once() -> int:
        now = clock.now()
        done = 0
        for key in store.due_keys("order:", micros(now)):
            oid = key.split(":", 1)[1]

            def expire(tx: Tx, oid: str = oid) -> Answer:
                return mall.close(tx, oid, clock.now(), timeout=True)

            ans = store.run(f"expire:{oid}", "sweep", expire, lambda: micros(clock.now()))
            done += ans.status == 200 and not ans.replayed
        return done

    async def _sweeper() -> None:
        while True:
            await asyncio.sleep(sweep_seconds)
            try:
                await run_in_threadpool(sweep_once)
            except Exception:
                log.exception("sweep failed")

    _install_error_handlers(app)

    # -- routes ---------------------------------------------------------------------------

    @app.get("/health")
    async def health() -> Response:
        return Response('{"ok": true}', media_type="application/json")

    @app.get("/schemas/{name}")
    async def schema(name: str) -> Response:
        cls = SERVICE_TYPES.get(name)
        doc = json_schema(cls) if cls is not None else schemas().get(name)
        if doc is None:
            raise _Misuse(404, NO_ROUTE(detail=f"schema {name}"))
        return Response(_json(doc), media_type="application/json")

    @app.put("/members/{member_id}")
    async def put_member(member_id: str, request: Request) -> Response:
        body = await request.body()
        member = loads_json(body, Member)
        return await command(request, body,
                             lambda tx, now: mall.put_member(tx, member_id, member), None)

    @app.get("/guides/{guide_id}/statement")
    async def guide_statement(guide_id: str, request: Request, month: str) -> Response:
        return await read(request, lambda tx, now: mall.guide_statement(tx, guide_id, month))

    @app.get("/members/{member_id}/statement")
    async def statement(member_id: str, request: Request) -> Response:
        return await read(request, lambda tx, now: mall.statement(tx, member_id, now))

    @app.post("/members/{member_id}/coupons")
    async def claim(member_id: str, request: Request) -> Response:
        key = need_key(request)
        body = await request.body()
        req = loads_json(body, models.ClaimRequest)
        return await command(request, body, lambda tx, now: mall.claim(
            tx, member_id, req.template, key, now), key)

    @app.post("/members/{member_id}/points")
    async def grant_points(member_id: str, request: Request) -> Response:
        key = need_key(request)
        body = await request.body()
        earn = loads_json(body, Earn)
        return await command(request, body, lambda tx, now: mall.grant_points(
            tx, member_id, earn, now), key)

    @app.post("/quote")
    async def quote(request: Request, points: int | None = None,
                    coupons: str | None = None) -> Response:
        body = await request.body()
        cart = loads_json(body, Cart)
        chosen = _list(coupons)
        _non_negative(points)
        return await read(request, lambda tx, now: mall.quote(tx, cart, now, points, chosen))

    @app.post("/orders")
    async def place(request: Request, *, points: int | None = None, coupons: str | None = None,
                    seckill: str | None = None, group_open: str | None = None,
                    group_join: str | None = None) -> Response:
        key = need_key(request)
        body = await request.body()
        cart = loads_json(body, Cart)
        chosen = _list(coupons)
        _non_negative(points)
        if group_open and group_join:
            raise _Misuse(400, MISUSE(detail="group_open and group_join together"))
        return await command(request, body, lambda tx, now: mall.place(
            tx, key, cart, now, points=points, coupons=chosen, seckill=seckill,
            group_open=group_open, group_join=group_join), key)

    @app.get("/orders/{order_id}")
    async def get_order(order_id: str, request: Request) -> Response:
        return await read(request, lambda tx, now: ok(mall.order(tx, order_id)))

    @app.post("/orders/{order_id}/pay")
    async def pay(order_id: str, request: Request) -> Response:
        key = need_key(request)
        body = await request.body()
        return await command(request, body, lambda tx, now: mall.pay(tx, order_id, key, now),
                             key)

    @app.post("/orders/{order_id}/cancel")
    async def cancel(order_id: str, request: Request) -> Response:
        key = need_key(request)
        body = await request.body()
        return await command(request, body, lambda tx, now: mall.close(
            tx, order_id, now, timeout=False), key)

    @app.post("/orders/{order_id}/expire")
    async def expire(order_id: str, request: Request) -> Response:
        body = await request.body()
        return await command(request, body, lambda tx, now: mall.close(
            tx, order_id, now, timeout=True), f"expire:{order_id}")

    @app.post("/orders/{order_id}/refunds")
    async def refund(order_id: str, request: Request) -> Response:
        key = need_key(request)
        body = await request.body()
        req = loads_json(body, models.RefundRequest)
        return await command(request, body, lambda tx, now: mall.refund(
            tx, order_id, key, req.lines, now), key)

    @app.post("/groupbuy/{campaign_id}/groups/{group_id}/tick")
    async def group_tick(campaign_id: str, group_id: str, request: Request) -> Response:
        key = need_key(request)
        body = await request.body()
        return await command(request, body, lambda tx, now: mall.group_tick(
            tx, campaign_id, group_id, key, now), key)

    @app.post("/bargain/{campaign_id}/bargains")
    async def bargain_start(campaign_id: str, request: Request) -> Response:
        key = need_key(request)
        body = await request.body()
        req = loads_json(body, models.BargainStart)
        return await command(request, body, lambda tx, now: mall.bargain_start(
            tx, campaign_id=campaign_id, member_id=req.member_id, bargain_id=req.bargain_id,
            command_id=key, now=now), key)

    @app.post("/bargain/{campaign_id}/bargains/{bargain_id}/help")
    async def bargain_help(campaign_id: str, bargain_id: str, request: Request) -> Response:
        key = need_key(request)
        body = await request.body()
        req = loads_json(body, models.BargainHelp)
        return await command(request, body, lambda tx, now: mall.bargain_help(
            tx, campaign_id=campaign_id, bargain_id=bargain_id, member_id=req.member_id,
            command_id=key, now=now), key)

    @app.post("/lottery/{campaign_id}/draw")
    async def draw(campaign_id: str, request: Request) -> Response:
        key = need_key(request)
        body = await request.body()
        req = loads_json(body, models.DrawRequest)
        return await command(request, body, lambda tx, now: mall.draw(
            tx, campaign_id, req.member_id, key, now), key)

    @app.post("/admin/sweep")
    async def sweep() -> Response:
        n = await run_in_threadpool(sweep_once)
        return Response(_json({"expired": n}), media_type="application/json")

    @app.post("/admin/clock")
    async def move_clock(request: Request) -> Response:
        req = loads_json(await request.body(), models.ClockRequest)
        if req.advance_seconds < 0:
            raise _Misuse(400, MISUSE(detail="the clock only moves forward"))
        at = clock.advance(req.advance_seconds)
        return Response(_json({"now": at.isoformat()}), media_type="application/json")

    @app.get("/admin/stats")
    async def stats() -> Response:
        return Response(_json({"commands": store.commands_run, "conflicts": store.conflicts}),
                        media_type="application/json")

    @app.get("/admin/clock")
    async def get_clock() -> Response:
        return Response(_json({"now": clock.now().isoformat()}), media_type="application/json")

    return app


def _install_error_handlers(app: FastAPI) -> None:
    """Every exception becomes a `Problem`: 404, 422, 400, 413, 503; 500 only for a bug."""

    @app.exception_handler(NotFound)
    async def _not_found(_r: Request, exc: NotFound) -> Response:
        return _problem(404, exc.reason)

    @app.exception_handler(Invalid)
    async def _invalid(_r: Request, exc: Invalid) -> Response:
        return _problem(422, exc.reason)

    @app.exception_handler(_Misuse)
    async def _misuse(_r: Request, exc: _Misuse) -> Response:
        return _problem(exc.status, exc.reason)

    @app.exception_handler(ConfigError)
    async def _config(_r: Request, exc: ConfigError) -> Response:
        return _problem(422, INVALID(count=len(exc.problems)), exc.problems)

    @app.exception_handler(StoredAnswerMismatch)
    async def _reused(_r: Request, exc: StoredAnswerMismatch) -> Response:
        return _problem(400, KEY_REUSED(key=exc.command_id))

    @app.exception_handler(IdConflictError)
    async def _conflict(_r: Request, exc: IdConflictError) -> Response:
        return _problem(400, ID_CONFLICT(detail=str(exc)))

    @app.exception_handler(InvalidCommandError)
    async def _command_misuse(_r: Request, exc: InvalidCommandError) -> Response:
        return _problem(400, MISUSE(detail=str(exc)))

    @app.exception_handler(SiruiError)
    async def _sirui(_r: Request, exc: SiruiError) -> Response:
        # A value sirui refused (a refund of more than was bought, a bad amount): the content.
        return _problem(422, INVALID(count=1), (("$", str(exc)),))

    @app.exception_handler(RequestValidationError)
    async def _validation(_r: Request, exc: RequestValidationError) -> Response:
        problems = tuple(
            ("$." + ".".join(str(p) for p in e.get("loc", ())), str(e.get("msg", "")))
            for e in exc.errors())
        return _problem(422, INVALID(count=len(problems)), problems)

    @app.exception_handler(StarletteHTTPException)
    async def _http(r: Request, exc: StarletteHTTPException) -> Response:
        return _problem(exc.status_code, NO_ROUTE(detail=f"{r.method} {r.url.path}"))

    @app.exception_handler(Busy)
    async def _busy(_r: Request, _exc: Busy) -> Response:
        return _problem(503, BUSY())

    @app.exception_handler(Exception)
    async def _bug(r: Request, exc: Exception) -> Response:
        log.exception("bug on %s %s", r.method, r.url.path, exc_info=exc)
        return _problem(500, BUG())


class _Misuse(Exception):
    def __init__(self, status: int, reason: Any) -> None:
        super().__init__(reason.code)
        self.status = status
        self.reason = reason


def _json(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


def _hash(request: Request, body: bytes) -> str:
    from examples.service.store import request_hash

    return request_hash(request.method, request.url.path, str(request.url.query), body)


def _list(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [t for t in (p.strip() for p in text.split(",")) if t]


def _non_negative(points: int | None) -> None:
    if points is not None and points < 0:
        raise Invalid(reason_code("request.negative_points", zh="积分数不能为负",
                                  en="points must be >= 0")())


def asgi(store: Store, policies: ServicePolicies, clock: Clock,
         sweep_seconds: float = 1.0) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    return BodyLimit(create_app(store, policies, clock, sweep_seconds))
