-- Metric attributions, resources of their dataset group (one at most).
-- postgres/README.md says why each table and index is there.

-- +goose Up

CREATE TABLE metric_attributions (
    arn       text PRIMARY KEY,
    scope     text NOT NULL,
    group_arn text NOT NULL UNIQUE REFERENCES dataset_groups (arn),
    created   bigint NOT NULL,
    doc       jsonb NOT NULL
);
CREATE INDEX metric_attributions_scope ON metric_attributions (scope);

-- +goose Down
DROP TABLE metric_attributions;
