"""HTTP API and server-rendered dashboard: authentication, requests mapped to domain commands,
queries answered from the projections.
"""
