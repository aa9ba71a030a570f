"""The assembly: the web and API entry points that mount every app (urls, API, home dashboard)."""
