package model

import (
	"strconv"
	"time"
)

// Both Personalize protocols send a timestamp as epoch seconds in a JSON
// number. Paws, the AWS SDK for Perl, types timestamp members as strings
// and sends the caller's text as it is: ISO 8601, the form its
// documentation shows ("1970-01-01T01:00:00"), or Unix time in digits
// ("1700000100"). How AWS treats such strings is undocumented; perch takes
// them so that Paws works, and refuses any other string.

// timestampForms says what a timestamp may be, for the error that refuses
// anything else.
const timestampForms = `epoch seconds as a number, or a string of epoch seconds in decimal digits ("1700000000.5") ` +
	`or an ISO 8601 date-time ("2023-11-14T22:13:20Z", "2023-11-14T22:13:20.5+01:00"; without a zone it is UTC)`

// dateTimeLayouts are the ISO 8601 date-times taken, each with an optional
// fraction of a second after the seconds (time.Parse accepts one without
// the layout naming it): with a zone as RFC 3339 writes it, with a zone in
// ISO 8601's other offsets, and without a zone.
var dateTimeLayouts = []string{
	"2006-01-02T15:04:05Z07:00",
	"2006-01-02T15:04:05-0700",
	"2006-01-02T15:04:05-07",
	"2006-01-02T15:04:05",
}

// epochSecondsText returns the epoch seconds a timestamp string stands
// for, in decimal, and whether it is one of the accepted forms. Digits are
// returned as they are, so that the range and precision rules of numbers
// apply to them unchanged.
func epochSecondsText(s []byte) (string, bool) {
	if isDecimal(s) {
		return string(s), true
	}
	t, ok := parseDateTime(s)
	if !ok {
		return "", false
	}
	return formatEpochSeconds(t), true
}

// isDecimal reports whether s is an optionally signed decimal number with
// digits on both sides of any point: no exponent, no spaces.
func isDecimal(s []byte) bool {
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		s = s[1:]
	}
	point := -1
	for i, c := range s {
		switch {
		case isDigit(c):
		case c == '.' && point < 0:
			point = i
		default:
			return false
		}
	}
	return len(s) > 0 && point != 0 && point != len(s)-1
}

// parseDateTime reads an ISO 8601 date-time in its extended form, with T
// (or t, or a space as RFC 3339 allows) between date and time.
func parseDateTime(s []byte) (time.Time, bool) {
	if len(s) < len("2006-01-02T15:04:05") {
		return time.Time{}, false
	}
	text := []byte(string(s))
	switch text[10] {
	case 't', ' ':
		text[10] = 'T'
	}
	if last := len(text) - 1; text[last] == 'z' {
		text[last] = 'Z'
	}
	for _, layout := range dateTimeLayouts {
		if t, err := time.Parse(layout, string(text)); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// formatEpochSeconds writes t as epoch seconds with its nanoseconds as a
// decimal fraction, exactly.
func formatEpochSeconds(t time.Time) string {
	sec, nsec := t.Unix(), int64(t.Nanosecond())
	neg := sec < 0 && nsec > 0
	if neg {
		// -1 s + 0.25 s is -0.75 s: write the magnitude.
		sec, nsec = -(sec + 1), 1e9-nsec
	}
	b := make([]byte, 0, 32)
	if neg {
		b = append(b, '-')
	}
	b = strconv.AppendInt(b, sec, 10)
	if nsec != 0 {
		frac := strconv.AppendInt(nil, 1e9+nsec, 10)[1:]
		for frac[len(frac)-1] == '0' {
			frac = frac[:len(frac)-1]
		}
		b = append(append(b, '.'), frac...)
	}
	return string(b)
}
