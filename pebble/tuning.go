package pebble

import (
	"time"

	pdb "github.com/cockroachdb/pebble/v2"
)

// Tuning shapes the engine's background work: when it compacts level 0,
// when it stalls writes, how large its base level grows, and which values
// it keeps out of compactions. The zero value is Pebble's own defaults,
// with value separation off; MeasuredTuning is what the benchmarks
// (BENCHMARKS.md) settled on for perch's load. Any tuning reads any store:
// a store may be reopened with another.
type Tuning struct {
	// L0CompactionThreshold is how many sublevels level 0 gathers before
	// it is compacted into the base level. 0: Pebble's default (4).
	L0CompactionThreshold int
	// L0StopWritesThreshold is how many level-0 sublevels stall every
	// write until compactions catch up. It must be at least
	// L0CompactionThreshold. 0: Pebble's default (12).
	L0StopWritesThreshold int
	// LBaseMaxBytes is the size the base level may reach before it is
	// compacted into the level below. 0: Pebble's default (64 MiB).
	LBaseMaxBytes int64
	// ValueSeparation keeps large values out of compactions. Its zero
	// value keeps every value beside its key.
	ValueSeparation ValueSeparation
}

// ValueSeparation is when the engine writes a value to a blob file, where
// compactions leave it, and carries only a reference to it beside its
// key. A reader of a separated value pays one more lookup, into the blob
// file's block.
type ValueSeparation struct {
	// MinSize is the size in bytes from which a value is separated; 0
	// turns value separation off.
	MinSize int
	// MaxBlobReferenceDepth bounds the blob files, overlapping in key
	// order, that one table may refer to: past it a compaction copies the
	// values into new blob files, which bounds what a read may have to
	// open. It must be above 0 when MinSize is.
	MaxBlobReferenceDepth int
	// TargetGarbageRatio is the share of the blob files' values no longer
	// referred to (after deletions) at which the engine rewrites blob
	// files to give the space back; RewriteMinAge is how old a blob file
	// must be to be rewritten.
	TargetGarbageRatio float64
	RewriteMinAge      time.Duration
}

// MeasuredTuning returns the tuning the server runs with unless told
// otherwise. Each value was measured against Pebble's defaults at full
// load and at half load on the 2-core machine BENCHMARKS.md describes (the
// runs are in docs/bench/history.md); another machine (more cores, a
// faster disk) may want others.
//
//   - A PutEvents call adds keys all over the key space (each event's
//     dedup key, the user and session index keys), so every compaction
//     out of level 0 rewrites much of the level below it. Compacting level
//     0 at 8 sublevels rather than 4, into a base level of 256 MiB rather
//     than 64, moves more new data per byte rewritten: it took about a
//     tenth of the server's CPU per call off in minute-long runs at full
//     load (162 to 147 µs, medians). Level 0 alone, or larger still (16
//     and 64 sublevels, 512 MiB), did no better.
//   - Writes stall at 48 level-0 sublevels rather than 12, so that a burst
//     is absorbed by level 0 instead of holding every commit.
//   - A run's record is most of a call's bytes, written once and never
//     changed, yet every compaction its keys take part in would copy it.
//     Separating values of 128 bytes or more (a run of events, a run of
//     one event with properties and impressions, 150-250 bytes; not the
//     indexes' empty values nor a bare event, which a reader finds beside
//     its key) cut the bytes compactions wrote to a fifth, took about a
//     tenth of the server's CPU per call off at full load, 7% of it for
//     one-event calls (a 256-byte threshold: nothing for those), and
//     lowered the half-load p99.
//   - A table may refer to 10 overlapping blob files, and blob files older
//     than five minutes are rewritten once a fifth of their values are
//     gone (data deletion jobs, deleted datasets, FULL imports): the
//     space comes back without rewriting a blob file for every deletion.
func MeasuredTuning() Tuning {
	return Tuning{
		L0CompactionThreshold: 8,
		L0StopWritesThreshold: 48,
		LBaseMaxBytes:         256 << 20,
		ValueSeparation: ValueSeparation{
			MinSize:               128,
			MaxBlobReferenceDepth: 10,
			TargetGarbageRatio:    0.2,
			RewriteMinAge:         5 * time.Minute,
		},
	}
}

// apply sets t's values in opts, leaving Pebble's defaults where t has
// zeros.
func (t Tuning) apply(opts *pdb.Options) {
	opts.L0CompactionThreshold = t.L0CompactionThreshold
	opts.L0StopWritesThreshold = t.L0StopWritesThreshold
	opts.LBaseMaxBytes = t.LBaseMaxBytes
	if v := t.ValueSeparation; v.MinSize > 0 {
		opts.Experimental.ValueSeparationPolicy = func() pdb.ValueSeparationPolicy {
			return pdb.ValueSeparationPolicy{
				Enabled:               true,
				MinimumSize:           v.MinSize,
				MaxBlobReferenceDepth: v.MaxBlobReferenceDepth,
				RewriteMinimumAge:     v.RewriteMinAge,
				TargetGarbageRatio:    v.TargetGarbageRatio,
			}
		}
	}
}
