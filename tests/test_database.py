import os

import pytest
from django.db import connection


@pytest.mark.skipif(
    "EXPECT_DATABASE_VENDOR" not in os.environ, reason="only CI names the expected database"
)
def test_suite_runs_on_the_database_ci_asked_for():
    assert connection.vendor == os.environ["EXPECT_DATABASE_VENDOR"]
