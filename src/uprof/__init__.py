"""uprof: a self-hostable User Profiles API server."""

__version__ = "0.1.0"
