"""The fuzz tests' hypothesis profiles, registered once for every module that fuzzes.

``fuzz`` explores with random examples; under CI (``CI`` set) ``fuzz-ci`` derandomizes them, so
a failure there fails the same way on every run.
"""

import os

from hypothesis import settings

settings.register_profile("fuzz", max_examples=60, deadline=None)
settings.register_profile(
    "fuzz-ci", parent=settings.get_profile("fuzz"), derandomize=True, database=None
)
FUZZ = settings.get_profile("fuzz-ci" if "CI" in os.environ else "fuzz")
