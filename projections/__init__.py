"""Read models fed from the event store's notification log: one small class per model with its SQL,
the tracking runner, rebuild from zero, "as of" replay and the audit seal.
"""
