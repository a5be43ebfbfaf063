from catalog.loading import DEMO_FIXTURES
from catalog.management.commands._fixture_command import FixtureCommand


class Command(FixtureCommand):
    help = (
        "Load the demo catalog: plans and services reported in the news and named in the "
        "issue paper, each with its source. Needs the reference data (load_reference_data). "
        "Safe to repeat: only what differs from fixtures/demo.json is written."
    )
    fixtures = DEMO_FIXTURES
