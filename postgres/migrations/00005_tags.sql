-- The tags TagResource and UntagResource set, apart from the tagged
-- resources' rows, which keep the tags they were created with.
-- postgres/README.md says why.

-- +goose Up

-- created is the tagged resource's creation time (ms): a resource created
-- again under the same ARN does not inherit an earlier one's tags.
CREATE TABLE resource_tags (
    arn     text PRIMARY KEY,
    created bigint NOT NULL,
    tags    jsonb NOT NULL
);

-- +goose Down
DROP TABLE resource_tags;
