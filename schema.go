package perch

// AvroSchema is a parsed dataset schema: a flat Avro record.
type AvroSchema struct {
	Name      string
	Namespace string
	Fields    []Field
}

// FieldType is the non-null Avro type of a field.
type FieldType string

const (
	TypeString  FieldType = "string"
	TypeInt     FieldType = "int"
	TypeLong    FieldType = "long"
	TypeFloat   FieldType = "float"
	TypeDouble  FieldType = "double"
	TypeBoolean FieldType = "boolean"
)

// Field is one column of a dataset.
type Field struct {
	Name        string    // as in the schema, e.g. NUMBER_OF_RATINGS
	Type        FieldType // the non-null type
	Nullable    bool      // a union with "null"
	Categorical bool
	Textual     bool
}

// ParseSchema parses and checks an Avro schema as CreateSchema does.
func ParseSchema(definition string) (*AvroSchema, error) { panic("unimplemented") }

// CheckDatasetType checks the schema's required and reserved fields for a
// dataset of type t (in a group of the given domain, "" for custom).
func (s *AvroSchema) CheckDatasetType(t DatasetType, domain string) error { panic("unimplemented") }
