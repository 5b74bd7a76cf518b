"""Campaigns: group-buy, bargain, friend assistance, seckill, limited-time discounts,
lottery and red packets, one module (or subpackage) each.

Subscription purchase (周期购): `sirui.campaigns.subscription`.
"""
