package filter

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/perchdev/perch"
)

// Limits of filter expressions ([DG] limits and the CreateFilter model).
const (
	MaxExpressionLength = 2500 // characters of filterExpression
	MaxFieldsPerFilter  = 10   // distinct dataset fields in one filter
	MaxFieldsPerGroup   = 20   // distinct dataset fields across a dataset group's filters
	MaxPlaceholderName  = 50   // a placeholder name is a filterValues key
)

// Targets: what a filter's expressions keep or drop.
const (
	TargetItem   = "ItemID"
	TargetAction = "ActionID"
	TargetUser   = "UserID"
)

// Schemas are the dataset group's datasets that filters may name, by type;
// absent types are missing datasets.
type Schemas map[perch.DatasetType]*perch.AvroSchema

// operator is a comparison of a condition, spelled as String writes it.
type operator string

const (
	opIn    operator = "IN"
	opNotIn operator = "NOT IN"
	opEq    operator = "="
	opNe    operator = "!="
	opLt    operator = "<"
	opLe    operator = "<="
	opGt    operator = ">"
	opGe    operator = ">="
)

func (op operator) matchesStrings() bool { return op == opIn || op == opNotIn }

// datasetNames are the datasets as expressions spell them.
var datasetNames = map[perch.DatasetType]string{
	perch.Items:              "Items",
	perch.Users:              "Users",
	perch.Interactions:       "Interactions",
	perch.Actions:            "Actions",
	perch.ActionInteractions: "Action_Interactions",
}

// datasetsByTarget lists the datasets a target's WHERE conditions may use:
// the target's own dataset and the interactions with it. User segments
// read Interactions as "users who interacted with ...".
var datasetsByTarget = map[string][]perch.DatasetType{
	TargetItem:   {perch.Items, perch.Interactions},
	TargetAction: {perch.Actions, perch.ActionInteractions},
	TargetUser:   {perch.Users, perch.Interactions},
}

// idFields name the id column of each target's own dataset: a condition on
// it compares the candidate's id.
var idFields = map[perch.DatasetType]string{
	perch.Items:   "ITEM_ID",
	perch.Users:   "USER_ID",
	perch.Actions: "ACTION_ID",
}

const eventTypeField = "EVENT_TYPE"

// field is a dataset field named by an expression.
type field struct {
	dataset perch.DatasetType
	def     *perch.Field
}

func (f field) String() string { return datasetNames[f.dataset] + "." + f.def.Name }

func (f field) numeric() bool {
	switch f.def.Type {
	case perch.TypeInt, perch.TypeLong, perch.TypeFloat, perch.TypeDouble:
		return true
	}
	return false
}

func (f field) interactions() bool {
	return f.dataset == perch.Interactions || f.dataset == perch.ActionInteractions
}

// valueKind is the form of a condition's right-hand side.
type valueKind int

const (
	valueStrings     valueKind = iota // ("a", "b")
	valueNumber                       // 20
	valuePlaceholder                  // $NAME, filled by Bind
	valueCurrentItem                  // CurrentItem.FIELD, read by Prepare
)

type value struct {
	kind        valueKind
	strings     []string
	number      float64
	placeholder string
	item        field // valueCurrentItem
}

// condition is "lhs op rhs". In IF conditions lhs is a Users field read
// from the requesting user (CurrentUser).
type condition struct {
	lhs         field
	currentUser bool
	op          operator
	rhs         value
}

// expression is one INCLUDE/EXCLUDE part of a filter.
type expression struct {
	include bool
	dataset perch.DatasetType // of every WHERE condition
	// where holds the conditions as OR-joined groups of AND-joined ones:
	// without parentheses, AND binds tighter than OR.
	where [][]*condition
	when  []*condition // the IF conditions, AND-joined; none without IF
}

// Filter is a parsed, checked filter expression.
type Filter struct {
	target      string
	expressions []*expression
}

