"""Experiments (A/B 实验) as policy values, and the deterministic assignment of members to arms.

Theory of operation. A member's arm is a pure function of three things: the
experiment's ``name`` (and ``salt``), the member id, and the arms' integer
weights. The name, the salt and the id are hashed with SHA-256 (each part
length-prefixed, so no two different triples share an input); the first
eight bytes of the digest, read big-endian, are a 64-bit position ``h``,
that is the point ``h / 2**64`` in ``[0, 1)``. The arms cut ``[0, 1)`` into
intervals in their order, each as wide as its weight's share, and the member
falls in the interval holding their point; the slot is computed exactly in
integers, ``(h * total_weight) >> 64``, so no float rounding decides an arm.

Consequences:

* the same member gets the same arm in every process, on every machine and
  in every Python version (no ``hash()``, no global random generator, no
  clock), so a backend, a notebook and a batch job agree;
* experiments with different names (or salts) assign independently, while
  one name always gives the same split: rename or salt an experiment to
  re-randomise it;
* a member's point does not depend on the weights, so moving weight from one
  arm to the next (a ramp from 90/10 to 80/20) only moves the members whose
  point lies between the old and the new boundary; nobody already in the
  growing arm leaves it.
"""

from __future__ import annotations

import hashlib
import numbers
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from sirui.core.errors import InvalidValueError, invalid
from sirui.core.registry import policy
from sirui.core.validators import non_empty_str, positive_int

__all__ = ["Arm", "Experiment", "position"]

_SCALE = 1 << 64


def _text(_inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, str):
        raise invalid(attribute.name, value, "must be a str")


@policy("experiment.arm")
@attrs.frozen(slots=True)
class Arm:
    """One arm of an experiment (实验组/对照组) and its integer weight, e.g. ``Arm("B", 1)``."""

    name: str = attrs.field(validator=non_empty_str)
    weight: int = attrs.field(default=1, validator=positive_int)
    """The arm's share of members is ``weight / sum of weights``."""
    description: str = attrs.field(default="", validator=_text)
    """What this arm shows, for the report (``"活动页 B: 满199减30 banner"``)."""


def _arms(value: Any) -> tuple[Arm, ...]:
    """Arms from a mapping of name to weight, or an iterable of `Arm` values (kept as given)."""
    if isinstance(value, Mapping):
        return tuple(Arm(name, weight) for name, weight in value.items())
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        return value  # type: ignore[return-value]  # the validator names the problem
    return tuple(value)


def _check_arms(_inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, tuple) or not all(isinstance(a, Arm) for a in value):
        raise invalid(attribute.name, value, "must be Arm values or a mapping of name to weight")
    if len(value) < 2:
        raise invalid(
            attribute.name, value, "must have at least 2 arms", "the first arm is the control"
        )
    names = [a.name for a in value]
    if len(set(names)) != len(names):
        raise invalid(attribute.name, value, "arm names must be unique")


def _netstring(part: str) -> bytes:
    data = part.encode("utf-8")
    return str(len(data)).encode("ascii") + b":" + data + b","


def _member_key(member_id: Any) -> str:
    if isinstance(member_id, str) and member_id:
        return member_id
    # ints, and numpy integers from an integer id column, read as their decimal text
    if not isinstance(member_id, bool) and isinstance(member_id, numbers.Integral):
        return str(int(member_id))
    raise invalid(
        "member_id", member_id, "must be a non-empty str (or int) id",
        "ids are hashed as text; convert float ids to text first", cls=InvalidValueError,
    )


def position(name: str, salt: str, member_id: str | int) -> int:
    """The member's 64-bit position for an experiment: SHA-256 of (name, salt, id), first 8 bytes.

    ``position(...) / 2**64`` is the member's point in ``[0, 1)``. An int id
    hashes as its decimal text (``7`` and ``"7"`` are the same member).
    """
    key = _netstring(name) + _netstring(salt) + _netstring(_member_key(member_id))
    return int.from_bytes(hashlib.sha256(key).digest()[:8], "big")


@policy("experiment.ab_test")
@attrs.frozen(slots=True)
class Experiment:
    """An A/B test (A/B 实验) operators run: arms with integer weights; the first arm is control.

    >>> exp = Experiment("landing-page-2026-07", {"control": 1, "new_banner": 1})
    >>> exp.arm_of("M000001") in ("control", "new_banner")
    True

    ``arms`` takes `Arm` values or a mapping of name to weight. The
    assignment is a pure function of ``name``, ``salt`` and the member id
    (see the module's theory of operation); change ``salt`` to draw a new
    split under the same name.
    """

    name: str = attrs.field(validator=non_empty_str)
    arms: tuple[Arm, ...] = attrs.field(converter=_arms, validator=_check_arms)
    salt: str = attrs.field(default="", validator=_text)
    """Mixed into the hash: a new salt draws a new split under the same name."""
    description: str = attrs.field(default="", validator=_text)

    @property
    def control(self) -> str:
        """The control arm's name (对照组): the first arm."""
        return self.arms[0].name

    @property
    def arm_names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.arms)

    @property
    def total_weight(self) -> int:
        return sum(a.weight for a in self.arms)

    @property
    def shares(self) -> dict[str, float]:
        """Each arm's expected share of members (weight / total weight)."""
        total = self.total_weight
        return {a.name: a.weight / total for a in self.arms}

    def point(self, member_id: str | int) -> float:
        """The member's point in ``[0, 1)`` (for plots and explanations; arms use integers)."""
        return position(self.name, self.salt, member_id) / _SCALE

    def arm_of(self, member_id: str | int) -> str:
        """The arm ``member_id`` is in: the same answer in every process and on every machine."""
        slot = (position(self.name, self.salt, member_id) * self.total_weight) >> 64
        for arm in self.arms:
            if slot < arm.weight:
                return arm.name
            slot -= arm.weight
        raise AssertionError("unreachable: slot < total weight")  # pragma: no cover

    def assign(self, member_ids: Iterable[str | int]) -> list[str]:
        """The arm of each id, in order."""
        return [self.arm_of(mid) for mid in member_ids]
