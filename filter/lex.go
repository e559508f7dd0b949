package filter

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// tokenKind is the class of a lexical token.
type tokenKind int

const (
	tokEOF         tokenKind = iota
	tokIdent                 // a word: keyword, target, dataset, field, CurrentUser, CurrentItem
	tokString                // a double-quoted literal; text holds its decoded content
	tokNumber                // a number literal; num holds its value
	tokPlaceholder           // $NAME; text holds NAME
	tokDot
	tokComma
	tokLParen
	tokRParen
	tokPipe
	tokOperator // = != < <= > >=
	tokError    // what cannot be read; err says why
)

// token is one lexeme of an expression. pos is its byte offset, raw the
// source text it was read from (for error messages).
type token struct {
	kind tokenKind
	text string
	num  float64
	pos  int
	raw  string
	err  *lexError
}

// keyword reports whether the token is the word w, in any case: AWS's own
// pages spell keywords and identifiers in several cases.
func (t token) keyword(w string) bool {
	return t.kind == tokIdent && strings.EqualFold(t.text, w)
}

// lexError is a lexical error at a byte offset; the parser turns it into
// AWS's "Invalid input symbol" error.
type lexError struct {
	pos    int
	symbol string
	reason string
}

// lex splits src into tokens, ending with a tokEOF token, or with a
// tokError token where src stops making sense: the parser reports it only
// when it reaches it, so that the first error in reading order wins.
func lex(src string) []token {
	var tokens []token
	for i := 0; ; {
		for i < len(src) && isSpace(src[i]) {
			i++
		}
		if i == len(src) {
			return append(tokens, token{kind: tokEOF, pos: i})
		}
		tok, next, err := lexOne(src, i)
		if err != nil {
			return append(tokens, token{kind: tokError, pos: err.pos, err: err})
		}
		tok.raw = src[i:next]
		tokens = append(tokens, tok)
		i = next
	}
}

var punctuation = map[byte]tokenKind{'.': tokDot, ',': tokComma, '(': tokLParen, ')': tokRParen, '|': tokPipe}

// lexOne reads the token starting at src[i] and returns it with the offset
// just past it.
func lexOne(src string, i int) (token, int, *lexError) {
	c := src[i]
	if kind, ok := punctuation[c]; ok {
		return token{kind: kind, text: string(c), pos: i}, i + 1, nil
	}
	switch {
	case c == '=':
		return token{kind: tokOperator, text: "=", pos: i}, i + 1, nil
	case c == '!':
		if i+1 < len(src) && src[i+1] == '=' {
			return token{kind: tokOperator, text: "!=", pos: i}, i + 2, nil
		}
		return token{}, 0, &lexError{pos: i, symbol: "!", reason: `"!" must be followed by "=" (the != operator).`}
	case c == '<' || c == '>':
		if i+1 < len(src) && src[i+1] == '=' {
			return token{kind: tokOperator, text: src[i : i+2], pos: i}, i + 2, nil
		}
		return token{kind: tokOperator, text: string(c), pos: i}, i + 1, nil
	case c == '"':
		return lexString(src, i)
	case c == '$':
		j := i + 1
		for j < len(src) && isWordByte(src[j]) {
			j++
		}
		if j == i+1 {
			return token{}, 0, &lexError{pos: i, symbol: "$", reason: "A placeholder is $ followed by its name, such as $GENRE."}
		}
		return token{kind: tokPlaceholder, text: src[i+1 : j], pos: i}, j, nil
	case c == '-' || isDigit(c):
		return lexNumber(src, i)
	case isWordStart(c):
		j := i + 1
		for j < len(src) && isWordByte(src[j]) {
			j++
		}
		return token{kind: tokIdent, text: src[i:j], pos: i}, j, nil
	case c == '\'':
		return token{}, 0, &lexError{pos: i, symbol: "'", reason: "Values must be enclosed in double quotes, such as \"comedy\"."}
	}
	r, _ := utf8.DecodeRuneInString(src[i:])
	return token{}, 0, &lexError{pos: i, symbol: string(r), reason: "This character is not part of the filter expression syntax."}
}

// lexString reads a double-quoted literal. A backslash escapes the next
// character, so that values can hold quotes (AWS documents no escapes;
// this is perch's choice, and String writes literals the same way).
func lexString(src string, start int) (token, int, *lexError) {
	var b strings.Builder
	for i := start + 1; i < len(src); i++ {
		switch src[i] {
		case '"':
			return token{kind: tokString, text: b.String(), pos: start}, i + 1, nil
		case '\\':
			if i+1 == len(src) {
				break
			}
			i++
		}
		b.WriteByte(src[i])
	}
	return token{}, 0, &lexError{pos: start, symbol: src[start:], reason: "The value is not closed with a double quote."}
}

// lexNumber reads -?digits[.digits][(e|E)[+-]digits].
func lexNumber(src string, start int) (token, int, *lexError) {
	i := start
	if src[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(src) && isDigit(src[i]) {
			i++
			n++
		}
		return n
	}
	bad := func() (token, int, *lexError) {
		end := i
		for end < len(src) && (isWordByte(src[end]) || src[end] == '.' || src[end] == '-' || src[end] == '+') {
			end++
		}
		if end == start {
			end = start + 1
		}
		return token{}, 0, &lexError{pos: start, symbol: src[start:end], reason: "This is not a number."}
	}
	if digits() == 0 {
		return bad()
	}
	if i < len(src) && src[i] == '.' {
		i++
		if digits() == 0 {
			return bad()
		}
	}
	if i < len(src) && (src[i] == 'e' || src[i] == 'E') {
		i++
		if i < len(src) && (src[i] == '+' || src[i] == '-') {
			i++
		}
		if digits() == 0 {
			return bad()
		}
	}
	if i < len(src) && (isWordByte(src[i]) || src[i] == '.') {
		return bad()
	}
	v, err := strconv.ParseFloat(src[start:i], 64)
	if err != nil {
		return token{}, 0, &lexError{pos: start, symbol: src[start:i], reason: "The number is out of range."}
	}
	return token{kind: tokNumber, num: v, pos: start}, i, nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isWordStart(c byte) bool {
	return c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}
func isWordByte(c byte) bool { return isWordStart(c) || isDigit(c) }

// formatNumber writes a number the way String and error messages show it;
// lexNumber reads every output back to the same value.
func formatNumber(v float64) string {
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// quote writes a string literal that lexString reads back to s.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}
