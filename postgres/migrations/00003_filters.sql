-- Filters, resources of their dataset group. postgres/README.md says why
-- each table and index is there.

-- +goose Up

CREATE TABLE filters (
    arn       text PRIMARY KEY,
    scope     text NOT NULL,
    group_arn text NOT NULL REFERENCES dataset_groups (arn),
    created   bigint NOT NULL,
    doc       jsonb NOT NULL
);
CREATE INDEX filters_scope ON filters (scope);
CREATE INDEX filters_group ON filters (group_arn);

-- +goose Down
DROP TABLE filters;
