-- Batch segment jobs are rows of the jobs table, of kind 'batch-segment',
-- whose target is their solution version, claimed and leased like batch
-- inference jobs.

-- +goose Up
ALTER TABLE jobs DROP CONSTRAINT jobs_kind_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_kind_check CHECK (kind IN ('export', 'import', 'deletion', 'batch-inference', 'batch-segment'));

-- +goose Down
DELETE FROM jobs WHERE kind = 'batch-segment';
ALTER TABLE jobs DROP CONSTRAINT jobs_kind_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_kind_check CHECK (kind IN ('export', 'import', 'deletion', 'batch-inference'));
