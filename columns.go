package perch

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Cell is one value of a record in Personalize's bulk data format: its
// text as bulk CSV writes it (epoch seconds for timestamps, "|" between the
// values of a multi-valued field), or Null.
type Cell struct {
	Text string
	Null bool
}

// MaxIDLength is the longest user, item or action id bulk data may hold,
// as the events API allows.
const MaxIDLength = 256

// Columns converts the records of one dataset type to and from rows of
// cells, one per field of the dataset's schema, in the schema's order.
// Fields that a record carries as its own members (USER_ID, TIMESTAMP,
// ...) come from those; every other field comes from the record's
// properties under its camelCase key (NUMBER_OF_RATINGS from
// numberOfRatings).
type Columns struct {
	Fields []Field
	t      DatasetType
	from   []member
	keys   map[string]int // properties key -> field index
}

// member says where a field's value lives in a record.
type member int

const (
	fromProperties member = iota
	fromUserID
	fromItemID // the member, else properties' itemId (older clients put it there)
	fromActionID
	fromEntityID
	fromTime
	fromEventType
	fromEventValue // the member, else properties' eventValue
	fromImpression
	fromRecommendationID
	fromAttributionSource
)

// members maps, per dataset type, the fields records carry as members.
var members = map[DatasetType]map[string]member{
	Interactions: {
		"USER_ID": fromUserID, "ITEM_ID": fromItemID, "TIMESTAMP": fromTime, "EVENT_TYPE": fromEventType,
		"EVENT_VALUE": fromEventValue, "IMPRESSION": fromImpression, "RECOMMENDATION_ID": fromRecommendationID,
		"EVENT_ATTRIBUTION_SOURCE": fromAttributionSource,
	},
	ActionInteractions: {
		"USER_ID": fromUserID, "ACTION_ID": fromActionID, "TIMESTAMP": fromTime, "EVENT_TYPE": fromEventType,
		"IMPRESSION": fromImpression, "RECOMMENDATION_ID": fromRecommendationID,
	},
	Items:   {"ITEM_ID": fromEntityID},
	Users:   {"USER_ID": fromEntityID},
	Actions: {"ACTION_ID": fromEntityID},
}

// Columns returns the conversion between rows and records of a dataset of
// type t with this schema.
func (s *AvroSchema) Columns(t DatasetType) *Columns {
	c := &Columns{Fields: s.Fields, t: t, from: make([]member, len(s.Fields)), keys: make(map[string]int, len(s.Fields))}
	for i, f := range s.Fields {
		c.from[i] = members[t][f.Name]
		c.keys[CamelCase(f.Name)] = i
	}
	return c
}

// Names returns the field names, the header of a bulk CSV file.
func (c *Columns) Names() []string {
	names := make([]string, len(c.Fields))
	for i, f := range c.Fields {
		names[i] = f.Name
	}
	return names
}

// EventRow fills row with the cells of an event and returns it with the
// name of the first non-nullable field the event has no value for ("" when
// it has them all: such a row could not be imported).
func (c *Columns) EventRow(e *Event, row []Cell) ([]Cell, string) {
	row = c.startRow(row, e.Properties)
	for i := range c.Fields {
		switch c.from[i] {
		case fromUserID:
			row[i] = text(e.UserID)
		case fromItemID:
			if e.ItemID != "" {
				row[i] = text(e.ItemID)
			}
		case fromTime:
			row[i] = text(strconv.FormatInt(e.SentAt.Seconds(), 10))
		case fromEventType:
			row[i] = text(e.EventType)
		case fromEventValue:
			if e.EventValue != nil {
				row[i] = text(formatFloat(*e.EventValue, c.Fields[i].Type))
			}
		case fromImpression:
			row[i] = text(strings.Join(e.Impression, "|"))
		case fromRecommendationID:
			row[i] = text(e.RecommendationID)
		case fromAttributionSource:
			if e.MetricAttribution != nil {
				row[i] = text(e.MetricAttribution.EventAttributionSource)
			}
		}
	}
	return row, c.missing(row)
}

// ActionInteractionRow is EventRow for an action interaction.
func (c *Columns) ActionInteractionRow(a *ActionInteraction, row []Cell) ([]Cell, string) {
	row = c.startRow(row, a.Properties)
	for i := range c.Fields {
		switch c.from[i] {
		case fromUserID:
			row[i] = text(a.UserID)
		case fromActionID:
			row[i] = text(a.ActionID)
		case fromTime:
			row[i] = text(strconv.FormatInt(a.Timestamp.Seconds(), 10))
		case fromEventType:
			row[i] = text(a.EventType)
		case fromImpression:
			row[i] = text(strings.Join(a.Impression, "|"))
		case fromRecommendationID:
			row[i] = text(a.RecommendationID)
		}
	}
	return row, c.missing(row)
}

