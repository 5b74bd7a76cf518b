"""Loyalty: members, tier ladders, paid cards, segmentation (`sirui.loyalty.members`)
and points, sign-in, tasks, points mall and stored value (`sirui.loyalty.points`)."""
