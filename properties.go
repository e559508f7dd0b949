package perch

// CheckProperties checks a record's properties string against the schema
// of a dataset of type t.
func (s *AvroSchema) CheckProperties(properties string, t DatasetType) error { panic("unimplemented") }
