package pebble

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
)

// formatVersion is the version of the key layout and record encoding
// described in doc.go. Version 2 added bulk data (generations); version 3
// runs (several records under one record key and one index key, see run)
// and binary records (encoding 3). Each older version is a newer store
// without what came later (a JSON record and its index keys of version 2
// are a run of one), so Open upgrades
// versions 1 and 2 by rewriting the version, and refuses every other. Older
// builds refuse an upgraded store, which they would misread.
const (
	formatVersion       = 3
	formatVersionNoRuns = 2
	formatVersionNoBulk = 1
)

// Keys of the store's own metadata; their values are 8-byte big-endian
// integers.
var (
	keyVersion   = []byte("m/version")
	keySeq       = []byte("m/seq")
	keyDatasetID = []byte("m/datasetid")
	keyGen       = []byte("m/gen")
)

// Prefixes of the store's metadata about bulk data. Each is followed by a
// dataset id: m/bulk/<d> holds the dataset's live generations (8 bytes
// each, oldest first), m/staging/<d>/<gen> marks a generation being
// loaded.
var (
	prefixLive    = []byte("m/bulk/")
	prefixStaging = []byte("m/staging/")
)

// Tags start every key of a family of keys scoped to one dataset.
const (
	tagEvent             = 'e'
	tagActionInteraction = 'a'
	tagUserIndex         = 'u'
	tagSessionIndex      = 's'
	tagDedup             = 'd'
	tagEntity            = 'i'
	// Bulk data: every key holds its generation after the dataset id.
	tagBulkRecord    = 'b' // an interaction or action interaction
	tagBulkUserIndex = 'w'
	tagBulkEntity    = 'j'
	tagBulkDedup     = 'x' // a bulk record's content hash, for exact duplicates
)

// datasetTags lists every family of keys that DeleteDataset clears.
var datasetTags = []byte{tagEvent, tagActionInteraction, tagUserIndex, tagSessionIndex, tagDedup, tagEntity,
	tagBulkRecord, tagBulkUserIndex, tagBulkEntity, tagBulkDedup}

// generationTags lists every family of keys of a bulk generation.
var generationTags = []byte{tagBulkRecord, tagBulkUserIndex, tagBulkEntity, tagBulkDedup}

// Resource kinds, as they appear in resource keys r/<kind>/<arn>.
const (
	kindSchema       = "schema"
	kindDatasetGroup = "group"
	kindDataset      = "dataset"
	kindEventTracker = "tracker"
	kindExportJob    = "exportjob"
	kindImportJob    = "importjob"
	kindDeletionJob  = "deletionjob"
)

// appendDatasetPrefix appends <tag>/<datasetID 8B BE>/, the prefix of every
// key of one family and one dataset.
func appendDatasetPrefix(b []byte, tag byte, datasetID uint64) []byte {
	b = append(b, tag, '/')
	b = binary.BigEndian.AppendUint64(b, datasetID)
	return append(b, '/')
}

// appendIDPrefix appends the prefix of the index or dedup keys of one id:
// <tag>/<datasetID>/<uvarint len(id)><id>/. The length makes the prefix of
// one id never a prefix of another's, whatever bytes the ids hold.
func appendIDPrefix(b []byte, tag byte, datasetID uint64, id string) []byte {
	b = appendDatasetPrefix(b, tag, datasetID)
	b = binary.AppendUvarint(b, uint64(len(id)))
	b = append(b, id...)
	return append(b, '/')
}

// appendEntityKey appends i/<datasetID>/<id>. The id ends the key, so it
// needs no length and entities sort by id.
func appendEntityKey(b []byte, datasetID uint64, id string) []byte {
	return append(appendDatasetPrefix(b, tagEntity, datasetID), id...)
}

// appendGenPrefix appends <tag>/<datasetID>/<gen>/, the prefix of one
// family's keys of one bulk generation.
func appendGenPrefix(b []byte, tag byte, datasetID, gen uint64) []byte {
	b = appendDatasetPrefix(b, tag, datasetID)
	b = binary.BigEndian.AppendUint64(b, gen)
	return append(b, '/')
}

// appendGenUserPrefix appends w/<datasetID>/<gen>/<uvarint len><userId>/.
func appendGenUserPrefix(b []byte, datasetID, gen uint64, userID string) []byte {
	b = appendGenPrefix(b, tagBulkUserIndex, datasetID, gen)
	b = binary.AppendUvarint(b, uint64(len(userID)))
	b = append(b, userID...)
	return append(b, '/')
}

// appendBulkDedupPrefix appends x/<datasetID>/<gen>/<hash>/, the prefix of
// the exact-duplicate keys of the bulk records of one content hash.
func appendBulkDedupPrefix(b []byte, datasetID, gen, hash uint64) []byte {
	b = appendGenPrefix(b, tagBulkDedup, datasetID, gen)
	b = binary.BigEndian.AppendUint64(b, hash)
	return append(b, '/')
}

