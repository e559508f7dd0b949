// Command gen keeps the model package's tables in step with the AWS service
// models.
//
// Run from the model package directory, as go generate does:
//
//	go run ./internal/gen
//
// reads the trimmed models personalize.json, personalize-events.json and
// personalize-runtime.json and writes shapes_gen.go. The trimmed models are
// the botocore service models without their documentation strings; refresh
// them from the unmodified copies with
//
//	go run ./internal/gen -trim ../../../shared/spec/aws-models/personalize.json personalize.json
//	go run ./internal/gen -trim ../../../shared/spec/aws-models/personalize-events.json personalize-events.json
//	go run ./internal/gen -trim ../../../shared/spec/aws-models/personalize-runtime.json personalize-runtime.json
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"go/format"
	"io"
	"log"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// services lists the models the package serves: the trimmed model file, the
// exported variable holding the service and the prefix of its shape
// variables (the models share shape names such as Arn).
var services = []service{
	{file: "personalize.json", varName: "Personalize", prefix: "personalize"},
	{file: "personalize-events.json", varName: "Events", prefix: "events"},
	{file: "personalize-runtime.json", varName: "Runtime", prefix: "runtime"},
}

type service struct {
	file, varName, prefix string
}

const outputFile = "shapes_gen.go"

func main() {
	log.SetFlags(0)
	log.SetPrefix("gen: ")
	trim := flag.Bool("trim", false, "trim SRC into DST: drop documentation strings, keep everything else")
	flag.Parse()
	if *trim {
		if flag.NArg() != 2 {
			log.Fatal("usage: gen -trim SRC DST")
		}
		if err := trimFile(flag.Arg(0), flag.Arg(1)); err != nil {
			log.Fatal(err)
		}
		return
	}
	src, err := generate(".")
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(outputFile, src, 0o644); err != nil {
		log.Fatal(err)
	}
}

func trimFile(src, dst string) error {
	in, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	out, err := trimModel(in)
	if err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	return os.WriteFile(dst, out, 0o644)
}

// trimModel returns model without its "documentation" strings, indented by
// two spaces. It copies the token stream so that every object keeps its key
// order: member order is the order validation reports in.
func trimModel(model []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(model))
	dec.UseNumber()
	var compact bytes.Buffer
	if err := copyTrimmed(dec, &compact); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("data after the model at offset %d", dec.InputOffset())
	}
	var out bytes.Buffer
	if err := json.Indent(&out, compact.Bytes(), "", "  "); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// copyTrimmed copies the next JSON value from dec to out, compactly,
// leaving out documentation strings at any depth.
func copyTrimmed(dec *json.Decoder, out *bytes.Buffer) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch t := tok.(type) {
	case json.Delim:
		out.WriteByte(byte(t))
		sep := ""
		for dec.More() {
			if t == '{' {
				key, err := dec.Token()
				if err != nil {
					return err
				}
				var val bytes.Buffer
				if err := copyTrimmed(dec, &val); err != nil {
					return err
				}
				// Only the string is documentation; a member that happens
				// to be called documentation has an object value.
				if key == "documentation" && val.Bytes()[0] == '"' {
					continue
				}
				out.WriteString(sep)
				writeJSON(out, key)
				out.WriteByte(':')
				out.Write(val.Bytes())
			} else {
				out.WriteString(sep)
				if err := copyTrimmed(dec, out); err != nil {
					return err
				}
			}
			sep = ","
		}
		end, err := dec.Token()
		if err != nil {
			return err
		}
		out.WriteByte(byte(end.(json.Delim)))
	case json.Number:
		out.WriteString(string(t))
	default:
		writeJSON(out, t)
	}
	return nil
}

// writeJSON writes a string, boolean or null token as JSON, leaving <, >
// and & as they are in the model.
func writeJSON(out *bytes.Buffer, v any) {
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // cannot fail for these types
	out.Truncate(out.Len() - 1)
}

