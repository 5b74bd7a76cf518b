"""Exact money (re-exported from `sirui.core.money`)."""

from sirui.core.money import *  # noqa: F403
from sirui.core.money import __all__  # noqa: F401
