"""The counsellor console: login, the queue (inbox), conversations, the supervisor's and the admin's pages.

Build it with `bot.console.app.create_console(ConsoleDeps(...))` and mount it at /console.
"""
