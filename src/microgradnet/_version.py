"""The package version, in a module of its own so that anything can read it without importing the
whole package (``microgradnet/__init__.py`` imports the engine, nn, losses, optim and compile)."""

__version__ = "0.1.0"
