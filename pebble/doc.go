// Package pebble is the embedded store: perch.Store and perch.ResourceStore
// kept in a Pebble database (github.com/cockroachdb/pebble) in one
// directory.
//
// # Writes
//
// Resource writes are each one synced Pebble commit. The store holds the
// rules between resources: each change of resources reads what its rule
// needs, checks it and commits under one mutex (resMu), so that no other
// change comes between. Record batches go
// through one writer goroutine: Commit encodes its batch, puts it on a
// bounded queue (a full queue answers perch.ErrBusy) and waits; the writer
// takes every batch waiting, gives each event and action interaction the
// next number of a store-wide sequence, writes the records in runs with
// their index and dedup keys and the sequence's high-water mark in one
// Pebble batch, syncs once and answers every committer. Syncs of the log
// are at least Options.MinSyncInterval apart, so that under steady load a
// few more committers share each. Nothing on this path reads the store.
// The engine's new write-ahead logs are written with zeros ahead of their
// end (see walFS), so that those syncs write data and no file metadata.
//
// Commit returns nil only once its records are durable, but Pebble may show
// a batch to readers while its sync is still in flight, so a reader may see
// records a moment before their Commit returns. For the same reason a failed
// sync may leave its group applied: after any failed write the store
// refuses everything with ServiceUnavailable, closes the database and opens
// it again as soon as there is room, which settles what is stored (see
// recovery.go). Writes are refused while the file system has less than
// Options.MinFreeBytes free, so that the engine does not run out of space
// mid-write. Options.Tuning shapes the engine's compactions and value
// separation: its zero value is Pebble's defaults, MeasuredTuning what
// perch serves with (see tuning.go).
//
// The store keeps the contract every perch.Store keeps, which package
// storetest tests (contract_test.go runs it on disk); the tests beside
// the code cover this store's own keys, writer, recovery and encoding.
// Stats reports perch.StoreStats, with Pebble's figures as its engine's.
//
// # Key layout
//
// Every integer in a key is 8 bytes big-endian, so keys sort by number.
// <d> is the dataset's id (perch.Dataset.ID) and <seq> a record's sequence
// number. <len> is the byte length of the id that follows it, as an
// unsigned varint: with it no id's keys can start another id's prefix,
// whatever bytes ids hold.
//
//	m/version                      format version (3); Open refuses any other
//	m/seq                          last sequence number assigned
//	m/datasetid                    last id NextDatasetID returned
//	m/gen                          last bulk generation assigned
//	m/bulk/<d>                     live bulk generations of the dataset
//	m/staging/<d>/<gen>            a generation still being loaded
//	r/<kind>/<arn>                 resource JSON; kind is schema, group,
//	                               dataset, tracker, exportjob, importjob,
//	                               deletionjob, solution, version (a
//	                               solution version) or campaign
//	o/<len><versionArn>/<chunk>    a 1 MiB chunk of a solution version's model
//	e/<d>/<seq>                    run of events, numbered by its first
//	a/<d>/<seq>                    run of action interactions
//	u/<d>/<len><userId>/<seq>      user index (empty value) per run, both kinds
//	s/<d>/<len><sessionId>/<seq>   session index (empty value) per run
//	d/<d>/<len><eventId>/<seq>     dedup key (empty value) per record
//	i/<d>/<id>                     item, user or action: its latest record
//	b/<d>/<gen>/<row>              run of bulk interactions or action interactions
//	w/<d>/<gen>/<len><userId>/<row> bulk user index (empty value) per run
//	j/<d>/<gen>/<id>               bulk item, user or action
//	x/<d>/<gen>/<hash>/<row>       content hash of a bulk record (empty value)
//	c/<d>/<gen>/                   records of one source (gen 0: put) (see counts.go)
//
// The first families hold what the events API put; b, w, j and x what import
// jobs loaded, in generations: an import stages a new generation in
// unsynced batches, and its commit lists it as live (replacing the others
// for a FULL import, whose keys are range-deleted) in one synced batch, so
// an import is seen whole or not at all. Open drops generations still
// staged. Readers take the live generations from their snapshot; entities
// of several generations and the PUT family merge by id, newest first.
//
// A run is the consecutive interaction records of one batch with the same
// user and session (see run): one record key and one key per index for the
// run, a dedup key per record. Values are one encoding byte followed by
// one record in binary (3, see record.go) or a run's records (2, see
// splitRecords); Duplicate is never stored. A record is a duplicate when
// the first dedup key of its eventId in its dataset has a lower sequence
// number than its own: readers work that out with one seek per record, so
// the writer never has to read.
//
// Index keys of both interaction kinds share u/ and s/: a dataset holds
// only one kind, and a reader skips index entries whose record is not of
// the kind it reads. DeleteDataset removes the resource and every key of
// the dataset's id with range deletions in one synced commit.
package pebble