// EntityRow is EventRow for an item, user or action.
func (c *Columns) EntityRow(e *Entity, row []Cell) ([]Cell, string) {
	row = c.startRow(row, e.Properties)
	for i := range c.Fields {
		if c.from[i] == fromEntityID {
			row[i] = text(e.ID)
		}
	}
	return row, c.missing(row)
}

// text is the cell of a member's value; an empty member is absent.
func text(s string) Cell {
	if s == "" {
		return Cell{Null: true}
	}
	return Cell{Text: s}
}

// startRow returns row sized for the fields, every cell null but those
// the properties give.
func (c *Columns) startRow(row []Cell, properties string) []Cell {
	row = append(row[:0], make([]Cell, len(c.Fields))...)
	for i := range row {
		row[i].Null = true
	}
	r := objectReader{text: properties}
	if !r.open() {
		return row
	}
	for {
		rawKey, value, ok := r.next()
		if !ok {
			break
		}
		if i, ok := c.keys[unquote(rawKey)]; ok {
			row[i] = cellOf(&c.Fields[i], value)
		}
	}
	if !r.valid() { // not from CheckProperties: no cell of it counts
		for i := range row {
			row[i] = Cell{Null: true}
		}
	}
	return row
}

func (c *Columns) missing(row []Cell) string {
	for i, f := range c.Fields {
		if row[i].Null && !f.Nullable {
			return f.Name
		}
	}
	return ""
}

// cellOf renders a property's value, raw JSON text, in the canonical text
// of the field's type. A value that does not fit the type (the dataset's
// schema may have changed since it was stored) is null.
func cellOf(f *Field, value string) Cell {
	if value == "null" || value[0] == '{' || value[0] == '[' {
		return Cell{Null: true}
	}
	switch f.Type {
	case TypeString:
		return Cell{Text: scalarText(value)}
	case TypeBoolean:
		if s := scalarText(value); s == "true" || s == "false" {
			return Cell{Text: s}
		}
		return Cell{Null: true}
	}
	num, ok := numberText(value)
	if !ok {
		return Cell{Null: true}
	}
	if f.Type == TypeInt || f.Type == TypeLong {
		if i, err := strconv.ParseInt(num, 10, 64); err == nil {
			return Cell{Text: strconv.FormatInt(i, 10)}
		}
		if v, err := strconv.ParseFloat(num, 64); err == nil && v == math.Trunc(v) && math.Abs(v) < math.MaxInt64 {
			return Cell{Text: strconv.FormatInt(int64(v), 10)}
		}
		return Cell{Null: true}
	}
	v, err := strconv.ParseFloat(num, bitsOf(f.Type))
	if err != nil {
		return Cell{Null: true}
	}
	return Cell{Text: formatFloat(v, f.Type)}
}

func bitsOf(t FieldType) int {
	if t == TypeFloat || t == TypeInt {
		return 32
	}
	return 64
}

// formatFloat writes v in plain decimal, as short as reads back the same.
func formatFloat(v float64, t FieldType) string {
	return strconv.FormatFloat(v, 'f', -1, bitsOf(t))
}

// ColumnError is a cell that does not fit its field.
type ColumnError struct {
	Column string
	Reason string
}

func (e *ColumnError) Error() string { return "column " + e.Column + ": " + e.Reason }

// parsedRow is a row checked against the schema: each cell's value as JSON
// text ("" for null), ready to become a member or a property.
type parsedRow struct {
	c      *Columns
	values []string
	cells  []Cell
}

// parse checks every cell of row against its field.
func (c *Columns) parse(row []Cell) (*parsedRow, error) {
	if len(row) != len(c.Fields) {
		return nil, fmt.Errorf("perch: row of %d cells for %d fields", len(row), len(c.Fields))
	}
	p := &parsedRow{c: c, values: make([]string, len(row)), cells: row}
	for i := range c.Fields {
		v, err := c.value(i, row[i])
		if err != nil {
			return nil, err
		}
		p.values[i] = v
	}
	return p, nil
}

