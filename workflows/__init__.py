"""Temporal workflows: one long-running process manager per member's liaison, its activities as
thin adapters over the domain application, and the dispatcher that forwards stored events to them.
"""
