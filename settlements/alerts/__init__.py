"""Alerts: users subscribe to areas and categories; after each import and each morning AidTrack
records what changed for them as notices (listed in the app) and mails each a digest."""
