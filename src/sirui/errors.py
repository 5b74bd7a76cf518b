"""Typed errors (re-exported from `sirui.core.errors`)."""

from sirui.core.errors import *  # noqa: F403
from sirui.core.errors import __all__  # noqa: F401
