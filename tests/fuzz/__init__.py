"""Hostile inputs for the property-based tests of the public URLs (``tests/test_fuzz.py``)."""
