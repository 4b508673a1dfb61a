"""Helpers shared by the tests: definitions on disk, PDFs read back, generated answers, a private PostgreSQL,
the web site in-process and a headless Chromium."""
