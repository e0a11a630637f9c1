pytest_plugins = ["kunde.core.testing.fixtures", "kunde.mail.testing"]
