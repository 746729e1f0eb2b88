"""Browser tests: real pages in headless Chromium (Playwright), checked with axe-core.

Run them alone with `pytest diagnostic/browser_tests` or skip them with `-m "not browser"`.
"""
