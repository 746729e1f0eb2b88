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
    import os

    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if worker.startswith("gw") and settings.REDIS_URL:
        # Run in parallel (`-n 2`), each worker has its own test database, whose ids are the
        # other's, and clears the cache between tests (Redis: the whole database): so each
        # worker has a Redis database of its own too, 8 after the one asked for.
        import urllib.parse

        url = urllib.parse.urlsplit(settings.REDIS_URL)
        base = int(url.path.strip("/") or 0)
        location = url._replace(path=f"/{(base + 8 + int(worker[2:])) % 16}").geturl()
        settings.CACHES = {
            name: {**cache, "LOCATION": location} for name, cache in settings.CACHES.items()
        }
