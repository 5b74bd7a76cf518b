"""Field checks that several campaigns share (private).

The generic ones (ids, counts, money, datetimes) are in
`sirui.core.validators`; these name campaign nouns.
"""

from __future__ import annotations

from typing import Any

import attrs

from sirui.core.errors import invalid
from sirui.core.nouns import Member
from sirui.core.validators import is_instance_of
from sirui.rules import Condition

__all__ = ["flag", "is_condition", "is_member", "key_part"]

is_member = is_instance_of(Member, "a Member", "build it with Member('m1')")
"""A `Member` (the starter of a task or bargain, a helper, a group's member)."""

is_condition = is_instance_of(Condition, "a Condition", "e.g. NewCustomer()")
"""A `Condition` on who may start or help."""

flag = is_instance_of(bool, "True or False", "an operator's option is a bool")
"""An on/off option of a policy (a bool, never 0/1 or a string)."""


def key_part(_inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A non-empty id without ``/ @ | #``, the separators of stock storage keys."""
    if not isinstance(value, str) or not value or any(ch in value for ch in "/@|#"):
        raise invalid(attribute.name, value, "must be a non-empty string without / @ | #",
                      "these characters separate the parts of storage keys")