// Parse parses and checks expression against the group's schemas. Errors
// are *perch.Error: EInvalidInput with AWS's "Could not create filter. "
// texts, naming the offending symbol, its position (1-based, in
// characters), the field and the dataset; ELimitExceeded for more than
// MaxFieldsPerFilter distinct fields.
func Parse(expression string, schemas Schemas) (*Filter, error) {
	if n := utf8.RuneCountInString(expression); n < 1 || n > MaxExpressionLength {
		return nil, perch.Errorf(perch.EInvalidInput,
			"Could not create filter. The filter expression has %d characters; it must have 1 to %d.", n, MaxExpressionLength)
	}
	return parse(expression, schemas)
}

// parse is Parse without the length limit, which String's canonical form
// (spaced out, parentheses added) may exceed where its source did not.
func parse(expression string, schemas Schemas) (*Filter, error) {
	p := &parser{src: expression, tokens: lex(expression), schemas: schemas}
	f, err := p.filter()
	if err != nil {
		return nil, err
	}
	if fields := f.Fields(); len(fields) > MaxFieldsPerFilter {
		return nil, perch.Errorf(perch.ELimitExceeded,
			"Could not create filter. The filter uses %d distinct dataset fields (%s); at most %d are allowed.",
			len(fields), strings.Join(fields, ", "), MaxFieldsPerFilter)
	}
	return f, nil
}

// CheckGroupFields checks the dataset group's quota of distinct fields
// across its filters: inUse are the Fields of the group's other filters.
func CheckGroupFields(inUse []string, f *Filter) error {
	all := map[string]bool{}
	for _, name := range inUse {
		all[name] = true
	}
	for _, name := range f.Fields() {
		all[name] = true
	}
	if len(all) > MaxFieldsPerGroup {
		return perch.Errorf(perch.ELimitExceeded,
			"Could not create filter. The dataset group's filters would use %d distinct dataset fields; at most %d are allowed.",
			len(all), MaxFieldsPerGroup)
	}
	return nil
}

// parser is a recursive-descent parser over the tokens of one expression.
type parser struct {
	src     string
	tokens  []token
	next    int
	schemas Schemas
}

func (p *parser) peek() token { return p.tokens[p.next] }

func (p *parser) take() token {
	t := p.tokens[p.next]
	if t.kind != tokEOF && t.kind != tokError {
		p.next++
	}
	return t
}

// unexpected is the syntax error for token t; at a token that could not
// be read, the lexer's reason replaces the parser's expectation.
func (p *parser) unexpected(t token, reason string) error {
	switch t.kind {
	case tokEOF:
		return symbolError(p.src, t.pos, "<EOF>", reason)
	case tokError:
		return symbolError(p.src, t.pos, symbolText(t.err.symbol), t.err.reason)
	}
	return symbolError(p.src, t.pos, symbolText(t.raw), reason)
}

// invalid is the error for a well-formed but meaningless expression.
func (p *parser) invalid(pos int, format string, args ...any) error {
	return perch.Errorf(perch.EInvalidInput, "Could not create filter. Invalid Expression at position %d: %s",
		position(p.src, pos), fmt.Sprintf(format, args...))
}

func symbolError(src string, pos int, symbol, reason string) error {
	return perch.Errorf(perch.EInvalidInput, "Could not create filter. Invalid input symbol %s at position %d. %s",
		symbol, position(src, pos), reason)
}

// symbolText shows a symbol in an error message: in double quotes unless
// it is a (possibly unclosed) string literal, which brings its own.
func symbolText(s string) string {
	if strings.HasPrefix(s, `"`) {
		return truncate(s)
	}
	return `"` + truncate(s) + `"`
}

// truncate keeps error messages short when an unclosed string swallows the
// rest of the expression.
func truncate(s string) string {
	const most = 40
	if utf8.RuneCountInString(s) <= most {
		return s
	}
	return string([]rune(s)[:most]) + "..."
}

// position converts a byte offset into the 1-based character position
// that error messages show.
func position(src string, offset int) int { return utf8.RuneCountInString(src[:offset]) + 1 }

