-- Redshift bootstrap: schemas and grants (docs/decisions/0008 and 0019). Idempotent; run by the pipeline through the
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
-- internal: what analysts and learners must not read (cross-facility link keys; docs/decisions/0008)
CREATE SCHEMA IF NOT EXISTS internal;

-- The tables LoadRaw fills (DELETE + COPY … FORMAT AS PARQUET per facility-month, docs/decisions/0015); dbt creates the
-- rest (stage, mart_build, mart, ref, dq.dq_results). Created before the grants below so they cover them.
-- BEGIN generated tables (python infra/scripts/redshift_tables.py; do not edit by hand)
-- raw.<slug>: the normalised rows (normalised_schema); dq.quarantine_<slug>: the quarantined lines
-- (quarantine_schema); dq.load_history: one row per delivered file. Column order is COPY's order.

CREATE TABLE IF NOT EXISTS raw.ff1 (
  facility_code varchar(65535),
  patient_key varchar(65535),
  admission_date varchar(65535),
  admission_seq bigint,
  parent_info_no varchar(65535),
  item_code varchar(65535),
  version varchar(65535),
  seq bigint,
  payload_1 varchar(65535),
  payload_2 varchar(65535),
  payload_3 varchar(65535),
  payload_4 varchar(65535),
  payload_5 varchar(65535),
  payload_6 varchar(65535),
  payload_7 varchar(65535),
  payload_8 varchar(65535),
  payload_9 varchar(65535),
  age_at_admission bigint,
  neonatal_age_days_at_admission bigint,
  yyyymm integer not null,
  source_file varchar(65535) not null,
  line_number bigint not null,
  load_id varchar(65535) not null,
  loaded_at timestamptz not null
)
DISTSTYLE AUTO
SORTKEY (yyyymm, facility_code);

CREATE TABLE IF NOT EXISTS raw.ff4 (
  facility_code varchar(65535),
  patient_key varchar(65535),
  admission_date varchar(65535),
  discharge_date varchar(65535),
  non_insurance_combination varchar(65535),
  yyyymm integer not null,
  source_file varchar(65535) not null,
  line_number bigint not null,
  load_id varchar(65535) not null,
  loaded_at timestamptz not null
)
DISTSTYLE AUTO
SORTKEY (yyyymm, facility_code);

CREATE TABLE IF NOT EXISTS raw.h (
  facility_code varchar(65535),
  ward_code varchar(65535),
  patient_key varchar(65535),
  discharge_date varchar(65535),
  admission_date varchar(65535),
  service_date varchar(65535),
  item_code varchar(65535),
  version varchar(65535),
  seq bigint,
  payload_1 varchar(65535),
  payload_2 varchar(65535),
  payload_3 varchar(65535),
  payload_4 varchar(65535),
  payload_5 varchar(65535),
  payload_6 varchar(65535),
  payload_7 varchar(65535),
  payload_8 varchar(65535),
  payload_9 varchar(65535),
  payload_10 varchar(65535),
  payload_11 varchar(65535),
  payload_12 varchar(65535),
  payload_13 varchar(65535),
  payload_14 varchar(65535),
  payload_15 varchar(65535),
  payload_16 varchar(65535),
  payload_17 varchar(65535),
  payload_18 varchar(65535),
  payload_19 varchar(65535),
  payload_20 varchar(65535),
  yyyymm integer not null,
  source_file varchar(65535) not null,
  line_number bigint not null,
  load_id varchar(65535) not null,
  loaded_at timestamptz not null
)
DISTSTYLE AUTO
SORTKEY (yyyymm, facility_code);

