package perch

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Timestamp is a point in time with millisecond precision, written on the
// wire as epoch seconds in a JSON number (1700000000 or 1700000000.123), the
// default timestamp encoding of both Personalize protocols.
type Timestamp int64 // milliseconds since the Unix epoch

// TimestampOf converts t, dropping precision below a millisecond.
func TimestampOf(t time.Time) Timestamp { return Timestamp(t.UnixMilli()) }

// Time returns the timestamp as a time.Time in UTC.
func (t Timestamp) Time() time.Time { return time.UnixMilli(int64(t)).UTC() }

// Seconds returns the whole epoch seconds, as the bulk CSV format wants them.
func (t Timestamp) Seconds() int64 { return int64(math.Floor(float64(t) / 1000)) }

// MaxTimestampSeconds bounds accepted timestamps so that milliseconds fit in
// an int64 with room to spare (the year 9999).
const MaxTimestampSeconds = 253402300799

// TimestampFromSeconds converts epoch seconds, rounding to the nearest
// millisecond. It fails for values that are not finite or are outside
// [-MaxTimestampSeconds, MaxTimestampSeconds].
func TimestampFromSeconds(sec float64) (Timestamp, error) {
	if math.IsNaN(sec) || math.IsInf(sec, 0) || math.Abs(sec) > MaxTimestampSeconds {
		return 0, fmt.Errorf("timestamp %v is out of range", sec)
	}
	return Timestamp(math.Round(sec * 1000)), nil
}

// ParseTimestamp reads epoch seconds in any JSON number form (integer,
// fraction or exponent) without losing millisecond precision to float
// rounding when the number is written in plain decimal.
func ParseTimestamp(num string) (Timestamp, error) {
	// Integers exactly; a fraction or an exponent goes straight to
	// ParseFloat, sparing a failed ParseInt's error.
	if !strings.ContainsAny(num, ".eE") {
		if i, err := strconv.ParseInt(num, 10, 64); err == nil {
			if i > MaxTimestampSeconds || i < -MaxTimestampSeconds {
				return 0, fmt.Errorf("timestamp %s is out of range", num)
			}
			return Timestamp(i * 1000), nil
		}
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, fmt.Errorf("timestamp %q is not a number", num)
	}
	return TimestampFromSeconds(f)
}

// String renders the epoch seconds with up to three decimals.
func (t Timestamp) String() string { return string(t.Append(nil)) }

// Append appends the epoch seconds with up to three decimals, as String
// renders them, to b.
func (t Timestamp) Append(b []byte) []byte {
	ms := int64(t)
	if ms < 0 {
		// A decimal fraction is of the magnitude: -1500 ms is -1.5, not -2 + .5.
		b = append(b, '-')
		ms = -ms
	}
	b = strconv.AppendInt(b, ms/1000, 10)
	frac := ms % 1000
	if frac == 0 {
		return b
	}
	b = append(b, '.', byte('0'+frac/100), byte('0'+frac/10%10), byte('0'+frac%10))
	for b[len(b)-1] == '0' {
		b = b[:len(b)-1]
	}
	return b
}

func (t Timestamp) MarshalJSON() ([]byte, error) { return t.Append(nil), nil }

func (t *Timestamp) UnmarshalJSON(b []byte) error {
	var n json.Number
	// json.Number would also take a number inside a string, which no
	// protocol sends for a timestamp.
	if err := json.Unmarshal(b, &n); err != nil || bytes.HasPrefix(bytes.TrimSpace(b), []byte(`"`)) {
		return fmt.Errorf("timestamp must be a JSON number of epoch seconds")
	}
	v, err := ParseTimestamp(string(n))
	if err != nil {
		return err
	}
	*t = v
	return nil
}