// filter := expression ("|" expression)* EOF
func (p *parser) filter() (*Filter, error) {
	f := &Filter{}
	for {
		e, err := p.expression(f)
		if err != nil {
			return nil, err
		}
		f.expressions = append(f.expressions, e)
		switch t := p.take(); {
		case t.kind == tokEOF:
			return f, nil
		case t.kind == tokPipe:
		case t.keyword("IF"):
			return nil, p.unexpected(t, "An expression can have only one IF, at its end; join CurrentUser conditions with AND.")
		case len(e.when) > 0 && t.keyword("OR"):
			return nil, p.unexpected(t, "IF conditions can only be joined with AND.")
		default:
			return nil, p.unexpected(t, `Expected AND, OR, IF, "|" or the end of the expression.`)
		}
	}
}

// expression := (INCLUDE|EXCLUDE) target WHERE conditions [IF userConditions]
func (p *parser) expression(f *Filter) (*expression, error) {
	e := &expression{}
	switch t := p.take(); {
	case t.keyword("INCLUDE"):
		e.include = true
	case t.keyword("EXCLUDE"):
	default:
		return nil, p.unexpected(t, "Expected INCLUDE or EXCLUDE.")
	}

	t := p.take()
	var target string
	for _, known := range []string{TargetItem, TargetAction, TargetUser} {
		if t.keyword(known) {
			target = known
		}
	}
	switch {
	case target == "":
		return nil, p.unexpected(t, "Expected ItemID, ActionID or UserID.")
	case f.target == "":
		f.target = target
	case f.target != target:
		return nil, p.invalid(t.pos, "this expression filters %s but the filter's first expression filters %s; all expressions of a filter must filter the same kind of id.",
			target, f.target)
	}

	if t := p.take(); !t.keyword("WHERE") {
		return nil, p.unexpected(t, "Expected WHERE.")
	}
	group := []*condition{}
	for {
		c, err := p.condition(f.target, e)
		if err != nil {
			return nil, err
		}
		group = append(group, c)
		if t := p.peek(); t.keyword("AND") {
			p.take()
		} else if t.keyword("OR") {
			p.take()
			e.where = append(e.where, group)
			group = []*condition{}
		} else {
			break
		}
	}
	e.where = append(e.where, group)

	if t := p.peek(); t.keyword("IF") {
		p.take()
		if f.target == TargetUser {
			return nil, p.invalid(t.pos, "IF conditions read the user who requests recommendations; UserID expressions filter user segments, which have none.")
		}
		for {
			c, err := p.userCondition()
			if err != nil {
				return nil, err
			}
			e.when = append(e.when, c)
			if !p.peek().keyword("AND") {
				break
			}
			p.take()
		}
	}
	return e, nil
}

// condition := Dataset "." FIELD op value
func (p *parser) condition(target string, e *expression) (*condition, error) {
	t := p.take()
	switch {
	case t.kind == tokLParen:
		return nil, p.unexpected(t, "Expected a dataset field such as Items.GENRE; parentheses cannot group conditions.")
	case t.keyword("CurrentUser"):
		return nil, p.unexpected(t, "CurrentUser can only be used in the IF condition at the end of an expression.")
	case t.keyword("CurrentItem"):
		return nil, p.unexpected(t, "CurrentItem can only be used after an operator, such as Items.PRICE < CurrentItem.PRICE.")
	}
	dataset, ok := perch.ParseDatasetType(t.text)
	if t.kind != tokIdent || !ok {
		return nil, p.unexpected(t, "Expected a dataset: Items, Users, Interactions, Actions or Action_Interactions.")
	}
	if !slices.Contains(datasetsByTarget[target], dataset) {
		allowed := datasetsByTarget[target]
		return nil, p.invalid(t.pos, "%s expressions can use the %s and %s datasets, not %s.",
			target, datasetNames[allowed[0]], datasetNames[allowed[1]], datasetNames[dataset])
	}
	if e.dataset == "" {
		e.dataset = dataset
	} else if e.dataset != dataset {
		return nil, p.invalid(t.pos, `conditions joined by AND or OR must use the dataset of the expression's first condition (%s), not %s; chain expressions that use different datasets with "|".`,
			datasetNames[e.dataset], datasetNames[dataset])
	}
	lhs, err := p.field(dataset, t)
	if err != nil {
		return nil, err
	}
	if lhs.interactions() && lhs.def.Name != eventTypeField {
		return nil, p.invalid(t.pos, "%s can only be filtered by EVENT_TYPE, not %s.", datasetNames[dataset], lhs.def.Name)
	}
	return p.comparison(lhs, false)
}

