-- The advisor's PostgreSQL roles, with only the rights each needs. Run once, as a superuser,
-- connected to an empty database named advisor (change both passwords first):
--
--   sudo -u postgres createdb advisor
--   sudo -u postgres psql -d advisor -v ON_ERROR_STOP=1 -f deploy/postgres/roles.sql
--
-- advisor_owner  owns the tables: `advisor records migrate` (creating and upgrading them, and
--                copying an old SQLite log in) runs as it, by hand, from one machine.
-- advisor        what every answer machine logs in as (ADVISOR_RECORDS_URL): reads and writes
--                the rows (a rating is updated, retention and `advisor forget` delete), and
--                nothing else: no tables created, dropped or altered, no other schema, no
--                other database, no superuser, roles or replication.

CREATE ROLE advisor_owner LOGIN PASSWORD 'CHANGE-ME-OWNER'
    NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 5;
CREATE ROLE advisor LOGIN PASSWORD 'CHANGE-ME-APP'
    NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 40;

-- the database: only these two may connect; only the owner may make temporary tables (the copy)
REVOKE ALL ON DATABASE advisor FROM PUBLIC;
GRANT CONNECT ON DATABASE advisor TO advisor_owner, advisor;
GRANT TEMPORARY ON DATABASE advisor TO advisor_owner;
REVOKE ALL ON SCHEMA public FROM PUBLIC;

-- one schema of the advisor's own, owned by advisor_owner
CREATE SCHEMA advisor AUTHORIZATION advisor_owner;
GRANT USAGE ON SCHEMA advisor TO advisor;
ALTER ROLE advisor_owner IN DATABASE advisor SET search_path = advisor;
ALTER ROLE advisor IN DATABASE advisor SET search_path = advisor;

-- every table advisor_owner creates there (now and in later migrations): rows only
ALTER DEFAULT PRIVILEGES FOR ROLE advisor_owner IN SCHEMA advisor GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO advisor;
ALTER DEFAULT PRIVILEGES FOR ROLE advisor_owner IN SCHEMA advisor GRANT USAGE, SELECT ON SEQUENCES TO advisor;

-- a statement of the serving role that runs longer than this is cancelled (the advisor sets 10 s itself)
ALTER ROLE advisor IN DATABASE advisor SET statement_timeout = '30s';
