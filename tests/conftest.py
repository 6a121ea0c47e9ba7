pytest_plugins = ["tests.support.postgres_fixtures", "tests.support.wheel"]
