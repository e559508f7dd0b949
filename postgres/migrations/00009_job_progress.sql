-- How far a running job has got ({"done":N,"unit":"records","total":M}),
-- written by its owner with each renewal of its lease (one write per
-- renewal, never one per record), so that every node reads it. A claim
-- clears it: the new owner starts the job over.

-- +goose Up
ALTER TABLE jobs ADD COLUMN progress jsonb;

-- +goose Down
ALTER TABLE jobs DROP COLUMN progress;
