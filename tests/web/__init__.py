"""Tests of the web application: every storage-backed test runs on SQLite and on a private PostgreSQL."""