// userCondition := CurrentUser "." FIELD op value
func (p *parser) userCondition() (*condition, error) {
	t := p.take()
	if !t.keyword("CurrentUser") {
		return nil, p.unexpected(t, "IF conditions can only use CurrentUser.FIELD, such as CurrentUser.AGE.")
	}
	lhs, err := p.field(perch.Users, t)
	if err != nil {
		return nil, err
	}
	return p.comparison(lhs, true)
}

// field reads "." FIELD after the dataset (or CurrentUser/CurrentItem)
// token start, and checks the field exists and can be filtered.
func (p *parser) field(dataset perch.DatasetType, start token) (field, error) {
	if t := p.take(); t.kind != tokDot {
		return field{}, p.unexpected(t, fmt.Sprintf(`Expected "." and a field after %s.`, start.raw))
	}
	t := p.take()
	if t.kind != tokIdent {
		return field{}, p.unexpected(t, "Expected a field name.")
	}
	schema := p.schemas[dataset]
	if schema == nil {
		return field{}, p.invalid(start.pos, "the dataset group has no %s dataset, which %s.%s needs.", datasetNames[dataset], start.raw, t.text)
	}
	def := lookupField(schema, t.text)
	if def == nil && (dataset == perch.Interactions || dataset == perch.ActionInteractions) && strings.EqualFold(t.text, eventTypeField) {
		// Every event has a type (PutEvents requires one) even when the
		// schema leaves the optional EVENT_TYPE column out.
		def = &perch.Field{Name: eventTypeField, Type: perch.TypeString}
	}
	if def == nil {
		return field{}, p.unexpected(t, fmt.Sprintf("The %s dataset has no field %s.", datasetNames[dataset], t.text))
	}
	f := field{dataset: dataset, def: def}
	switch {
	case def.Type == perch.TypeBoolean:
		return field{}, p.invalid(t.pos, "%s is a boolean field, and boolean fields cannot be filtered; use a string field with the values \"True\" and \"False\", or an int with 0 and 1.", f)
	case def.Textual:
		return field{}, p.invalid(t.pos, "%s is a textual field, and textual (unstructured text) fields cannot be filtered.", f)
	}
	return f, nil
}

// lookupField finds a field by name in any case, as AWS's own examples
// write fields in several cases; schema names are unique ignoring case.
func lookupField(schema *perch.AvroSchema, name string) *perch.Field {
	if f, ok := schema.Field(name); ok {
		return f
	}
	for i := range schema.Fields {
		if strings.EqualFold(schema.Fields[i].Name, name) {
			return &schema.Fields[i]
		}
	}
	return nil
}

// comparison reads the operator and the value after lhs and checks they
// suit lhs's type.
func (p *parser) comparison(lhs field, currentUser bool) (*condition, error) {
	opToken := p.take()
	var op operator
	switch {
	case opToken.keyword("IN"):
		op = opIn
	case opToken.keyword("NOT"):
		if t := p.take(); !t.keyword("IN") {
			return nil, p.unexpected(t, "Expected IN after NOT.")
		}
		op = opNotIn
	case opToken.kind == tokOperator:
		op = operator(opToken.text)
	default:
		return nil, p.unexpected(opToken, "Expected an operator: IN, NOT IN, =, !=, <, <=, > or >=.")
	}
	switch {
	case op.matchesStrings() && lhs.numeric():
		return nil, p.invalid(opToken.pos, "%s is a number field: compare it with =, !=, <, <=, > or >=; %s matches strings.", lhs, op)
	case !op.matchesStrings() && !lhs.numeric():
		return nil, p.invalid(opToken.pos, "%s is a string field: match it with IN or NOT IN; %s compares numbers.", lhs, op)
	}
	rhs, err := p.value(lhs, op, currentUser)
	if err != nil {
		return nil, err
	}
	return &condition{lhs: lhs, currentUser: currentUser, op: op, rhs: rhs}, nil
}

