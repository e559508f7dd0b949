package model

import (
	"bytes"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// The validator reads a body once into a tape: a flat list of its values in
// document order, each pointing past its own contents. Walking the tape in
// model order costs no allocation, unlike decoding into maps, and parsing
// it is where malformed JSON, duplicate keys and excessive nesting are
// caught.

// Kinds of tape nodes, named by their first byte.
const (
	tokObject = '{'
	tokArray  = '['
	tokString = '"'
	tokNumber = '0'
	tokTrue   = 't'
	tokFalse  = 'f'
	tokNull   = 'n'
)

// node is one JSON value on the tape. An object's contents are its keys
// (string nodes) each followed by its value; an array's are its elements.
type node struct {
	tok     byte
	escaped bool  // a string with escapes, whose text must be decoded
	start   int32 // offset of the value's first byte
	end     int32 // offset after its last byte
	next    int32 // tape index just past the value and its contents
}

// maxDepth bounds nesting; the request bodies of these APIs nest five
// levels at most.
const maxDepth = 64

// maxBody keeps offsets within a node's int32 fields.
const maxBody = 1<<31 - 1

// maxValues bounds the tape, and so the memory a body costs beyond its own
// bytes: a body of four million one-byte values would otherwise take a
// tape of 64 MiB. The largest valid requests (ten events with full
// impression lists, two hundred tags) hold a few thousand values.
const maxValues = 100_000

type parser struct {
	body  []byte
	pos   int
	nodes []node
}

// parse reads body onto the tape, which then starts with its top-level
// value.
func (p *parser) parse(body []byte) error {
	if len(body) > maxBody {
		return &SerializationError{Message: "The request body is too large to parse"}
	}
	if !utf8.Valid(body) {
		return &SerializationError{Message: fmt.Sprintf("Invalid UTF-8 in the request body at byte offset %d", invalidUTF8At(body))}
	}
	p.body, p.pos, p.nodes = body, 0, p.nodes[:0]
	p.skipSpace()
	if err := p.value(1); err != nil {
		return err
	}
	p.skipSpace()
	if p.pos < len(p.body) {
		return p.syntaxError("unexpected data after the top-level value")
	}
	return nil
}

func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return len(b)
}

