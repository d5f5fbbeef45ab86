"""The residence-liaison domain: events, aggregates, policies, organisation tree and permissions.

Pure: no I/O, no clock, no environment. Time and ids are passed in, so every module here can be
imported inside the Temporal workflow sandbox and reused by projections and the API.
"""
