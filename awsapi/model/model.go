// Package model validates request bodies against the official AWS service
// models of Amazon Personalize, as AWS's front end does before an operation
// runs: JSON types first (a SerializationError), then the model's
// constraints (Violations, worded as AWS words them).
//
// The tables in shapes_gen.go are generated from trimmed copies of the
// botocore models kept beside this file; see internal/gen.
package model

// The trimmed models are refreshed with internal/gen's -trim mode; its
// package comment has the commands.
//
//go:generate go run ./internal/gen

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Service is one API of the model: its operations and its modeled errors.
type Service struct {
	operations []*Operation // sorted by name
	// restJSON says operations are bound to HTTP method and path; the
	// awsJson control plane routes by X-Amz-Target instead.
	restJSON bool
	errors   map[string]errorShape
}

type errorShape struct {
	status int
	shape  *shape
}

// Operation is one operation of a service and its HTTP binding.
type Operation struct {
	Name   string // e.g. "PutEvents"
	Method string // HTTP method, e.g. "POST"
	Path   string // the model's requestUri, e.g. "/events"; "/" on the control plane
	input  *shape
	errors []string // error codes the model lists, in model order
}

// Operations returns the service's operations sorted by name. The slice is
// shared; do not modify it.
func (s *Service) Operations() []*Operation { return s.operations }

// Operation returns the operation called name, or nil if the service has
// none. On the control plane name is what follows "AmazonPersonalize." in
// the X-Amz-Target header.
func (s *Service) Operation(name string) *Operation {
	i, found := slices.BinarySearchFunc(s.operations, name, func(op *Operation, name string) int {
		return strings.Compare(op.Name, name)
	})
	if !found {
		return nil
	}
	return s.operations[i]
}

// OperationFor returns the rest-json operation bound to method and path, or
// nil if there is none. It is always nil for a service routed by
// X-Amz-Target.
func (s *Service) OperationFor(method, path string) *Operation {
	if !s.restJSON {
		return nil
	}
	for _, op := range s.operations {
		if op.Path == path && op.Method == method {
			return op
		}
	}
	return nil
}

// ErrorStatus returns the HTTP status of the error code as this service's
// model declares it, 400 for a modeled error without one (the control
// plane's), and 0 for a code the model does not know.
func (s *Service) ErrorStatus(code string) int {
	return s.errors[code].status
}

// SerializationError reports a body that is not what the operation can
// read: malformed JSON, or a value of the wrong JSON type.
type SerializationError struct {
	Message string
}

func (e *SerializationError) Error() string { return e.Message }

// Violation is one failed model constraint.
type Violation struct {
	Path       string // e.g. "eventList.1.member.eventType"
	Value      string // the value as AWS prints it, e.g. "abc" or "[a, b]"
	Null       bool   // the member is absent or null
	Redacted   bool   // the value is sensitive and left out
	Constraint string // e.g. "Member must not be null"
}

// String returns the violation as one item of AWS's validation message.
func (v Violation) String() string {
	var b strings.Builder
	v.appendTo(&b)
	return b.String()
}

func (v Violation) appendTo(b *strings.Builder) {
	switch {
	case v.Null:
		b.WriteString("Value null at '")
	case v.Redacted:
		b.WriteString("Value at '")
	default:
		b.WriteString("Value '")
		b.WriteString(v.Value)
		b.WriteString("' at '")
	}
	b.WriteString(v.Path)
	b.WriteString("' failed to satisfy constraint: ")
	b.WriteString(v.Constraint)
}

// Violations are the constraints a body fails, in the order AWS reports
// them: depth-first in model member order.
type Violations []Violation

// maxReported bounds the items in a message; the count stays exact.
const maxReported = 100

// Error returns AWS's message: "1 validation error detected: <item>" or
// "N validation errors detected: <item>; <item>".
func (vs Violations) Error() string {
	var b strings.Builder
	b.WriteString(strconv.Itoa(len(vs)))
	if len(vs) == 1 {
		b.WriteString(" validation error detected: ")
	} else {
		b.WriteString(" validation errors detected: ")
	}
	for i, v := range vs[:min(len(vs), maxReported)] {
		if i > 0 {
			b.WriteString("; ")
		}
		v.appendTo(&b)
	}
	return b.String()
}

// The shape table's types, filled in by shapes_gen.go.

type kind uint8

const (
	kindStructure kind = iota + 1
	kindList
	kindMap
	kindString
	kindBoolean
	kindInteger // 32-bit
	kindLong    // 64-bit
	kindFloat   // 32-bit
	kindDouble  // 64-bit
	kindTimestamp
)

type shape struct {
	name string
	kind kind
	// sensitive withholds the value and everything inside it from messages.
	sensitive bool
	// holdsSensitive says something inside is sensitive, so the value as a
	// whole is withheld too.
	holdsSensitive bool
	// Length of strings, lists and maps; value of numbers.
	hasMin, hasMax bool
	min, max       float64
	pattern        *pattern
	enum           []string
	members        []member // structure
	key            *shape   // map
	elem           *shape   // list element, map value
}

type member struct {
	name      string
	shape     *shape
	required  bool
	sensitive bool
}

// pattern is a model pattern and its whole-value RE2 translation.
type pattern struct {
	text string // as the model spells it, for messages
	// expr is compiled on first use: compiling every pattern of the models
	// when the package initialised took a tenth of the start-up time of
	// every perch command. The generator has checked that it compiles.
	expr string
	once sync.Once
	re   *regexp.Regexp
	// counted says the pattern is one character class repeated minRunes to
	// maxRunes times, and re the class repeated freely: RE2 cannot compile
	// counts over 1000.
	counted            bool
	minRunes, maxRunes int
}

func (p *pattern) match(text []byte) bool {
	p.once.Do(func() { p.re = regexp.MustCompile(p.expr) })
	if p.counted {
		if n := utf8.RuneCount(text); n < p.minRunes || n > p.maxRunes {
			return false
		}
	}
	return p.re.Match(text)
}
