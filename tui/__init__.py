"""warroom: the customer side of a major outage, in a terminal."""

__version__ = "0.1.0"
