-- coderev's database on the stack's PostgreSQL 16: the database code_review_platform, its
-- owner the login role coderev (not a superuser), and the seven schemas of the platform,
-- owned by coderev so the Alembic migrations (`coderev db upgrade`, or the first use of the
-- database) create their tables in them. Safe to run again: everything is "if absent".
--
-- The postgres image runs it once, on an empty data volume, as the superuser:
--   psql -v ON_ERROR_STOP=1 --username postgres --no-password --no-psqlrc -f 10-coderev.sql
-- The password comes from the container's CODEREV_DB_PASSWORD (docker-compose.yml, from .env).
-- psql variables override the names (the tests give each run its own database and role):
--   psql -v app_database=NAME -v app_user=NAME -v app_password=SECRET -f 10-coderev.sql
\set ON_ERROR_STOP on
\if :{?app_database}
\else
  \set app_database code_review_platform
\endif
\if :{?app_user}
\else
  \set app_user coderev
\endif
\if :{?app_password}
\else
  \getenv app_password CODEREV_DB_PASSWORD
\endif
\if :{?app_password}
\else
  -- fails the init (ON_ERROR_STOP): no role without a password
  DO $$ BEGIN RAISE EXCEPTION 'CODEREV_DB_PASSWORD is not set: the coderev role needs a password'; END $$;
\endif

SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'app_user', :'app_password')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'app_user') \gexec
-- the password follows .env when the role exists already
SELECT format('ALTER ROLE %I LOGIN NOSUPERUSER NOCREATEROLE PASSWORD %L', :'app_user', :'app_password') \gexec

SELECT format('CREATE DATABASE %I OWNER %I ENCODING %L TEMPLATE template0', :'app_database', :'app_user', 'UTF8')
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'app_database') \gexec

\connect :"app_database"

-- the seven schemas (DESIGN.md "Data"): the migrations create their tables inside
SELECT format('CREATE SCHEMA IF NOT EXISTS %I AUTHORIZATION %I', schema_name, :'app_user')
FROM unnest(ARRAY[
  'auth', 'projects', 'experiments_v1', 'production', 'quarantine', 'providers', 'audits'
]) AS schema_name \gexec

-- PostgreSQL 15+ already denies CREATE in public to other roles; kept for clusters upgraded
-- from older versions
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
