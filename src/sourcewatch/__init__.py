"""sourcewatch: a source monitor for conflict and terrorism analysts."""

__version__ = "0.1.0"
