"""Alembic's environment script: the work is in coderev.migrations.runner.

`coderev.migrations.upgrade` hands Alembic its locked connection; the `alembic` command line
(alembic.ini at the repository's root) connects to DATABASE_URL, else the embedded SQLite.
"""

from coderev.migrations.runner import run_in_context

run_in_context()
