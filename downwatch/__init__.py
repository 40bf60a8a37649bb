"""downwatch: is it down? Answered from what the public reports."""

__version__ = "0.1.0"
