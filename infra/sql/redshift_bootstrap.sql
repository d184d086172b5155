-- Redshift bootstrap: schemas and grants (DECISIONS 8 and 19). Idempotent; run by the pipeline through the
-- Data API (BatchExecuteStatement, as the namespace admin from Secrets Manager) on the first run, or by hand:
--   aws redshift-data batch-execute-statement --workgroup-name dpc-learning-<env> --database dpc \
--     --secret-arn <admin secret> --sqls "$(cat infra/sql/redshift_bootstrap.sql)"   (split per statement)
-- Every schema holds pseudonymised data only (the clear identifiers never leave S3 raw/).
--
-- Roles (Redshift RBAC):
--   dpc_pipeline  pipeline identities (role-lambda-dpc, role-dbt-runner via IAM: IAMR:<role name>) — write all layers
--   dpc_analyst   analysts — read stage, mart, ref, dq
--   dpc_learner   learners (role-learner-dpc: IAMR:role-learner-dpc) — read like analysts, write their own sandbox
-- Learners' limits are the workgroup's query limits and usage limit (Serverless has no per-role priority).

CREATE SCHEMA IF NOT EXISTS raw;
CREATE SCHEMA IF NOT EXISTS stage;
CREATE SCHEMA IF NOT EXISTS mart_build;
CREATE SCHEMA IF NOT EXISTS mart;
CREATE SCHEMA IF NOT EXISTS ref;
CREATE SCHEMA IF NOT EXISTS dq;

-- Roles (CREATE ROLE has no IF NOT EXISTS: the procedure below tolerates re-runs).
CREATE OR REPLACE PROCEDURE dq.ensure_role(role_name varchar(128))
AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM svv_roles WHERE svv_roles.role_name = ensure_role.role_name) THEN
    EXECUTE 'CREATE ROLE ' || quote_ident(role_name);
  END IF;
END;
$$ LANGUAGE plpgsql;

CALL dq.ensure_role('dpc_pipeline');
CALL dq.ensure_role('dpc_analyst');
CALL dq.ensure_role('dpc_learner');

-- The IAM identities map to Redshift users named IAMR:<role>; they are created on first GetCredentials.
-- Grant the roles to them (re-run after the first login of each identity):
--   GRANT ROLE dpc_pipeline TO "IAMR:role-dbt-runner";
--   GRANT ROLE dpc_pipeline TO "IAMR:role-lambda-dpc";
--   GRANT ROLE dpc_learner  TO "IAMR:role-learner-dpc";

-- Nobody but the owners creates in public.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

-- Pipeline roles write every layer.
GRANT USAGE, CREATE ON SCHEMA raw, stage, mart_build, mart, ref, dq TO ROLE dpc_pipeline;
GRANT ALL ON ALL TABLES IN SCHEMA raw, stage, mart_build, mart, ref, dq TO ROLE dpc_pipeline;

-- Analysts and learners read the pseudonymised, published schemas (not raw, not mart_build).
GRANT USAGE ON SCHEMA stage, mart, ref, dq TO ROLE dpc_analyst;
GRANT SELECT ON ALL TABLES IN SCHEMA stage, mart, ref, dq TO ROLE dpc_analyst;
GRANT USAGE ON SCHEMA stage, mart, ref, dq TO ROLE dpc_learner;
GRANT SELECT ON ALL TABLES IN SCHEMA stage, mart, ref, dq TO ROLE dpc_learner;

-- Tables created later by the pipeline (dbt) inherit the read grants.
ALTER DEFAULT PRIVILEGES IN SCHEMA stage GRANT SELECT ON TABLES TO ROLE dpc_analyst;
ALTER DEFAULT PRIVILEGES IN SCHEMA mart  GRANT SELECT ON TABLES TO ROLE dpc_analyst;
ALTER DEFAULT PRIVILEGES IN SCHEMA ref   GRANT SELECT ON TABLES TO ROLE dpc_analyst;
ALTER DEFAULT PRIVILEGES IN SCHEMA dq    GRANT SELECT ON TABLES TO ROLE dpc_analyst;
ALTER DEFAULT PRIVILEGES IN SCHEMA stage GRANT SELECT ON TABLES TO ROLE dpc_learner;
ALTER DEFAULT PRIVILEGES IN SCHEMA mart  GRANT SELECT ON TABLES TO ROLE dpc_learner;
ALTER DEFAULT PRIVILEGES IN SCHEMA ref   GRANT SELECT ON TABLES TO ROLE dpc_learner;
ALTER DEFAULT PRIVILEGES IN SCHEMA dq    GRANT SELECT ON TABLES TO ROLE dpc_learner;

-- Learner sandbox pattern: one schema per learner, named sandbox_<learner>, owned by that learner's
-- database user, so the learner writes there and nowhere else. Create one per learner with:
--   CALL dq.create_learner_sandbox('<learner>', '<redshift user, e.g. IAMR:role-learner-dpc or IAM:alice>');
CREATE OR REPLACE PROCEDURE dq.create_learner_sandbox(learner varchar(64), db_user varchar(128))
AS $$
DECLARE
  schema_name varchar(128) := 'sandbox_' || lower(learner);
BEGIN
  IF learner !~ '^[A-Za-z0-9_]+$' THEN
    RAISE EXCEPTION 'learner name must be letters, digits and underscores: %', learner;
  END IF;
  EXECUTE 'CREATE SCHEMA IF NOT EXISTS ' || quote_ident(schema_name) || ' AUTHORIZATION ' || quote_ident(db_user);
  EXECUTE 'GRANT ROLE dpc_learner TO ' || quote_ident(db_user);
  EXECUTE 'GRANT USAGE ON SCHEMA ' || quote_ident(schema_name) || ' TO ROLE dpc_analyst';
END;
$$ LANGUAGE plpgsql;
