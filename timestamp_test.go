package perch

import (
	"encoding/json"
	"testing"
)

func TestTimestampText(t *testing.T) {
	for _, c := range []struct {
		ms      Timestamp
		text    string
		seconds int64
	}{
		{0, "0", 0},
		{1700000000000, "1700000000", 1700000000},
		{1700000000123, "1700000000.123", 1700000000},
		{1700000000500, "1700000000.5", 1700000000},
		{1700000000010, "1700000000.01", 1700000000},
		{-1500, "-1.5", -2},
		{-1000, "-1", -1},
		{-1, "-0.001", -1},
		{-999, "-0.999", -1},
	} {
		if got := c.ms.String(); got != c.text {
			t.Errorf("Timestamp(%d).String() = %s, want %s", c.ms, got, c.text)
		}
		if got := c.ms.Seconds(); got != c.seconds {
			t.Errorf("Timestamp(%d).Seconds() = %d, want %d", c.ms, got, c.seconds)
		}
		back, err := ParseTimestamp(c.text)
		if err != nil || back != c.ms {
			t.Errorf("ParseTimestamp(%s) = %d, %v; want %d", c.text, back, err, c.ms)
		}
		b, _ := json.Marshal(c.ms)
		var decoded Timestamp
		if err := json.Unmarshal(b, &decoded); err != nil || decoded != c.ms {
			t.Errorf("JSON round trip of %d through %s = %d, %v", c.ms, b, decoded, err)
		}
	}
}

func TestParseTimestamp(t *testing.T) {
	for text, want := range map[string]Timestamp{
		"1.7e9":              1700000000000,
		"1.7000000001234E9":  1700000000123,
		"1700000000.1236":    1700000000124, // rounded to the millisecond
		"253402300799":       253402300799000,
		"-253402300799":      -253402300799000,
		"1700000000.0000001": 1700000000000,
	} {
		if got, err := ParseTimestamp(text); err != nil || got != want {
			t.Errorf("ParseTimestamp(%s) = %d, %v; want %d", text, got, err, want)
		}
	}
	for _, text := range []string{"253402300800", "-253402300800", "1e300", "NaN", "Infinity", "x", ""} {
		if got, err := ParseTimestamp(text); err == nil {
			t.Errorf("ParseTimestamp(%q) = %d, want an error", text, got)
		}
	}
	var ts Timestamp
	if err := json.Unmarshal([]byte(`"1700000000"`), &ts); err == nil {
		t.Error("a timestamp in a JSON string was accepted")
	}
}
