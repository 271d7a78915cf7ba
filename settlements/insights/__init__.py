"""Insights: what AidTrack's own evidence says over time (trends)."""
