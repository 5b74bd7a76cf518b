"""Typed errors (re-exported from `sirui.core.errors`)."""

import warnings

from sirui.core.errors import *  # noqa: F403
from sirui.core.errors import __all__  # noqa: F401

warnings.warn(
    "sirui.errors is deprecated: import the typed errors from sirui.core "
    "(the module goes in the next release)",
    DeprecationWarning,
    stacklevel=2,
)
