from tests.outcomes.conftest import baseline, session  # noqa: F401 - shared fixtures
