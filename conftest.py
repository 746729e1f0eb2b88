def pytest_configure(config):
    from django.conf import settings

    # Argon2 is deliberately slow; tests only need passwords to work, not to be costly. Set
    # here, before any test class creates its users in setUpTestData.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.LOGGING["loggers"]["axes"] = {"level": "ERROR"}