// value := "(" literal ("," literal)* ")" | "(" $NAME ")" | $NAME | number | "(" number ")" | CurrentItem "." FIELD
func (p *parser) value(lhs field, op operator, currentUser bool) (value, error) {
	t := p.take()
	switch {
	case t.kind == tokPlaceholder:
		return p.placeholder(t, op)
	case t.kind == tokNumber:
		if op.matchesStrings() {
			return value{}, p.unexpected(t, fmt.Sprintf("%s takes double-quoted values in parentheses, such as (\"comedy\").", op))
		}
		return value{kind: valueNumber, number: t.num}, nil
	case t.keyword("CurrentItem"):
		return p.currentItem(t, lhs, op, currentUser)
	case t.kind != tokLParen:
		if op.matchesStrings() {
			return value{}, p.unexpected(t, fmt.Sprintf("Expected values in parentheses after %s, such as (\"comedy\"), a placeholder such as ($GENRE) or CurrentItem.FIELD.", op))
		}
		return value{}, p.unexpected(t, fmt.Sprintf("Expected a number, a placeholder such as $PRICE or CurrentItem.FIELD after %s.", op))
	}

	// Inside parentheses.
	first := p.take()
	var v value
	switch {
	case first.kind == tokPlaceholder:
		var err error
		if v, err = p.placeholder(first, op); err != nil {
			return value{}, err
		}
	case first.kind == tokNumber && !op.matchesStrings():
		v = value{kind: valueNumber, number: first.num}
	case first.kind == tokString && op.matchesStrings():
		v = value{kind: valueStrings}
		for s := first; ; {
			if s.text == "*" && lhs.def.Name != eventTypeField {
				return value{}, p.unexpected(s, `"*" (any event type) can only be used with EVENT_TYPE of Interactions or Action_Interactions.`)
			}
			v.strings = append(v.strings, s.text)
			if p.peek().kind != tokComma {
				break
			}
			p.take()
			if s = p.take(); s.kind != tokString {
				if s.kind == tokPlaceholder {
					return value{}, p.unexpected(s, "A placeholder must be the only value in its parentheses.")
				}
				return value{}, p.unexpected(s, "Expected a double-quoted value.")
			}
		}
	case op.matchesStrings():
		return value{}, p.unexpected(first, fmt.Sprintf("%s takes double-quoted values, such as (\"comedy\"), or a placeholder such as ($GENRE).", op))
	default:
		return value{}, p.unexpected(first, fmt.Sprintf("%s takes one number or placeholder, such as (20) or ($PRICE).", op))
	}
	if t := p.take(); t.kind != tokRParen {
		if v.kind != valueStrings && t.kind == tokComma {
			return value{}, p.unexpected(t, fmt.Sprintf("%s takes a single number or placeholder.", op))
		}
		return value{}, p.unexpected(t, `Expected "," or ")".`)
	}
	return v, nil
}

func (p *parser) placeholder(t token, op operator) (value, error) {
	switch {
	case op == opNotIn:
		return value{}, p.unexpected(t, "Placeholders cannot be used with the NOT IN operator; use IN in an expression with the opposite INCLUDE or EXCLUDE.")
	case len(t.text) > MaxPlaceholderName:
		return value{}, p.unexpected(t, fmt.Sprintf("A placeholder name has at most %d letters, digits or underscores.", MaxPlaceholderName))
	}
	return value{kind: valuePlaceholder, placeholder: t.text}, nil
}

// currentItem reads "." FIELD after CurrentItem: a field of the item the
// request names, for related-items recommendations.
func (p *parser) currentItem(t token, lhs field, op operator, currentUser bool) (value, error) {
	if currentUser || lhs.dataset != perch.Items {
		return value{}, p.unexpected(t, "CurrentItem can only be compared with Items fields in WHERE conditions, such as Items.PRICE < CurrentItem.PRICE.")
	}
	item, err := p.field(perch.Items, t)
	if err != nil {
		return value{}, err
	}
	switch {
	case op.matchesStrings() && item.numeric():
		return value{}, p.invalid(t.pos, "CurrentItem.%s is a number field, which %s cannot match; compare it with =, !=, <, <=, > or >=.", item.def.Name, op)
	case !op.matchesStrings() && !item.numeric():
		return value{}, p.invalid(t.pos, "CurrentItem.%s is a string field, which %s cannot compare; match it with IN or NOT IN.", item.def.Name, op)
	}
	return value{kind: valueCurrentItem, item: item}, nil
}