CREATE TABLE IF NOT EXISTS raw.efn (
  facility_code varchar(65535),
  patient_key varchar(65535),
  discharge_date varchar(65535),
  admission_date varchar(65535),
  data_category varchar(65535),
  sequence_no bigint,
  detail_no bigint,
  hospital_master_code varchar(65535),
  receipt_code varchar(65535),
  interpretation_no varchar(65535),
  item_name varchar(65535),
  quantity decimal(18,4),
  unit_code varchar(65535),
  item_points decimal(18,4),
  yen_point_flag varchar(65535),
  ffs_points decimal(18,4),
  detail_flags varchar(65535),
  act_points decimal(18,4),
  act_drug_points decimal(18,4),
  act_material_points decimal(18,4),
  act_count bigint,
  insurer_class varchar(65535),
  receipt_type varchar(65535),
  service_date varchar(65535),
  receipt_dept varchar(65535),
  clinical_dept varchar(65535),
  doctor_code varchar(65535),
  ward_code varchar(65535),
  ward_type varchar(65535),
  in_out_flag varchar(65535),
  facility_type varchar(65535),
  yyyymm integer not null,
  source_file varchar(65535) not null,
  line_number bigint not null,
  load_id varchar(65535) not null,
  loaded_at timestamptz not null
)
DISTSTYLE AUTO
SORTKEY (yyyymm, facility_code);

CREATE TABLE IF NOT EXISTS raw.efg (
  facility_code varchar(65535),
  patient_key varchar(65535),
  age_at_visit bigint,
  visit_date varchar(65535),
  data_category varchar(65535),
  sequence_no bigint,
  detail_no bigint,
  hospital_master_code varchar(65535),
  receipt_code varchar(65535),
  interpretation_no varchar(65535),
  item_name varchar(65535),
  quantity decimal(18,4),
  unit_code varchar(65535),
  item_points decimal(18,4),
  yen_point_flag varchar(65535),
  ffs_points decimal(18,4),
  detail_flags varchar(65535),
  act_points decimal(18,4),
  act_drug_points decimal(18,4),
  act_material_points decimal(18,4),
  act_count bigint,
  insurer_class varchar(65535),
  receipt_type varchar(65535),
  service_date varchar(65535),
  receipt_dept varchar(65535),
  clinical_dept varchar(65535),
  doctor_code varchar(65535),
  ward_code varchar(65535),
  ward_type varchar(65535),
  in_out_flag varchar(65535),
  facility_type varchar(65535),
  yyyymm integer not null,
  source_file varchar(65535) not null,
  line_number bigint not null,
  load_id varchar(65535) not null,
  loaded_at timestamptz not null
)
DISTSTYLE AUTO
SORTKEY (yyyymm, facility_code);

CREATE TABLE IF NOT EXISTS raw.d (
  facility_code varchar(65535),
  patient_key varchar(65535),
  discharge_date varchar(65535),
  admission_date varchar(65535),
  data_category varchar(65535),
  sequence_no bigint,
  hospital_master_code varchar(65535),
  receipt_code varchar(65535),
  interpretation_no varchar(65535),
  act_name varchar(65535),
  act_points decimal(18,4),
  act_drug_points decimal(18,4),
  act_material_points decimal(18,4),
  yen_point_flag varchar(65535),
  act_count bigint,
  insurer_class varchar(65535),
  receipt_type varchar(65535),
  service_date varchar(65535),
  receipt_dept varchar(65535),
  clinical_dept varchar(65535),
  doctor_code varchar(65535),
  ward_code varchar(65535),
  ward_type varchar(65535),
  in_out_flag varchar(65535),
  facility_type varchar(65535),
  billing_start_date varchar(65535),
  billing_end_date varchar(65535),
  billing_origin_date varchar(65535),
  dpc_code varchar(65535),
  hospital_coefficient decimal(18,4),
  yyyymm integer not null,
  source_file varchar(65535) not null,
  line_number bigint not null,
  load_id varchar(65535) not null,
  loaded_at timestamptz not null
)
DISTSTYLE AUTO
SORTKEY (yyyymm, facility_code);

CREATE TABLE IF NOT EXISTS raw.k (
  facility_code varchar(65535),
  patient_key varchar(65535),
  admission_date varchar(65535),
  discharge_date varchar(65535),
  service_month varchar(65535),
  sex varchar(65535),
  link_key varchar(65535),
  kana_normalisation_version varchar(65535),
  yyyymm integer not null,
  source_file varchar(65535) not null,
  line_number bigint not null,
  load_id varchar(65535) not null,
  loaded_at timestamptz not null
)
DISTSTYLE AUTO
SORTKEY (yyyymm, facility_code);