// The botocore model, as far as validation and routing use it. Decoding
// rejects unknown fields so that a model update bringing a trait this
// generator does not understand (a header-bound member, a new shape type)
// fails here instead of validating the wrong thing.

type model struct {
	Version    string                  `json:"version"`
	Metadata   json.RawMessage         `json:"metadata"`
	Operations map[string]operationDef `json:"operations"`
	Shapes     map[string]shapeDef     `json:"shapes"`
}

type metadata struct {
	Protocol     string `json:"protocol"`
	ServiceID    string `json:"serviceId"`
	APIVersion   string `json:"apiVersion"`
	TargetPrefix string `json:"targetPrefix"`
}

type operationDef struct {
	Name string `json:"name"`
	HTTP struct {
		Method     string `json:"method"`
		RequestURI string `json:"requestUri"`
	} `json:"http"`
	Input      *shapeRef  `json:"input"`
	Output     *shapeRef  `json:"output"`
	Errors     []shapeRef `json:"errors"`
	Idempotent bool       `json:"idempotent"`
}

type shapeRef struct {
	Shape           string `json:"shape"`
	Sensitive       bool   `json:"sensitive"`
	JSONValue       bool   `json:"jsonvalue"`
	TimestampFormat string `json:"timestampFormat"`
}

type shapeDef struct {
	Type            string       `json:"type"`
	Members         members      `json:"members"`
	Required        []string     `json:"required"`
	Min             *json.Number `json:"min"`
	Max             *json.Number `json:"max"`
	Pattern         *string      `json:"pattern"`
	Enum            []string     `json:"enum"`
	Sensitive       bool         `json:"sensitive"`
	Member          *shapeRef    `json:"member"`
	Key             *shapeRef    `json:"key"`
	Value           *shapeRef    `json:"value"`
	TimestampFormat string       `json:"timestampFormat"`
	Box             bool         `json:"box"`
	Exception       bool         `json:"exception"`
	Error           *struct {
		HTTPStatusCode int    `json:"httpStatusCode"`
		Code           string `json:"code"`
		SenderFault    bool   `json:"senderFault"`
	} `json:"error"`
}

// members keeps a structure's members in model order.
type members []namedRef

type namedRef struct {
	name string
	ref  shapeRef
}

func (m *members) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if _, err := dec.Token(); err != nil {
		return err
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		var ref shapeRef
		if err := dec.Decode(&ref); err != nil {
			return fmt.Errorf("member %v: %w", tok, err)
		}
		*m = append(*m, namedRef{name: tok.(string), ref: ref})
	}
	return nil
}

func loadModel(path string) (*model, *metadata, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	var m model
	if err := dec.Decode(&m); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	var meta metadata
	if err := json.Unmarshal(m.Metadata, &meta); err != nil {
		return nil, nil, fmt.Errorf("%s: metadata: %w", path, err)
	}
	return &m, &meta, nil
}

// generate returns the formatted source of shapes_gen.go for the trimmed
// models in dir.
func generate(dir string) ([]byte, error) {
	g := &generator{patternVars: map[string]string{}}
	g.printf("// Code generated by go run ./internal/gen; DO NOT EDIT.\n\n")
	g.printf("package model\n")
	for _, svc := range services {
		m, meta, err := loadModel(filepath.Join(dir, svc.file))
		if err != nil {
			return nil, err
		}
		if err := g.service(svc, m, meta); err != nil {
			return nil, fmt.Errorf("%s: %w", svc.file, err)
		}
	}
	g.printf("\n// Patterns of the models, anchored for whole-value matching.\nvar (\n")
	g.body.Write(g.patterns.Bytes())
	g.printf(")\n")
	src, err := format.Source(g.body.Bytes())
	if err != nil {
		return nil, fmt.Errorf("formatting generated code: %w", err)
	}
	return src, nil
}

type generator struct {
	body, patterns bytes.Buffer
	// patternVars maps a model pattern to the variable compiled from it, so
	// that a pattern both models use is compiled once.
	patternVars map[string]string
}

func (g *generator) printf(format string, args ...any) {
	fmt.Fprintf(&g.body, format, args...)
}

