-- Batch inference jobs are rows of the jobs table, of kind
-- 'batch-inference', whose target is their solution version: they are
-- claimed and leased like the data jobs. postgres/README.md says why.

-- +goose Up
ALTER TABLE jobs DROP CONSTRAINT jobs_kind_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_kind_check CHECK (kind IN ('export', 'import', 'deletion', 'batch-inference'));

-- +goose Down
DELETE FROM jobs WHERE kind = 'batch-inference';
ALTER TABLE jobs DROP CONSTRAINT jobs_kind_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_kind_check CHECK (kind IN ('export', 'import', 'deletion'));
