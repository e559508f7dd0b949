-- The first schema of perch's PostgreSQL store. postgres/README.md says
-- why each table and index is there.

-- +goose Up

-- Resources: each row keeps the resource as JSON (doc) beside the columns
-- the rules, the constraints and the lookups use. scope is the ARN's
-- "arn:PARTITION:SERVICE:REGION:ACCOUNT:", what quotas and names are
-- counted within.
CREATE TABLE schemas (
    arn     text PRIMARY KEY,
    scope   text NOT NULL,
    created bigint NOT NULL,
    doc     jsonb NOT NULL
);
CREATE INDEX schemas_scope ON schemas (scope);

CREATE TABLE dataset_groups (
    arn     text PRIMARY KEY,
    scope   text NOT NULL,
    created bigint NOT NULL,
    doc     jsonb NOT NULL
);
CREATE INDEX dataset_groups_scope ON dataset_groups (scope);

CREATE TABLE datasets (
    arn               text PRIMARY KEY,
    scope             text NOT NULL,
    id                bigint NOT NULL,
    group_arn         text NOT NULL REFERENCES dataset_groups (arn),
    type              text NOT NULL,
    schema_arn        text NOT NULL REFERENCES schemas (arn),
    update_schema_arn text REFERENCES schemas (arn),
    tracking_id       text UNIQUE,
    created           bigint NOT NULL,
    doc               jsonb NOT NULL,
    CONSTRAINT datasets_one_per_type UNIQUE (group_arn, type)
);
CREATE INDEX datasets_scope ON datasets (scope);
-- Not unique: NextDatasetID never hands an id out twice, but the store
-- keeps what it is given.
CREATE INDEX datasets_id ON datasets (id);
CREATE INDEX datasets_schema ON datasets (schema_arn);
CREATE INDEX datasets_update_schema ON datasets (update_schema_arn) WHERE update_schema_arn IS NOT NULL;

CREATE TABLE event_trackers (
    arn         text PRIMARY KEY,
    scope       text NOT NULL,
    name        text NOT NULL,
    group_arn   text NOT NULL REFERENCES dataset_groups (arn),
    tracking_id text UNIQUE,
    created     bigint NOT NULL,
    doc         jsonb NOT NULL,
    CONSTRAINT event_trackers_one_per_group UNIQUE (group_arn),
    CONSTRAINT event_trackers_name UNIQUE (scope, name)
);

-- Jobs of the three kinds. target_arn is the dataset of an import or an
-- export, the dataset group of a data deletion. The lease is the node's
-- that runs the job; lease_until is on the database's clock.
CREATE TABLE jobs (
    arn         text PRIMARY KEY,
    kind        text NOT NULL CHECK (kind IN ('export', 'import', 'deletion')),
    scope       text NOT NULL,
    target_arn  text NOT NULL,
    finished    boolean NOT NULL,
    created     bigint NOT NULL,
    doc         jsonb NOT NULL,
    lease_owner text,
    lease_until timestamptz
);
CREATE INDEX jobs_scope ON jobs (scope, kind);
CREATE INDEX jobs_unfinished_target ON jobs (target_arn) WHERE NOT finished;
CREATE INDEX jobs_waiting ON jobs (created, arn) WHERE NOT finished;

CREATE SEQUENCE dataset_ids;
-- Numbers the writer's groups (each statement of one), whose records are
-- numbered after it: seq is the group's number shifted left by 24 bits,
-- or'ed with the record's place in the group. CACHE 1 (the default) keeps
-- it increasing across connections: the writer takes a connection of the
-- pool for each group.
CREATE SEQUENCE commit_groups;
CREATE SEQUENCE bulk_gens;

-- Records put through the events API. Ids are compared as bytes
-- (COLLATE "C"), as the contract orders them.
CREATE TABLE events (
    dataset_id        bigint NOT NULL,
    seq               bigint NOT NULL,
    event_id          text COLLATE "C" NOT NULL,
    event_type        text NOT NULL,
    event_value       double precision,
    item_id           text NOT NULL,
    user_id           text COLLATE "C" NOT NULL,
    session_id        text COLLATE "C" NOT NULL,
    sent_at           bigint NOT NULL,
    impression        text[],
    recommendation_id text NOT NULL,
    properties        text NOT NULL,
    attribution       text,
    duplicate         boolean NOT NULL,
    PRIMARY KEY (dataset_id, seq)
);
CREATE INDEX events_user ON events (dataset_id, user_id, seq) WHERE user_id <> '';
CREATE INDEX events_session ON events (dataset_id, session_id, seq);
CREATE INDEX events_duplicates ON events (dataset_id, event_id, seq) WHERE duplicate;

