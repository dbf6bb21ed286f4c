"""carerounds: geospatial visit scheduling and travel optimisation for home care."""

__version__ = "0.1.0"