// contentHash files a bulk record's exact-duplicate key: FNV-1a of its
// stored bytes, which are the same for the same row. A variable so that
// tests can make every record collide.
var contentHash = func(record []byte) uint64 {
	h := fnv.New64a()
	h.Write(record)
	return h.Sum64()
}

func liveKey(datasetID uint64) []byte {
	return binary.BigEndian.AppendUint64(append([]byte(nil), prefixLive...), datasetID)
}

func stagingKey(datasetID, gen uint64) []byte {
	b := binary.BigEndian.AppendUint64(append([]byte(nil), prefixStaging...), datasetID)
	return binary.BigEndian.AppendUint64(append(b, '/'), gen)
}

func encodeGens(gens []uint64) []byte {
	b := make([]byte, 0, 8*len(gens))
	for _, g := range gens {
		b = binary.BigEndian.AppendUint64(b, g)
	}
	return b
}

func decodeGens(b []byte) ([]uint64, error) {
	if len(b)%8 != 0 {
		return nil, fmt.Errorf("pebble: live generations value of %d bytes", len(b))
	}
	gens := make([]uint64, len(b)/8)
	for i := range gens {
		gens[i] = binary.BigEndian.Uint64(b[8*i:])
	}
	return gens, nil
}

func appendSeq(b []byte, seq uint64) []byte { return binary.BigEndian.AppendUint64(b, seq) }

// seqOf returns the sequence number that ends a record, index or dedup key.
func seqOf(key []byte) uint64 { return binary.BigEndian.Uint64(key[len(key)-8:]) }

func resourceKey(kind, arn string) []byte { return []byte("r/" + kind + "/" + arn) }

func resourcePrefix(kind string) []byte { return []byte("r/" + kind + "/") }

// prefixEnd returns the smallest key greater than every key that starts
// with prefix, for use as an exclusive upper bound.
func prefixEnd(prefix []byte) []byte {
	end := append([]byte(nil), prefix...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil // every byte is 0xff: no upper bound
}

func encodeUint64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

func decodeUint64(b []byte) (uint64, error) {
	if len(b) != 8 {
		return 0, fmt.Errorf("pebble: metadata value of %d bytes, want 8", len(b))
	}
	return binary.BigEndian.Uint64(b), nil
}

// The first byte of every stored record value says how the rest is
// encoded, so that a later encoding can be introduced value by value.
const (
	// recordEncoding: one record, as JSON. Written before version 3.
	recordEncoding byte = 1
	// runEncoding: the records of a run (see run): their count as an
	// unsigned varint, then each record as its length (an unsigned
	// varint) and its value in encoding 1 or 3.
	runEncoding byte = 2
	// binaryEncoding: one record, binary (see appendEvent).
	binaryEncoding byte = 3
)

var errBadValue = errors.New("pebble: stored record has an unknown encoding")

// appendRun appends the value of a run of records: the record itself for
// one, encoding 2 for more. appendRecord appends a record with its
// encoding byte.
func appendRun[T any](b []byte, records []T, appendRecord func([]byte, *T) ([]byte, error)) ([]byte, error) {
	var err error
	if len(records) == 1 {
		return appendRecord(b, &records[0])
	}
	b = binary.AppendUvarint(append(b, runEncoding), uint64(len(records)))
	for i := range records {
		// A record's length goes before it but is known only once it is
		// written: write it, then move it along to make room.
		at := len(b)
		if b, err = appendRecord(b, &records[i]); err != nil {
			return nil, err
		}
		size := len(b) - at
		var length [binary.MaxVarintLen64]byte
		k := binary.PutUvarint(length[:], uint64(size))
		b = append(b, length[:k]...)
		copy(b[at+k:], b[at:at+size])
		copy(b[at:], length[:k])
	}
	return b, nil
}

// splitRecords appends to dst each record of a stored value, as a value of
// encoding 1 or 3: the value itself, or each record of a run in order. The
// records are slices of value.
func splitRecords(value []byte, dst [][]byte) ([][]byte, error) {
	if len(value) == 0 {
		return dst, errBadValue
	}
	switch value[0] {
	case recordEncoding, binaryEncoding:
		return append(dst, value), nil
	case runEncoding:
		n, k := binary.Uvarint(value[1:])
		rest := value[1+max(k, 0):]
		if k <= 0 || n > uint64(len(rest)) {
			return dst, errBadValue
		}
		for range n {
			size, k := binary.Uvarint(rest)
			if k <= 0 || size == 0 || size > uint64(len(rest)-k) {
				return dst, errBadValue
			}
			dst = append(dst, rest[k:k+int(size)])
			rest = rest[k+int(size):]
		}
		if len(rest) != 0 {
			return dst, errBadValue
		}
		return dst, nil
	}
	return dst, errBadValue
}