// Target is the kind of id the filter keeps or drops: "ItemID",
// "ActionID" or "UserID".
func (f *Filter) Target() string { return f.target }

// Placeholders are the filter's distinct placeholder names, without "$",
// sorted.
func (f *Filter) Placeholders() []string {
	var names []string
	f.eachCondition(func(_ *expression, c *condition) {
		if c.rhs.kind == valuePlaceholder && !slices.Contains(names, c.rhs.placeholder) {
			names = append(names, c.rhs.placeholder)
		}
	})
	slices.Sort(names)
	return names
}

// NeedsCurrentItem reports whether the filter reads the request's item
// (CurrentItem.FIELD).
func (f *Filter) NeedsCurrentItem() bool {
	needs := false
	f.eachCondition(func(_ *expression, c *condition) {
		needs = needs || c.rhs.kind == valueCurrentItem
	})
	return needs
}

// NeedsUser reports whether the filter reads the requesting user: the
// user's interactions in ItemID or ActionID expressions, or an IF
// CurrentUser condition.
func (f *Filter) NeedsUser() bool {
	needs := false
	f.eachCondition(func(_ *expression, c *condition) {
		needs = needs || c.currentUser || (c.lhs.interactions() && f.target != TargetUser)
	})
	return needs
}

// Fields are the distinct dataset fields the filter reads, such as
// "Items.GENRE", sorted; CurrentUser.AGE counts as Users.AGE and
// CurrentItem.PRICE as Items.PRICE.
func (f *Filter) Fields() []string {
	var names []string
	add := func(fd field) {
		if name := fd.String(); !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	f.eachCondition(func(_ *expression, c *condition) {
		add(c.lhs)
		if c.rhs.kind == valueCurrentItem {
			add(c.rhs.item)
		}
	})
	slices.Sort(names)
	return names
}

func (f *Filter) eachCondition(visit func(*expression, *condition)) {
	for _, e := range f.expressions {
		for _, group := range e.where {
			for _, c := range group {
				visit(e, c)
			}
		}
		for _, c := range e.when {
			visit(e, c)
		}
	}
}

// String is the filter in canonical form: keywords in upper case, datasets
// and fields as the schemas spell them, single spaces, numbers in Go's
// shortest form; Parse reads it back to the same filter (unless the
// spacing took it past MaxExpressionLength).
func (f *Filter) String() string {
	var b strings.Builder
	for i, e := range f.expressions {
		if i > 0 {
			b.WriteString(" | ")
		}
		if e.include {
			b.WriteString("INCLUDE ")
		} else {
			b.WriteString("EXCLUDE ")
		}
		b.WriteString(f.target)
		b.WriteString(" WHERE ")
		for j, group := range e.where {
			if j > 0 {
				b.WriteString(" OR ")
			}
			for k, c := range group {
				if k > 0 {
					b.WriteString(" AND ")
				}
				c.write(&b)
			}
		}
		for j, c := range e.when {
			if j == 0 {
				b.WriteString(" IF ")
			} else {
				b.WriteString(" AND ")
			}
			c.write(&b)
		}
	}
	return b.String()
}

func (c *condition) write(b *strings.Builder) {
	if c.currentUser {
		b.WriteString("CurrentUser." + c.lhs.def.Name)
	} else {
		b.WriteString(c.lhs.String())
	}
	b.WriteString(" " + string(c.op) + " ")
	switch c.rhs.kind {
	case valueStrings:
		quoted := make([]string, len(c.rhs.strings))
		for i, s := range c.rhs.strings {
			quoted[i] = quote(s)
		}
		b.WriteString("(" + strings.Join(quoted, ", ") + ")")
	case valueNumber:
		b.WriteString(formatNumber(c.rhs.number))
	case valuePlaceholder:
		if c.op.matchesStrings() {
			b.WriteString("($" + c.rhs.placeholder + ")")
		} else {
			b.WriteString("$" + c.rhs.placeholder)
		}
	case valueCurrentItem:
		b.WriteString("CurrentItem." + c.rhs.item.def.Name)
	}
}
