"""Run data-preparation job groups (Wrangle recipes) on Spark."""

__version__ = "0.1.0"
