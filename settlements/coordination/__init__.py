"""Coordination: who has promised what to which request (pledges), and how much of each need nobody
covers yet (the gap, defined once in queries.py)."""