func (g *generator) service(svc service, m *model, meta *metadata) error {
	var restJSON bool
	switch meta.Protocol {
	case "json":
	case "rest-json":
		restJSON = true
	default:
		return fmt.Errorf("protocol %q is not supported", meta.Protocol)
	}

	reachable, err := reachableShapes(m)
	if err != nil {
		return err
	}
	holds := sensitiveHolders(m, reachable)

	opNames := sortedKeys(m.Operations)
	var errorNames []string
	for _, name := range sortedKeys(m.Shapes) {
		if m.Shapes[name].Exception {
			errorNames = append(errorNames, name)
		}
	}

	g.printf("\n// %s is the %s API (%s, protocol %s).\n", svc.varName, meta.ServiceID, meta.APIVersion, meta.Protocol)
	g.printf("var %s = &Service{\n", svc.varName)
	g.printf("operations: []*Operation{\n")
	for _, name := range opNames {
		op := m.Operations[name]
		if op.Name != name {
			return fmt.Errorf("operation %s is named %q", name, op.Name)
		}
		if op.Input == nil {
			return fmt.Errorf("operation %s has no input", name)
		}
		if restJSON && strings.ContainsAny(op.HTTP.RequestURI, "{?") {
			return fmt.Errorf("operation %s: request URI %q has labels or a query; routing supports literal paths only", name, op.HTTP.RequestURI)
		}
		var errs []string
		for _, e := range op.Errors {
			if !m.Shapes[e.Shape].Exception {
				return fmt.Errorf("operation %s: error %s is not an exception shape", name, e.Shape)
			}
			errs = append(errs, strconv.Quote(e.Shape))
		}
		g.printf("{Name: %q, Method: %q, Path: %q, input: &%s, errors: []string{%s}},\n",
			name, op.HTTP.Method, op.HTTP.RequestURI, svc.prefix+op.Input.Shape, strings.Join(errs, ", "))
	}
	g.printf("},\n")
	g.printf("restJSON: %t,\n", restJSON)
	g.printf("errors: map[string]errorShape{\n")
	for _, name := range errorNames {
		status := 400 // what AWS answers for a client error the model gives no status
		if e := m.Shapes[name].Error; e != nil {
			if e.Code != "" && e.Code != name {
				return fmt.Errorf("error %s has the wire code %q; codes other than the shape name are not supported", name, e.Code)
			}
			if e.HTTPStatusCode != 0 {
				status = e.HTTPStatusCode
			}
		}
		g.printf("%q: {status: %d, shape: &%s},\n", name, status, svc.prefix+name)
	}
	g.printf("},\n}\n")

	for _, name := range sortedKeys(reachable) {
		if err := g.shape(svc, m, name, holds[name]); err != nil {
			return fmt.Errorf("shape %s: %w", name, err)
		}
	}
	return nil
}

var kinds = map[string]string{
	"structure": "kindStructure",
	"list":      "kindList",
	"map":       "kindMap",
	"string":    "kindString",
	"boolean":   "kindBoolean",
	"integer":   "kindInteger",
	"long":      "kindLong",
	"float":     "kindFloat",
	"double":    "kindDouble",
	"timestamp": "kindTimestamp",
}

