package catalog

import (
	"context"
	"fmt"

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
	scope := c.scopeOf(ctx)
	arn := scope.SchemaARN(in.Name)

	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.schemas[arn]; ok {
		return nil, alreadyExists(arn)
	}
	if err := perch.CheckQuota("schema", in.Name, len(inScope(c.schemas, scope, all)), c.maxSchemas); err != nil {
		return nil, err
	}
	now := perch.TimestampOf(c.now())
	s := &perch.Schema{ARN: arn, Name: in.Name, Definition: in.Definition, Domain: in.Domain, Created: now, Updated: now}
	if err := c.rs.PutSchema(ctx, s); err != nil {
		return nil, stored(err, "store schema", arn)
	}
	c.schemas[arn] = s
	c.parsed[arn] = parsedSchema{avro: avro}
	return cloneSchema(s), nil
}

// DescribeSchema implements perch.Catalog.
func (c *Catalog) DescribeSchema(ctx context.Context, arn string) (*perch.Schema, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	s, err := lookup(c.schemas, c.scopeOf(ctx), arn)
	if err != nil {
		return nil, err
	}
	return cloneSchema(s), nil
}

// ListSchemas implements perch.Catalog.
func (c *Catalog) ListSchemas(ctx context.Context, p perch.Page) ([]*perch.Schema, string, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return perch.Paginate(inScope(c.schemas, c.scopeOf(ctx), all), schemaPosition, cloneSchema, "schemas", p)
}

func schemaPosition(s *perch.Schema) perch.Position {
	return perch.Position{Created: s.Created, ARN: s.ARN}
}

// DeleteSchema implements perch.Catalog.
func (c *Catalog) DeleteSchema(ctx context.Context, arn string) error {
	scope := c.scopeOf(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := lookup(c.schemas, scope, arn); err != nil {
		return err
	}
	if err := perch.CheckSchemaUnused(arn, inScope(c.datasets, scope, all)); err != nil {
		return err
	}
	if err := c.rs.DeleteSchema(ctx, arn); err != nil {
		return stored(err, "delete schema", arn)
	}
	delete(c.schemas, arn)
	delete(c.parsed, arn)
	return nil
}

// schemaOf returns the parsed form of the schema arn, which the caller has
// found in the catalog.
func (c *Catalog) schemaOf(arn string) (*perch.AvroSchema, error) {
	p, ok := c.parsed[arn]
	if !ok {
		return nil, fmt.Errorf("catalog: schema %s is missing", arn)
	}
	if p.err != nil {
		return nil, perch.Errorf(perch.EInvalidInput, "Schema %s is no longer valid: %s", arn, p.err)
	}
	return p.avro, nil
}