CREATE TABLE IF NOT EXISTS dq.quarantine_ff1 (
  facility_code varchar(65535) not null,
  yyyymm integer not null,
  kind varchar(65535) not null,
  source_file varchar(65535) not null,
  line_number bigint not null,
  column_name varchar(65535),
  reason_code varchar(65535) not null,
  reason varchar(65535) not null,
  raw_line varchar(65535),
  disposition varchar(65535) not null,
  load_id varchar(65535) not null,
  loaded_at timestamptz not null
)
DISTSTYLE AUTO
SORTKEY (yyyymm, facility_code);

CREATE TABLE IF NOT EXISTS dq.quarantine_ff4 (
  facility_code varchar(65535) not null,
  yyyymm integer not null,
  kind varchar(65535) not null,
  source_file varchar(65535) not null,
  line_number bigint not null,
  column_name varchar(65535),
  reason_code varchar(65535) not null,
  reason varchar(65535) not null,
  raw_line varchar(65535),
  disposition varchar(65535) not null,
  load_id varchar(65535) not null,
  loaded_at timestamptz not null
)
DISTSTYLE AUTO
SORTKEY (yyyymm, facility_code);

CREATE TABLE IF NOT EXISTS dq.quarantine_h (
  facility_code varchar(65535) not null,
  yyyymm integer not null,
  kind varchar(65535) not null,
  source_file varchar(65535) not null,
  line_number bigint not null,
  column_name varchar(65535),
  reason_code varchar(65535) not null,
  reason varchar(65535) not null,
  raw_line varchar(65535),
  disposition varchar(65535) not null,
  load_id varchar(65535) not null,
  loaded_at timestamptz not null
)
DISTSTYLE AUTO
SORTKEY (yyyymm, facility_code);

CREATE TABLE IF NOT EXISTS dq.quarantine_efn (
  facility_code varchar(65535) not null,
  yyyymm integer not null,
  kind varchar(65535) not null,
  source_file varchar(65535) not null,
  line_number bigint not null,
  column_name varchar(65535),
  reason_code varchar(65535) not null,
  reason varchar(65535) not null,
  raw_line varchar(65535),
  disposition varchar(65535) not null,
  load_id varchar(65535) not null,
  loaded_at timestamptz not null
)
DISTSTYLE AUTO
SORTKEY (yyyymm, facility_code);

CREATE TABLE IF NOT EXISTS dq.quarantine_efg (
  facility_code varchar(65535) not null,
  yyyymm integer not null,
  kind varchar(65535) not null,
  source_file varchar(65535) not null,
  line_number bigint not null,
  column_name varchar(65535),
  reason_code varchar(65535) not null,
  reason varchar(65535) not null,
  raw_line varchar(65535),
  disposition varchar(65535) not null,
  load_id varchar(65535) not null,
  loaded_at timestamptz not null
)
DISTSTYLE AUTO
SORTKEY (yyyymm, facility_code);

CREATE TABLE IF NOT EXISTS dq.quarantine_d (
  facility_code varchar(65535) not null,
  yyyymm integer not null,
  kind varchar(65535) not null,
  source_file varchar(65535) not null,
  line_number bigint not null,
  column_name varchar(65535),
  reason_code varchar(65535) not null,
  reason varchar(65535) not null,
  raw_line varchar(65535),
  disposition varchar(65535) not null,
  load_id varchar(65535) not null,
  loaded_at timestamptz not null
)
DISTSTYLE AUTO
SORTKEY (yyyymm, facility_code);