func (g *generator) shape(svc service, m *model, name string, holdsSensitive bool) error {
	s := m.Shapes[name]
	kind, ok := kinds[s.Type]
	if !ok {
		return fmt.Errorf("type %q is not supported", s.Type)
	}
	if err := checkTimestampFormat(s.TimestampFormat); err != nil {
		return err
	}
	g.printf("\nvar %s = shape{\nname: %q,\nkind: %s,\n", svc.prefix+name, name, kind)
	if s.Sensitive {
		g.printf("sensitive: true,\n")
	}
	if holdsSensitive {
		g.printf("holdsSensitive: true,\n")
	}
	for _, bound := range []struct {
		field string
		n     *json.Number
	}{{"min", s.Min}, {"max", s.Max}} {
		if bound.n == nil {
			continue
		}
		f, err := bound.n.Float64()
		if err != nil {
			return fmt.Errorf("%s: %w", bound.field, err)
		}
		if s.Type != "float" && s.Type != "double" && f != float64(int64(f)) {
			return fmt.Errorf("%s %s is not a whole number", bound.field, bound.n)
		}
		g.printf("has%s: true, %s: %s,\n", strings.ToUpper(bound.field[:1])+bound.field[1:], bound.field, bound.n)
	}
	if s.Pattern != nil {
		v, err := g.patternVar(svc.prefix+name, *s.Pattern)
		if err != nil {
			return err
		}
		g.printf("pattern: %s,\n", v)
	}
	if len(s.Enum) > 0 {
		g.printf("enum: []string{%s},\n", quoteAll(s.Enum))
	}
	switch s.Type {
	case "structure":
		required := map[string]bool{}
		for _, r := range s.Required {
			required[r] = true
		}
		g.printf("members: []member{\n")
		for _, mem := range s.Members {
			if err := checkTimestampFormat(mem.ref.TimestampFormat); err != nil {
				return fmt.Errorf("member %s: %w", mem.name, err)
			}
			g.printf("{name: %q, shape: &%s", mem.name, svc.prefix+mem.ref.Shape)
			if required[mem.name] {
				g.printf(", required: true")
			}
			if mem.ref.Sensitive {
				g.printf(", sensitive: true")
			}
			g.printf("},\n")
			delete(required, mem.name)
		}
		g.printf("},\n")
		if len(required) > 0 {
			return fmt.Errorf("required members %v are not members", sortedKeys(required))
		}
	case "list":
		if s.Member == nil {
			return fmt.Errorf("list without member")
		}
		g.printf("elem: &%s,\n", svc.prefix+s.Member.Shape)
	case "map":
		if s.Key == nil || s.Value == nil {
			return fmt.Errorf("map without key or value")
		}
		g.printf("key: &%s,\nelem: &%s,\n", svc.prefix+s.Key.Shape, svc.prefix+s.Value.Shape)
	}
	g.printf("}\n")
	return nil
}

func checkTimestampFormat(f string) error {
	if f != "" && f != "unixTimestamp" {
		return fmt.Errorf("timestamp format %q is not supported; only epoch seconds are", f)
	}
	return nil
}

// patternVar returns the variable holding the compiled form of the model
// pattern p, declaring it on first use.
func (g *generator) patternVar(shapeVar, p string) (string, error) {
	if v, ok := g.patternVars[p]; ok {
		return v, nil
	}
	translated := translatePattern(p)
	fields := ""
	// RE2 refuses counts over 1000 and would simulate such a repeat in
	// quadratic time; a pattern that is a single character class repeated
	// is checked as the class repeated freely plus a count of characters.
	if m := countedClass.FindStringSubmatch(translated); m != nil {
		if lo, hi := atoi(m[2]), atoi(m[3]); hi > 1000 {
			translated = m[1] + "*"
			fields = fmt.Sprintf(", counted: true, minRunes: %d, maxRunes: %d", lo, hi)
		}
	}
	expr := "^(?:" + translated + ")$"
	if _, err := regexp.Compile(expr); err != nil {
		return "", fmt.Errorf("pattern %q does not compile as %q: %w", p, expr, err)
	}
	v := "pattern" + strings.ToUpper(shapeVar[:1]) + shapeVar[1:]
	g.patternVars[p] = v
	fmt.Fprintf(&g.patterns, "%s = &pattern{text: %s, expr: %s%s}\n", v, quote(p), quote(expr), fields)
	return v, nil
}

// countedClass matches a translated pattern that is one bracket class or
// escape repeated {lo,hi} times.
var countedClass = regexp.MustCompile(`^(\[(?:\\.|[^\]\\])*\]|\\.)\{(\d+),(\d+)\}$`)

func atoi(s string) int {
	n, _ := strconv.Atoi(s) // digits only, by countedClass
	return n
}

