"""onething: an integrated government-services platform for "高效办成一件事"."""

__version__ = "0.1.0"
