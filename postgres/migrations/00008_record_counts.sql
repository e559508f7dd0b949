-- The number of records of each dataset, by source: gen 0 counts the rows
-- put through the API, any other gen a bulk generation's rows (generations
-- are numbered from 1). They change in the transaction that inserts or
-- deletes the rows, so a dataset's count is a read of a few rows; it sums
-- gen 0 and the live generations. The writer adds the events and action
-- interactions it commits itself, in its group's last statement (a
-- trigger's transition table cost a fifth of BenchmarkCommit's events a
-- second); statement-level triggers count the rest: entities put (an
-- upsert's INSERT transition table holds only the rows it inserted),
-- imports' rows, and every deletion.
-- A dataset's rows of record_counts stay when it is deleted (ids are
-- never reused, so nothing reads them again). A count is the sum of its
-- shards' rows: each node's writer adds to a shard of its own (1-63,
-- drawn when it opens), so that the writers of several nodes do not wait
-- for each other's commits on one row; the triggers use shard 0, whose n
-- may go below zero.

-- +goose Up
CREATE TABLE record_counts (
    dataset_id bigint NOT NULL,
    gen        bigint NOT NULL,
    shard      smallint NOT NULL DEFAULT 0,
    n          bigint NOT NULL,
    PRIMARY KEY (dataset_id, gen, shard)
);

-- +goose StatementBegin
CREATE FUNCTION count_put_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO record_counts (dataset_id, gen, n)
        SELECT dataset_id, 0, count(*) FROM new_rows GROUP BY dataset_id ORDER BY dataset_id
        ON CONFLICT (dataset_id, gen, shard) DO UPDATE SET n = record_counts.n + excluded.n;
    ELSE
        INSERT INTO record_counts (dataset_id, gen, n)
        SELECT dataset_id, 0, -count(*) FROM old_rows GROUP BY dataset_id ORDER BY dataset_id
        ON CONFLICT (dataset_id, gen, shard) DO UPDATE SET n = record_counts.n + excluded.n;
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION count_bulk_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO record_counts (dataset_id, gen, n)
        SELECT dataset_id, gen, count(*) FROM new_rows GROUP BY dataset_id, gen ORDER BY dataset_id, gen
        ON CONFLICT (dataset_id, gen, shard) DO UPDATE SET n = record_counts.n + excluded.n;
    ELSE
        INSERT INTO record_counts (dataset_id, gen, n)
        SELECT dataset_id, gen, -count(*) FROM old_rows GROUP BY dataset_id, gen ORDER BY dataset_id, gen
        ON CONFLICT (dataset_id, gen, shard) DO UPDATE SET n = record_counts.n + excluded.n;
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd

CREATE TRIGGER events_counted_delete AFTER DELETE ON events REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION count_put_rows();
CREATE TRIGGER action_interactions_counted_delete AFTER DELETE ON action_interactions REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION count_put_rows();
CREATE TRIGGER entities_counted_insert AFTER INSERT ON entities REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION count_put_rows();
CREATE TRIGGER entities_counted_delete AFTER DELETE ON entities REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION count_put_rows();
CREATE TRIGGER bulk_events_counted_insert AFTER INSERT ON bulk_events REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION count_bulk_rows();
CREATE TRIGGER bulk_events_counted_delete AFTER DELETE ON bulk_events REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION count_bulk_rows();
CREATE TRIGGER bulk_action_interactions_counted_insert AFTER INSERT ON bulk_action_interactions REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION count_bulk_rows();
CREATE TRIGGER bulk_action_interactions_counted_delete AFTER DELETE ON bulk_action_interactions REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION count_bulk_rows();
CREATE TRIGGER bulk_entities_counted_insert AFTER INSERT ON bulk_entities REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION count_bulk_rows();
CREATE TRIGGER bulk_entities_counted_delete AFTER DELETE ON bulk_entities REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION count_bulk_rows();

INSERT INTO record_counts (dataset_id, gen, n)
SELECT dataset_id, 0, sum(n) FROM (
    SELECT dataset_id, count(*) AS n FROM events GROUP BY dataset_id
    UNION ALL SELECT dataset_id, count(*) FROM action_interactions GROUP BY dataset_id
    UNION ALL SELECT dataset_id, count(*) FROM entities GROUP BY dataset_id
) put GROUP BY dataset_id;
INSERT INTO record_counts (dataset_id, gen, n)
SELECT dataset_id, gen, sum(n) FROM (
    SELECT dataset_id, gen, count(*) AS n FROM bulk_events GROUP BY dataset_id, gen
    UNION ALL SELECT dataset_id, gen, count(*) FROM bulk_action_interactions GROUP BY dataset_id, gen
    UNION ALL SELECT dataset_id, gen, count(*) FROM bulk_entities GROUP BY dataset_id, gen
) bulk GROUP BY dataset_id, gen;

-- +goose Down
DROP TRIGGER events_counted_delete ON events;
DROP TRIGGER action_interactions_counted_delete ON action_interactions;
DROP TRIGGER entities_counted_insert ON entities;
DROP TRIGGER entities_counted_delete ON entities;
DROP TRIGGER bulk_events_counted_insert ON bulk_events;
DROP TRIGGER bulk_events_counted_delete ON bulk_events;
DROP TRIGGER bulk_action_interactions_counted_insert ON bulk_action_interactions;
DROP TRIGGER bulk_action_interactions_counted_delete ON bulk_action_interactions;
DROP TRIGGER bulk_entities_counted_insert ON bulk_entities;
DROP TRIGGER bulk_entities_counted_delete ON bulk_entities;
DROP FUNCTION count_put_rows(), count_bulk_rows();
DROP TABLE record_counts;
