"""JAMEL: joint agent memory and exploration learning via JavaScript-coverage novelty."""

__version__ = "0.1.0"
