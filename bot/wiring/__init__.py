"""Composition roots: each process of the helpline is assembled here, and only here.

`services` opens what the web and gateway processes share (Redis, the database, Rasa, the core) and
closes it on the way out; `web`, `gateway`, `actions` and `helpline` (the supervisor of `helpline run`)
each build one process from Settings. Nothing below this package constructs a service.
"""
