"""Tests against real PostgreSQL and Temporal; no mocks stand in for either."""
