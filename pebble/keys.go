package pebble

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
)

// formatVersion is the version of the key layout and record encoding
// described in doc.go. Open refuses a store of any other version, older
// or newer, rather than misread it. It is 3, not 1, because pre-release
// builds wrote versions 1 and 2 (without bulk generations, runs or
// binary records), and those must be refused too.
const formatVersion = 3

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
	tagBulkRecord, tagBulkUserIndex, tagBulkEntity, tagBulkDedup, tagCount}

// generationTags lists every family of keys of a bulk generation.
var generationTags = []byte{tagBulkRecord, tagBulkUserIndex, tagBulkEntity, tagBulkDedup, tagCount}

// Resource kinds, as they appear in resource keys r/<kind>/<arn>.
const (
	kindSchema       = "schema"
	kindDatasetGroup = "group"
	kindDataset      = "dataset"
	kindEventTracker = "tracker"
	kindExportJob    = "exportjob"
	kindImportJob    = "importjob"
	kindDeletionJob  = "deletionjob"
	kindSolution     = "solution"
	// A version's ARN is its solution's and an id, so a solution's
	// versions are one range of keys, r/version/<solutionArn>/.
	kindVersion     = "version"
	kindCampaign    = "campaign"
	kindFilter      = "filter"
	kindAttribution = "attribution"
	// The tags TagResource and UntagResource set, by the tagged
	// resource's ARN.
	kindTags = "tags"
)

// tagModel starts the keys of the solution versions' models,
// o/<len><versionArn>/<chunk>: a model is split into chunks of modelChunk
// bytes (the last one shorter, or empty for an empty model), numbered
// from 0.
const tagModel = 'o'

// modelChunk bounds a model's values. Models may be tens of MB, and
// values of that size would each pass whole through the memtable, the
// blob files and the block cache; 1 MiB chunks are values the engine
// handles like any other.
const modelChunk = 1 << 20

// modelPrefix is o/<len><versionArn>/, the prefix of the keys of one
// version's model; the length keeps one version's keys out of another's
// range whatever its ARN.
func modelPrefix(versionARN string) []byte {
	b := []byte{tagModel, '/'}
	b = binary.AppendUvarint(b, uint64(len(versionARN)))
	b = append(b, versionARN...)
	return append(b, '/')
}

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
