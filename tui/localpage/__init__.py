"""The embedded local status page: a small Statuspage-v1-speaking web app."""