// value checks one cell and returns its value as JSON text, "" for null.
func (c *Columns) value(i int, cell Cell) (string, error) {
	f := &c.Fields[i]
	fail := func(format string, args ...any) error {
		return &ColumnError{Column: f.Name, Reason: fmt.Sprintf(format, args...)}
	}
	if cell.Null {
		if !f.Nullable {
			return "", fail("the value is empty, but %s is not nullable", f.Name)
		}
		return "", nil
	}
	s := cell.Text
	switch f.Type {
	case TypeString:
		if !utf8.ValidString(s) {
			return "", fail("the value is not valid UTF-8")
		}
		switch m := c.from[i]; {
		case m == fromUserID || m == fromItemID || m == fromActionID || m == fromEntityID:
			if n := utf8.RuneCountInString(s); n > MaxIDLength || n == 0 {
				return "", fail("an id must have 1 to %d characters, found %d", MaxIDLength, n)
			}
		case f.Categorical:
			if n := utf8.RuneCountInString(s); n > MaxCategoricalLength {
				return "", fail("a categorical value may have at most %d characters, | separators included; found %d",
					MaxCategoricalLength, n)
			}
		}
		b, _ := json.Marshal(s)
		return string(b), nil
	case TypeBoolean:
		if s != "true" && s != "false" {
			return "", fail("%s must be true or false, found %s", f.Name, quoteCell(s))
		}
		return s, nil
	case TypeInt, TypeLong:
		n, err := strconv.ParseInt(s, 10, bitsOf(f.Type))
		if err != nil {
			return "", fail("%s must be %s, found %s", f.Name, typeName(f.Type), quoteCell(s))
		}
		if c.from[i] == fromTime {
			if _, err := TimestampFromSeconds(float64(n)); err != nil {
				return "", fail("%s must be epoch seconds between -%d and %d, found %s",
					f.Name, MaxTimestampSeconds, MaxTimestampSeconds, s)
			}
		}
		return strconv.FormatInt(n, 10), nil
	default:
		v, err := strconv.ParseFloat(s, bitsOf(f.Type))
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return "", fail("%s must be a finite %s, found %s", f.Name, f.Type, quoteCell(s))
		}
		return formatFloat(v, f.Type), nil
	}
}

func quoteCell(s string) string {
	const most = 60
	if short := truncate(s, most); short != s {
		s = short + "..."
	}
	return strconv.Quote(s)
}

// member returns the text of the field that member m carries, "" when it
// is null or the schema has no such field.
func (p *parsedRow) member(m member) (string, bool) {
	for i, from := range p.c.from {
		if from == m && p.values[i] != "" {
			return p.cells[i].Text, true
		}
	}
	return "", false
}

// properties returns the fields carried in properties as a JSON object,
// "" when every one of them is null.
func (p *parsedRow) properties() string {
	var b strings.Builder
	for i, from := range p.c.from {
		if from != fromProperties || p.values[i] == "" {
			continue
		}
		if b.Len() == 0 {
			b.WriteByte('{')
		} else {
			b.WriteByte(',')
		}
		key, _ := json.Marshal(CamelCase(p.c.Fields[i].Name))
		b.Write(key)
		b.WriteByte(':')
		b.WriteString(p.values[i])
	}
	if b.Len() == 0 {
		return ""
	}
	b.WriteByte('}')
	return b.String()
}

func (p *parsedRow) time() Timestamp {
	s, _ := p.member(fromTime)
	n, _ := strconv.ParseInt(s, 10, 64)
	return Timestamp(n * 1000)
}

func (p *parsedRow) impression() []string {
	if s, ok := p.member(fromImpression); ok {
		return strings.Split(s, "|")
	}
	return nil
}

// Event converts a row of an Interactions dataset, checking every cell
// against its field; errors are *ColumnError values.
func (c *Columns) Event(row []Cell) (Event, error) {
	p, err := c.parse(row)
	if err != nil {
		return Event{}, err
	}
	e := Event{SentAt: p.time(), Impression: p.impression(), Properties: p.properties()}
	e.UserID, _ = p.member(fromUserID)
	e.ItemID, _ = p.member(fromItemID)
	e.EventType, _ = p.member(fromEventType)
	e.RecommendationID, _ = p.member(fromRecommendationID)
	if s, ok := p.member(fromEventValue); ok {
		v, _ := strconv.ParseFloat(s, 64)
		e.EventValue = &v
	}
	if s, ok := p.member(fromAttributionSource); ok {
		e.MetricAttribution = &MetricAttribution{EventAttributionSource: s}
	}
	return e, nil
}

// ActionInteraction converts a row of an Action interactions dataset.
func (c *Columns) ActionInteraction(row []Cell) (ActionInteraction, error) {
	p, err := c.parse(row)
	if err != nil {
		return ActionInteraction{}, err
	}
	a := ActionInteraction{Timestamp: p.time(), Impression: p.impression(), Properties: p.properties()}
	a.UserID, _ = p.member(fromUserID)
	a.ActionID, _ = p.member(fromActionID)
	a.EventType, _ = p.member(fromEventType)
	a.RecommendationID, _ = p.member(fromRecommendationID)
	return a, nil
}

// Entity converts a row of an Items, Users or Actions dataset. Updated is
// left for the caller to set.
func (c *Columns) Entity(row []Cell) (Entity, error) {
	p, err := c.parse(row)
	if err != nil {
		return Entity{}, err
	}
	e := Entity{Properties: p.properties()}
	e.ID, _ = p.member(fromEntityID)
	return e, nil
}
