package pebble

import (
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/perchdev/perch"
)

// Stored records are JSON as encoding/json writes them (member names from
// the structs' tags, empty optional members left out), appended by hand:
// encoding/json's reflection took 7.5% of the server's CPU at full load.
// decodeRecord still reads them with encoding/json, and the tests hold the
// two to the same structs.

// appendEvent, appendActionInteraction and appendEntity append a record's
// JSON to b. Duplicate is never stored: readers work it out.
func appendEvent(b []byte, e *perch.Event) ([]byte, error) {
	var o object
	b = o.optional(b, "eventId", e.EventID)
	b = o.string(b, "eventType", e.EventType)
	if e.EventValue != nil {
		f := *e.EventValue
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("pebble: event value %v is not a JSON number", f)
		}
		b = strconv.AppendFloat(o.key(b, "eventValue"), f, 'g', -1, 64)
	}
	b = o.optional(b, "itemId", e.ItemID)
	b = o.optional(b, "userId", e.UserID)
	b = o.optional(b, "sessionId", e.SessionID)
	b = e.SentAt.Append(o.key(b, "sentAt"))
	b = o.strings(b, "impression", e.Impression)
	b = o.optional(b, "recommendationId", e.RecommendationID)
	b = o.optional(b, "properties", e.Properties)
	if m := e.MetricAttribution; m != nil {
		var inner object
		b = inner.string(o.key(b, "metricAttribution"), "eventAttributionSource", m.EventAttributionSource)
		b = inner.end(b)
	}
	b = o.flag(b, "bulk", e.Bulk)
	return o.end(b), nil
}

func appendActionInteraction(b []byte, a *perch.ActionInteraction) []byte {
	var o object
	b = o.optional(b, "eventId", a.EventID)
	b = o.string(b, "eventType", a.EventType)
	b = o.string(b, "actionId", a.ActionID)
	b = o.optional(b, "userId", a.UserID)
	b = o.optional(b, "sessionId", a.SessionID)
	b = a.Timestamp.Append(o.key(b, "timestamp"))
	b = o.strings(b, "impression", a.Impression)
	b = o.optional(b, "recommendationId", a.RecommendationID)
	b = o.optional(b, "properties", a.Properties)
	b = o.flag(b, "bulk", a.Bulk)
	return o.end(b)
}

func appendEntity(b []byte, e *perch.Entity) []byte {
	var o object
	b = o.string(b, "id", e.ID)
	b = o.optional(b, "properties", e.Properties)
	b = e.Updated.Append(o.key(b, "updated"))
	b = o.flag(b, "bulk", e.Bulk)
	return o.end(b)
}

// object appends the members of one JSON object.
type object struct{ started bool }

// key opens the object or separates a member from the previous one, then
// appends "name": .
func (o *object) key(b []byte, name string) []byte {
	if o.started {
		b = append(b, ',')
	} else {
		b = append(b, '{')
		o.started = true
	}
	b = append(b, '"')
	b = append(b, name...)
	return append(b, '"', ':')
}

func (o *object) end(b []byte) []byte {
	if !o.started {
		return append(b, '{', '}')
	}
	return append(b, '}')
}

func (o *object) string(b []byte, name, s string) []byte {
	return appendJSONString(o.key(b, name), s)
}

// optional appends a string member that is left out when empty.
func (o *object) optional(b []byte, name, s string) []byte {
	if s == "" {
		return b
	}
	return o.string(b, name, s)
}

// strings appends a list of strings that is left out when empty.
func (o *object) strings(b []byte, name string, list []string) []byte {
	if len(list) == 0 {
		return b
	}
	b = append(o.key(b, name), '[')
	for i, s := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s)
	}
	return append(b, ']')
}

// flag appends a boolean member that is left out when false.
func (o *object) flag(b []byte, name string, v bool) []byte {
	if !v {
		return b
	}
	return append(o.key(b, name), "true"...)
}

// appendJSONString appends s as a JSON string. Invalid UTF-8 becomes
// U+FFFD, as encoding/json writes it.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r != utf8.RuneError || size != 1 {
				i += size
				continue
			}
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		i++
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
