"""medguide: medication information and medication-safety engine."""

__version__ = "0.1.0"
