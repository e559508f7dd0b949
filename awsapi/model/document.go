package model

import (
	"iter"
	"math"
)

// Parse validates body as Validate does and, when it is valid, returns it
// as a Document: the validator's tape, for the caller to read the request
// from without parsing the body a second time. The caller must Close the
// document when it is done with it; strings read from it stay valid.
func (op *Operation) Parse(body []byte) (*Document, error) {
	v, err := op.validate(body)
	if err != nil {
		return nil, err
	}
	// Unescaped strings, which are nearly all of them, are slices of
	// one copy of the body: one allocation for the whole request.
	return &Document{v: v, text: string(v.body)}, nil
}

// Document is a valid request body. Members and values the model does not
// describe are there too, as in the body; the caller reads what it knows.
type Document struct {
	v    *validator
	text string
}

// Close returns the document's buffers for reuse. Values read from it
// before stay valid; the document itself may not be used again.
func (d *Document) Close() {
	if d.v != nil {
		d.v.release()
		d.v = nil
	}
}

// Root returns the body's top-level object.
func (d *Document) Root() Value { return Value{d, 0} }

// Value is one JSON value of a Document.
type Value struct {
	d *Document
	n int32
}

// node returns the value's tape node; the zero Value, which stands for an
// absent member, reads as null.
func (v Value) node() *node {
	if v.d == nil {
		return &nullNode
	}
	return &v.d.v.nodes[v.n]
}

var nullNode = node{tok: tokNull}

// Members yields an object's members in body order with their decoded
// names, leaving out members whose value is null: to a request, a null
// member is an absent one. The name is only valid until the next
// iteration.
func (v Value) Members() iter.Seq2[[]byte, Value] {
	return func(yield func([]byte, Value) bool) {
		if v.node().tok != tokObject {
			return
		}
		p := &v.d.v.parser
		for k := v.n + 1; k < p.nodes[v.n].next; k = p.nodes[k+1].next {
			if p.nodes[k+1].tok == tokNull {
				continue
			}
			if !yield(p.text(&v.d.v.keyScratch, k), Value{v.d, k + 1}) {
				return
			}
		}
	}
}

// Elements yields an array's elements in order.
func (v Value) Elements() iter.Seq[Value] {
	return func(yield func(Value) bool) {
		if v.node().tok != tokArray {
			return
		}
		nodes := v.d.v.nodes
		for e := v.n + 1; e < nodes[v.n].next; e = nodes[e].next {
			if !yield(Value{v.d, e}) {
				return
			}
		}
	}
}

// Len returns the number of elements of an array or members of an object,
// null ones included, and 0 for any other value.
func (v Value) Len() int {
	switch v.node().tok {
	case tokArray, tokObject:
		return v.d.v.count(v.n)
	}
	return 0
}

// String returns a string's decoded text, and "" for any other value.
func (v Value) String() string {
	nd := v.node()
	if nd.tok != tokString {
		return ""
	}
	if !nd.escaped {
		return v.d.text[nd.start+1 : nd.end-1]
	}
	return string(v.d.v.text(&v.d.v.scratch, v.n))
}

// Number returns a number's text as written, and "" for any other value.
func (v Value) Number() string {
	nd := v.node()
	if nd.tok != tokNumber {
		return ""
	}
	return v.d.text[nd.start:nd.end]
}

// EpochSeconds returns a timestamp's epoch seconds in decimal: a number's
// text as written, or what a string in one of the forms the validator
// takes stands for (see timestampForms); "" for any other value.
func (v Value) EpochSeconds() string {
	switch v.node().tok {
	case tokNumber:
		return v.Number()
	case tokString:
		text, _ := epochSecondsText(v.d.v.text(&v.d.v.scratch, v.n))
		return text
	}
	return ""
}

// Float returns a number, or one of the strings "NaN", "Infinity" and
// "-Infinity" that Smithy sends for values JSON cannot hold, as a float64;
// numbers beyond its range are ±Inf. Any other value is NaN.
func (v Value) Float() float64 {
	switch v.node().tok {
	case tokNumber, tokString:
		return v.d.v.float(v.n)
	}
	return math.NaN()
}