// translatePattern rewrites the model's ECMA/Java regular expression p for
// Go's RE2: \p{ASCII} has no RE2 name, and a bare dot must not match the
// line terminators Java's dot excludes (RE2's excludes only \n).
func translatePattern(p string) string {
	const javaDot = `[^\n\r\x{85}\x{2028}\x{2029}]`
	var b strings.Builder
	inClass := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '\\' && strings.HasPrefix(p[i:], `\p{ASCII}`):
			if inClass {
				b.WriteString(`\x00-\x7F`)
			} else {
				b.WriteString(`[\x00-\x7F]`)
			}
			i += len(`\p{ASCII}`) - 1
		case c == '\\' && i+1 < len(p):
			b.WriteString(p[i : i+2])
			i++
		case c == '[' && !inClass:
			inClass = true
			b.WriteByte(c)
			if strings.HasPrefix(p[i+1:], "^") {
				b.WriteByte('^')
				i++
			}
			if strings.HasPrefix(p[i+1:], "]") { // a leading ] is literal
				b.WriteByte(']')
				i++
			}
		case c == ']' && inClass:
			inClass = false
			b.WriteByte(c)
		case c == '.' && !inClass:
			b.WriteString(javaDot)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// reachableShapes returns the shapes validation can visit: everything
// reachable from an operation's input, and the error shapes with what they
// reach. It rejects recursive shapes, which Go's package initialisation
// could not express as the plain pointer literals generated here.
func reachableShapes(m *model) (map[string]bool, error) {
	const (
		visiting = 1
		done     = 2
	)
	state := map[string]int{}
	var visit func(name string, via []string) error
	visit = func(name string, via []string) error {
		switch state[name] {
		case visiting:
			return fmt.Errorf("recursive shape %s (via %s) is not supported", name, strings.Join(via, " > "))
		case done:
			return nil
		}
		s, ok := m.Shapes[name]
		if !ok {
			return fmt.Errorf("shape %s is referenced but not defined", name)
		}
		state[name] = visiting
		via = append(via, name)
		for _, ref := range children(s) {
			if err := visit(ref, via); err != nil {
				return err
			}
		}
		state[name] = done
		return nil
	}
	for _, name := range sortedKeys(m.Operations) {
		if err := visit(m.Operations[name].Input.Shape, nil); err != nil {
			return nil, err
		}
	}
	for _, name := range sortedKeys(m.Shapes) {
		if m.Shapes[name].Exception {
			if err := visit(name, nil); err != nil {
				return nil, err
			}
		}
	}
	reachable := map[string]bool{}
	for name := range state {
		reachable[name] = true
	}
	return reachable, nil
}

func children(s shapeDef) []string {
	var out []string
	for _, mem := range s.Members {
		out = append(out, mem.ref.Shape)
	}
	for _, ref := range []*shapeRef{s.Member, s.Key, s.Value} {
		if ref != nil {
			out = append(out, ref.Shape)
		}
	}
	return out
}

// sensitiveHolders reports, for each reachable shape, whether a sensitive
// shape or member lies somewhere inside it: printing such a value whole
// would leak what the sensitive trait withholds.
func sensitiveHolders(m *model, reachable map[string]bool) map[string]bool {
	memo := map[string]bool{}
	var holds func(name string) bool
	holds = func(name string) bool {
		if h, ok := memo[name]; ok {
			return h
		}
		s := m.Shapes[name]
		h := false
		for _, mem := range s.Members {
			h = h || mem.ref.Sensitive
		}
		for _, child := range children(s) {
			h = h || m.Shapes[child].Sensitive || holds(child)
		}
		memo[name] = h
		return h
	}
	out := map[string]bool{}
	for name := range reachable {
		out[name] = holds(name)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// quote writes s as a raw string literal where it can, which keeps the
// model's backslash-heavy patterns readable.
func quote(s string) string {
	if strings.ContainsAny(s, "`\r") || !strconv.CanBackquote(s) {
		return strconv.Quote(s)
	}
	return "`" + s + "`"
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}
