"""Exact money (re-exported from `sirui.core.money`)."""

import warnings

from sirui.core.money import *  # noqa: F403
from sirui.core.money import __all__  # noqa: F401

warnings.warn(
    "sirui.money is deprecated: import Money and Rounding from sirui.core "
    "(the module goes in the next release)",
    DeprecationWarning,
    stacklevel=2,
)
