-- The recommendation side: solutions, their versions (trainings, leased
-- like jobs) with their models, and campaigns. postgres/README.md says
-- why each table and index is there.

-- +goose Up

-- doc is json, not jsonb as in the first tables: a solution's
-- configuration carries members (hpoConfig, autoMLConfig) that are kept as
-- the caller gave them, which jsonb would re-space and re-order.
CREATE TABLE solutions (
    arn       text PRIMARY KEY,
    scope     text NOT NULL,
    group_arn text NOT NULL REFERENCES dataset_groups (arn),
    created   bigint NOT NULL,
    doc       json NOT NULL
);
CREATE INDEX solutions_scope ON solutions (scope);
CREATE INDEX solutions_group ON solutions (group_arn);

-- A version's ARN is its solution's and an id of 8 hexadecimal digits.
-- training is perch.Training(status): the versions ClaimJob hands out and
-- the quota counts. The lease is the training node's; lease_until is on
-- the database's clock, as the jobs' is.
CREATE TABLE solution_versions (
    arn          text PRIMARY KEY,
    scope        text NOT NULL,
    solution_arn text NOT NULL REFERENCES solutions (arn),
    training     boolean NOT NULL,
    created      bigint NOT NULL,
    doc          json NOT NULL,
    lease_owner  text,
    lease_until  timestamptz,
    CONSTRAINT solution_versions_arn CHECK (starts_with(arn, solution_arn || '/')
        AND substr(arn, length(solution_arn) + 2) ~ '^[0-9a-f]{8}$')
);
CREATE INDEX solution_versions_solution ON solution_versions (solution_arn);
CREATE INDEX solution_versions_training ON solution_versions (scope) WHERE training;
CREATE INDEX solution_versions_waiting ON solution_versions (created, arn) WHERE training;

CREATE TABLE models (
    version_arn text PRIMARY KEY REFERENCES solution_versions (arn),
    model       bytea NOT NULL
);

-- served_arn is the version the campaign's last create or update was
-- served by: its solution_version_arn, or what its solution's $LATEST
-- was then.
CREATE TABLE campaigns (
    arn          text PRIMARY KEY,
    scope        text NOT NULL,
    group_arn    text NOT NULL REFERENCES dataset_groups (arn),
    solution_arn text NOT NULL REFERENCES solutions (arn),
    served_arn   text NOT NULL REFERENCES solution_versions (arn),
    created      bigint NOT NULL,
    doc          json NOT NULL
);
CREATE INDEX campaigns_scope ON campaigns (scope);
CREATE INDEX campaigns_group ON campaigns (group_arn);
CREATE INDEX campaigns_solution ON campaigns (solution_arn);
CREATE INDEX campaigns_served ON campaigns (served_arn);

-- +goose Down
DROP TABLE campaigns, models, solution_versions, solutions;