CREATE TABLE action_interactions (
    dataset_id        bigint NOT NULL,
    seq               bigint NOT NULL,
    event_id          text COLLATE "C" NOT NULL,
    event_type        text NOT NULL,
    action_id         text NOT NULL,
    user_id           text COLLATE "C" NOT NULL,
    session_id        text COLLATE "C" NOT NULL,
    ts                bigint NOT NULL,
    impression        text[],
    recommendation_id text NOT NULL,
    properties        text NOT NULL,
    duplicate         boolean NOT NULL,
    PRIMARY KEY (dataset_id, seq)
);
CREATE INDEX action_interactions_user ON action_interactions (dataset_id, user_id, seq) WHERE user_id <> '';
CREATE INDEX action_interactions_session ON action_interactions (dataset_id, session_id, seq);
CREATE INDEX action_interactions_duplicates ON action_interactions (dataset_id, event_id, seq) WHERE duplicate;

-- First-seen eventIds, of both kinds of interaction: a row here is the
-- eventId's original, committed or being committed.
CREATE TABLE event_ids (
    dataset_id bigint NOT NULL,
    event_id   text COLLATE "C" NOT NULL,
    PRIMARY KEY (dataset_id, event_id)
);

-- Items, users and actions put through the events API.
CREATE TABLE entities (
    dataset_id bigint NOT NULL,
    id         text COLLATE "C" NOT NULL,
    properties text NOT NULL,
    updated    bigint NOT NULL,
    PRIMARY KEY (dataset_id, id)
);

-- Bulk data, in generations: an import stages its rows in a generation of
-- its own, which its commit makes live; a FULL import drops the others.
-- Readers read the live generations only.
CREATE TABLE bulk_generations (
    dataset_id bigint NOT NULL,
    gen        bigint NOT NULL,
    state      text NOT NULL CHECK (state IN ('staged', 'live', 'dropped')),
    touched    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (dataset_id, gen)
);
CREATE INDEX bulk_generations_state ON bulk_generations (state) WHERE state <> 'live';

-- hash is FNV-1a of the row's content, to find identical rows (exact
-- duplicates) without an index over every column.
CREATE TABLE bulk_events (
    dataset_id        bigint NOT NULL,
    gen               bigint NOT NULL,
    pos               bigint NOT NULL,
    event_type        text NOT NULL,
    event_value       double precision,
    item_id           text NOT NULL,
    user_id           text COLLATE "C" NOT NULL,
    sent_at           bigint NOT NULL,
    impression        text[],
    recommendation_id text NOT NULL,
    properties        text NOT NULL,
    attribution       text,
    hash              bigint NOT NULL,
    duplicate         boolean NOT NULL DEFAULT false,
    PRIMARY KEY (dataset_id, gen, pos)
);
CREATE INDEX bulk_events_user ON bulk_events (dataset_id, user_id, gen, pos) WHERE user_id <> '';
CREATE INDEX bulk_events_hash ON bulk_events (dataset_id, hash, gen, pos);

CREATE TABLE bulk_action_interactions (
    dataset_id        bigint NOT NULL,
    gen               bigint NOT NULL,
    pos               bigint NOT NULL,
    event_type        text NOT NULL,
    action_id         text NOT NULL,
    user_id           text COLLATE "C" NOT NULL,
    ts                bigint NOT NULL,
    impression        text[],
    recommendation_id text NOT NULL,
    properties        text NOT NULL,
    hash              bigint NOT NULL,
    duplicate         boolean NOT NULL DEFAULT false,
    PRIMARY KEY (dataset_id, gen, pos)
);
CREATE INDEX bulk_action_interactions_user ON bulk_action_interactions (dataset_id, user_id, gen, pos) WHERE user_id <> '';
CREATE INDEX bulk_action_interactions_hash ON bulk_action_interactions (dataset_id, hash, gen, pos);

CREATE TABLE bulk_entities (
    dataset_id bigint NOT NULL,
    gen        bigint NOT NULL,
    id         text COLLATE "C" NOT NULL,
    properties text NOT NULL,
    updated    bigint NOT NULL,
    PRIMARY KEY (dataset_id, gen, id)
);

-- +goose Down
DROP TABLE bulk_entities, bulk_action_interactions, bulk_events, bulk_generations, entities, event_ids,
    action_interactions, events, jobs, event_trackers, datasets, dataset_groups, schemas;
DROP SEQUENCE dataset_ids, commit_groups, bulk_gens;
