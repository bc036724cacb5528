"""curate: turn raw competition problems into clean, verified, difficulty-graded RL data."""

__version__ = "0.1.0"
