package catalog

import (
	"context"

	"github.com/perchdev/perch"
)

// CreateSchema implements perch.Catalog.
func (c *Catalog) CreateSchema(ctx context.Context, in perch.CreateSchemaInput) (*perch.Schema, error) {
	if err := checkDomain(in.Domain); err != nil {
		return nil, err
	}
	avro, err := perch.ParseSchema(in.Definition)
	if err != nil {
		return nil, invalidInput(err)
	}
	now := c.stamp()
	s := &perch.Schema{ARN: c.scopeOf(ctx).SchemaARN(in.Name), Name: in.Name, Definition: in.Definition, Domain: in.Domain,
		Created: now, Updated: now}
	if err := c.rs.CreateSchema(ctx, s, c.maxSchemas); err != nil {
		return nil, stored(err, "store schema", s.ARN)
	}
	c.parsedMu.Lock()
	c.parsed[s.ARN] = parsedSchema{definition: s.Definition, avro: avro}
	c.parsedMu.Unlock()
	return s, nil
}

// DescribeSchema implements perch.Catalog.
func (c *Catalog) DescribeSchema(ctx context.Context, arn string) (*perch.Schema, error) {
	return get(ctx, c.scopeOf(ctx), arn, c.rs.Schema)
}

// ListSchemas implements perch.Catalog.
func (c *Catalog) ListSchemas(ctx context.Context, p perch.Page) ([]*perch.Schema, string, error) {
	list, err := c.rs.Schemas(ctx)
	if err != nil {
		return nil, "", err
	}
	return perch.Paginate(owned(list, schemaARN, c.scopeOf(ctx), all), schemaPosition, same, "schemas", p)
}

func schemaARN(s *perch.Schema) string { return s.ARN }

func schemaPosition(s *perch.Schema) perch.Position {
	return perch.Position{Created: s.Created, ARN: s.ARN}
}

// DeleteSchema implements perch.Catalog.
func (c *Catalog) DeleteSchema(ctx context.Context, arn string) error {
	if !c.scopeOf(ctx).Owns(arn) {
		return perch.NotFound(arn)
	}
	if err := c.rs.DeleteSchema(ctx, arn); err != nil {
		return stored(err, "delete schema", arn)
	}
	c.parsedMu.Lock()
	delete(c.parsed, arn)
	c.parsedMu.Unlock()
	return nil
}
