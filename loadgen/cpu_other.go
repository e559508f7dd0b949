//go:build !unix

package loadgen

import "time"

// cpuTime is unknown here; the report's CPU figure reads 0.
func cpuTime() time.Duration { return 0 }
