"""Web pages: the chat page and privacy notice for survivors, the console templates; headers, static files."""
