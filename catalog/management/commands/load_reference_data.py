from catalog.loading import REFERENCE_FIXTURES
from catalog.management.commands._fixture_command import FixtureCommand


class Command(FixtureCommand):
    help = (
        "Load the reference data: the 243 local governments with their statutory codes, the "
        "12 service fields with their sub-groups, and the tag vocabulary. Safe to repeat: "
        "only what differs from fixtures/ is written."
    )
    fixtures = REFERENCE_FIXTURES
