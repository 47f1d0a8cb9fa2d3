"""Handoff to human counsellors: the Redis queue of tickets, staffing hours, and the chat relay."""
