pytest_plugins = ["kunde.core.testing.fixtures"]