func (p *parser) skipSpace() {
	for p.pos < len(p.body) {
		switch p.body[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *parser) syntaxError(what string) error {
	return &SerializationError{Message: fmt.Sprintf("Malformed JSON at byte offset %d: %s", p.pos, what)}
}

func (p *parser) unexpected() error {
	if p.pos >= len(p.body) {
		return p.syntaxError("unexpected end of input")
	}
	r, _ := utf8.DecodeRune(p.body[p.pos:])
	return p.syntaxError(fmt.Sprintf("unexpected character %q", r))
}

// expect consumes c after optional whitespace.
func (p *parser) expect(c byte) error {
	p.skipSpace()
	if p.pos >= len(p.body) || p.body[p.pos] != c {
		return p.unexpected()
	}
	p.pos++
	return nil
}

func (p *parser) value(depth int) error {
	if p.pos >= len(p.body) {
		return p.unexpected()
	}
	idx := len(p.nodes)
	if idx >= maxValues {
		return p.syntaxError(fmt.Sprintf("more than %d JSON values in the request body", maxValues))
	}
	p.nodes = append(p.nodes, node{start: int32(p.pos)})
	var err error
	switch c := p.body[p.pos]; c {
	case '{', '[':
		if depth > maxDepth {
			return p.syntaxError(fmt.Sprintf("nesting deeper than %d levels", maxDepth))
		}
		p.nodes[idx].tok = c
		if c == '{' {
			err = p.object(idx, depth)
		} else {
			err = p.array(depth)
		}
	case '"':
		p.nodes[idx].tok = tokString
		p.nodes[idx].escaped, err = p.string()
	case 't':
		p.nodes[idx].tok = tokTrue
		err = p.literal("true")
	case 'f':
		p.nodes[idx].tok = tokFalse
		err = p.literal("false")
	case 'n':
		p.nodes[idx].tok = tokNull
		err = p.literal("null")
	default:
		p.nodes[idx].tok = tokNumber
		err = p.number()
	}
	if err != nil {
		return err
	}
	p.nodes[idx].end = int32(p.pos)
	p.nodes[idx].next = int32(len(p.nodes))
	return nil
}

func (p *parser) object(idx, depth int) error {
	p.pos++ // {
	p.skipSpace()
	if p.pos < len(p.body) && p.body[p.pos] == '}' {
		p.pos++
		return nil
	}
	for {
		p.skipSpace()
		if p.pos >= len(p.body) || p.body[p.pos] != '"' {
			return p.unexpected()
		}
		if err := p.value(depth + 1); err != nil { // the key
			return err
		}
		if err := p.expect(':'); err != nil {
			return err
		}
		p.skipSpace()
		if err := p.value(depth + 1); err != nil {
			return err
		}
		p.skipSpace()
		if p.pos < len(p.body) && p.body[p.pos] == ',' {
			p.pos++
			continue
		}
		if err := p.expect('}'); err != nil {
			return err
		}
		return p.checkDuplicateKeys(idx)
	}
}

func (p *parser) array(depth int) error {
	p.pos++ // [
	p.skipSpace()
	if p.pos < len(p.body) && p.body[p.pos] == ']' {
		p.pos++
		return nil
	}
	for {
		p.skipSpace()
		if err := p.value(depth + 1); err != nil {
			return err
		}
		p.skipSpace()
		if p.pos < len(p.body) && p.body[p.pos] == ',' {
			p.pos++
			continue
		}
		return p.expect(']')
	}
}

// string scans a string literal and reports whether it holds escapes.
func (p *parser) string() (escaped bool, err error) {
	p.pos++ // opening quote
	for p.pos < len(p.body) {
		switch c := p.body[p.pos]; {
		case c == '"':
			p.pos++
			return escaped, nil
		case c == '\\':
			escaped = true
			p.pos++
			if p.pos >= len(p.body) {
				return false, p.unexpected()
			}
			switch p.body[p.pos] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				p.pos++
			case 'u':
				p.pos++
				for range 4 {
					if p.pos >= len(p.body) || !isHex(p.body[p.pos]) {
						return false, p.syntaxError("invalid \\u escape")
					}
					p.pos++
				}
			default:
				return false, p.syntaxError("invalid escape")
			}
		case c < 0x20:
			return false, p.syntaxError("control character in string")
		default:
			p.pos++
		}
	}
	return false, p.unexpected()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func (p *parser) literal(word string) error {
	if !bytes.HasPrefix(p.body[p.pos:], []byte(word)) {
		return p.unexpected()
	}
	p.pos += len(word)
	return nil
}

// number scans -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (p *parser) number() error {
	if p.peek() == '-' {
		p.pos++
	}
	switch c := p.peek(); {
	case c == '0':
		p.pos++
	case '1' <= c && c <= '9':
		p.digits()
	default:
		return p.unexpected()
	}
	if p.peek() == '.' {
		p.pos++
		if !isDigit(p.peek()) {
			return p.unexpected()
		}
		p.digits()
	}
	if c := p.peek(); c == 'e' || c == 'E' {
		p.pos++
		if c := p.peek(); c == '+' || c == '-' {
			p.pos++
		}
		if !isDigit(p.peek()) {
			return p.unexpected()
		}
		p.digits()
	}
	return nil
}

func (p *parser) peek() byte {
	if p.pos < len(p.body) {
		return p.body[p.pos]
	}
	return 0
}

func (p *parser) digits() {
	for isDigit(p.peek()) {
		p.pos++
	}
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// checkDuplicateKeys rejects an object naming a key twice, which
// encoding/json would otherwise resolve silently in favour of the last.
func (p *parser) checkDuplicateKeys(obj int) error {
	end := int32(len(p.nodes))
	n := 0
	for k := int32(obj + 1); k < end; k = p.nodes[k+1].next {
		n++
	}
	// Small objects, which is nearly all of them, compare pairwise
	// without allocating.
	const pairwiseUpTo = 16
	var seen map[string]struct{}
	if n > pairwiseUpTo {
		seen = make(map[string]struct{}, n)
	}
	var bufA, bufB []byte
	for k := int32(obj + 1); k < end; k = p.nodes[k+1].next {
		a := p.text(&bufA, k)
		if seen != nil {
			if _, dup := seen[string(a)]; dup {
				return p.duplicate(a)
			}
			seen[string(a)] = struct{}{}
			continue
		}
		for j := p.nodes[k+1].next; j < end; j = p.nodes[j+1].next {
			if bytes.Equal(a, p.text(&bufB, j)) {
				return p.duplicate(a)
			}
		}
	}
	return nil
}

func (p *parser) duplicate(key []byte) error {
	return &SerializationError{Message: fmt.Sprintf("Duplicate key %q in a JSON object ending at byte offset %d", key, p.pos)}
}

// raw returns a string node's text as written, without its quotes. The
// slice is capped so that appending to it cannot overwrite the body.
func (p *parser) raw(n int32) []byte {
	start, end := p.nodes[n].start+1, p.nodes[n].end-1
	return p.body[start:end:end]
}

// text returns a string node's decoded text: the body's bytes themselves
// when there is nothing to decode, otherwise the text decoded into *buf,
// which keeps its storage for the next call.
func (p *parser) text(buf *[]byte, n int32) []byte {
	if !p.nodes[n].escaped {
		return p.raw(n)
	}
	*buf = unescape((*buf)[:0], p.raw(n))
	return *buf
}

// unescape appends the text of the already validated string literal
// contents s to buf. Unpaired surrogates become U+FFFD, as encoding/json
// decodes them.
func unescape(buf, s []byte) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c != '\\' {
			buf = append(buf, c)
			i++
			continue
		}
		switch s[i+1] {
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r := hex4(s[i+2:])
			i += 6
			if utf16.IsSurrogate(r) {
				r2 := utf8.RuneError
				if i+6 <= len(s) && s[i] == '\\' && s[i+1] == 'u' {
					r2 = hex4(s[i+2:])
				}
				if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
					r = dec
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			buf = utf8.AppendRune(buf, r)
			continue
		default: // " \ /
			buf = append(buf, s[i+1])
		}
		i += 2
	}
	return buf
}

func hex4(s []byte) rune {
	var r rune
	for _, c := range s[:4] {
		r <<= 4
		switch {
		case c <= '9':
			r |= rune(c - '0')
		case c >= 'a':
			r |= rune(c - 'a' + 10)
		default:
			r |= rune(c - 'A' + 10)
		}
	}
	return r
}
