pytest_plugins = ["tests.support.postgres_fixtures"]