CREATE TABLE IF NOT EXISTS dq.quarantine_k (
  facility_code varchar(65535) not null,
  yyyymm integer not null,
  kind varchar(65535) not null,
  source_file varchar(65535) not null,
  line_number bigint not null,
  column_name varchar(65535),
  reason_code varchar(65535) not null,
  reason varchar(65535) not null,
  raw_line varchar(65535),
  disposition varchar(65535) not null,
  load_id varchar(65535) not null,
  loaded_at timestamptz not null
)
DISTSTYLE AUTO
SORTKEY (yyyymm, facility_code);

CREATE TABLE IF NOT EXISTS dq.load_history (
  load_id varchar(1024) not null,
  facility_code varchar(1024) not null,
  yyyymm integer not null,
  kind varchar(1024) not null,
  source_file varchar(1024),
  sha256 varchar(1024),
  bytes bigint,
  delivered_rows bigint,
  accepted_rows bigint,
  quarantined_rows bigint,
  warnings bigint,
  manifest_sha256 varchar(1024),
  archived_to varchar(1024),
  loaded_by varchar(1024),
  loaded_at timestamptz not null
)
DISTSTYLE AUTO
SORTKEY (yyyymm, facility_code);

-- END generated tables

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
GRANT USAGE, CREATE ON SCHEMA raw, stage, internal, mart_build, mart, ref, dq TO ROLE dpc_pipeline;
GRANT ALL ON ALL TABLES IN SCHEMA raw, stage, internal, mart_build, mart, ref, dq TO ROLE dpc_pipeline;
-- Nothing on internal is granted to analysts or learners.

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

-- Learner sandboxes (docs/decisions/0019). A learner's sandbox dbt project builds into <learner>_stage, <learner>_mart
-- and <learner>_dq (macros/overrides/generate_schema_name.sql; docs/tutorial/02-sandbox.md); <learner>_dq holds its own
-- dq_results (like dq.dq_results), which the on-run-end hook appends to. The schemas are owned by the learner's
-- database user, so the learner writes there and nowhere else; the dpc_learner role reads stage, mart, ref, dq.
-- Nothing else is granted on them (analysts read the published schemas only). Once per learner, as the admin,
-- after the pipeline's first dbt run (dq.dq_results must exist):
--   CALL dq.create_learner_sandbox('<learner>', '<their own redshift user, e.g. IAMR:role-learner-dpc-alice>');
CREATE OR REPLACE PROCEDURE dq.create_learner_sandbox(learner varchar(64), db_user varchar(128))
AS $$
DECLARE
  owner_ident varchar(256);
BEGIN
  IF learner IS NULL OR learner !~ '^[a-z][a-z0-9_]{0,30}$' THEN
    RAISE EXCEPTION 'learner name must be lowercase letters, digits and underscores (as DPC_LEARNER): %', learner;
  END IF;
  IF db_user IS NULL OR db_user = '' THEN
    RAISE EXCEPTION 'db_user is required (the learner''s Redshift user, e.g. IAM:alice)';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM svv_tables WHERE table_schema = 'dq' AND table_name = 'dq_results') THEN
    RAISE EXCEPTION 'dq.dq_results does not exist yet: run the pipeline (dbt build) once before creating sandboxes';
  END IF;
  owner_ident := quote_ident(db_user);
  EXECUTE 'GRANT ROLE dpc_learner TO ' || owner_ident;
  EXECUTE 'CREATE SCHEMA IF NOT EXISTS ' || quote_ident(learner || '_stage') || ' AUTHORIZATION ' || owner_ident;
  EXECUTE 'CREATE SCHEMA IF NOT EXISTS ' || quote_ident(learner || '_mart') || ' AUTHORIZATION ' || owner_ident;
  EXECUTE 'CREATE SCHEMA IF NOT EXISTS ' || quote_ident(learner || '_dq') || ' AUTHORIZATION ' || owner_ident;
  EXECUTE 'CREATE TABLE IF NOT EXISTS ' || quote_ident(learner || '_dq') || '.dq_results (LIKE dq.dq_results)';
  EXECUTE 'ALTER TABLE ' || quote_ident(learner || '_dq') || '.dq_results OWNER TO ' || owner_ident;
END;
$$ LANGUAGE plpgsql;
