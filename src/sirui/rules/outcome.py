"""Outcomes of commands: accepted with a new state and events, or rejected with a reason.

Theory of operation: a stateful mechanic is a frozen state value plus
commands. ``state.handle(command, now=...)`` never mutates; it returns an
`Accepted` carrying the new state and the domain events the host must
persist, or a `Rejected` carrying the unchanged state and the `Reason`.
Misuse (a command the state can never take) raises instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Generic, Literal, TypeAlias, TypeVar

import attrs

from sirui.config import converter, register_codec, to_plain, wire_name
from sirui.config._converter import ForbiddenKeys, ShapeError, _Keyed, any_codec
from sirui.rules.reasons import Reason

__all__ = ["Accepted", "Event", "Outcome", "Rejected", "event_to_dict"]

S = TypeVar("S")


class Event:
    """Base of domain events: small frozen classes named in the past tense."""

    __slots__ = ()


@attrs.frozen(slots=True)
class Accepted(Generic[S]):
    """The command was applied: persist ``state`` and ``events`` together."""

    state: S
    events: tuple[Any, ...] = ()
    reason: Reason | None = None
    ok: Literal[True] = attrs.field(default=True, init=False)


@attrs.frozen(slots=True)
class Rejected(Generic[S]):
    """The command was refused for a business reason; ``state`` is unchanged."""

    reason: Reason
    state: S
    events: tuple[Any, ...] = ()
    ok: Literal[False] = attrs.field(default=False, init=False)


Outcome: TypeAlias = Accepted[S] | Rejected[S]


def event_to_dict(event: Any) -> dict[str, Any]:
    """An event as plain data: ``{"event": "<wire name>", ...fields}``.

    The name is the event's wire name (`sirui.config.wire_name`), qualified
    by its package: ``"campaigns.groupbuy.GroupMemberJoined"``.
    """
    body = to_plain(event)
    if not isinstance(body, dict):
        body = {"value": body}
    body.pop("type", None)
    body.pop("schema", None)
    return {"event": wire_name(type(event)), **body}


# -- the wire form of a Reason --------------------------------------------------------------
# ``{"code": "coupon.below_threshold", "params": {"threshold": ..., "short": ...}}``.
# A parameter can hold any value, so it is written as in any slot typed Any:
# text, integers and booleans as themselves, money and the rest with a tag.
# The messages are not written: they are rendered from the catalogue on read.


def _dump_reason(reason: Reason) -> dict[str, Any]:
    if not reason.params_items:
        return {"code": reason.code}
    return {"code": reason.code, "params": {k: any_codec.dump(v) for k, v in reason.params_items}}


def _load_reason(data: Any) -> Reason:
    if not isinstance(data, Mapping):
        raise ShapeError(f"expected an object with a 'code', got {type(data).__name__}")
    extra = set(data) - {"code", "params"}
    if extra:
        raise ForbiddenKeys(extra)
    code, params = data.get("code"), data.get("params", {})
    if not isinstance(code, str) or not code:
        raise ShapeError(f"code={code!r}: a reason code is non-empty text like "
                         "'coupon.below_threshold'", field="code")
    if not isinstance(params, Mapping):
        raise ShapeError(f"params={params!r}: expected an object of parameters", field="params")
    loaded, problems = [], []
    for k, v in params.items():
        try:
            loaded.append((k, any_codec.load(v)))
        except RecursionError:
            raise
        except Exception as exc:  # every bad parameter reported, each with its path
            problems.append(_Keyed(k, exc))
    if problems:
        raise _Keyed("params", ExceptionGroup("invalid parameters", problems))
    return Reason(code, tuple(sorted(loaded)))


def _reason_schema(of: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    return {
        "type": "object",
        "title": "Reason",
        "description": "A stable reason code and the parameters that decided it.",
        "properties": {
            "code": {"type": "string", "minLength": 1},
            "params": {"type": "object", "additionalProperties": of(Any)},
        },
        "required": ["code"],
        "additionalProperties": False,
    }


register_codec(Reason, unstructure=_dump_reason, structure=_load_reason, schema=_reason_schema)
_ = converter
