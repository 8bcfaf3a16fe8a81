from tests.needling.conftest import ready_session, screened  # noqa: F401 - shared fixtures
