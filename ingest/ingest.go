// Package ingest is the write path of the events API: it resolves where a
// request's records go, checks them against the dataset's schema and hands
// them to the store as one all-or-nothing batch.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/perchdev/perch"
)

// Service implements perch.Ingest.
type Service struct {
	catalog   perch.Catalog
	store     perch.Store
	now       func() time.Time
	committed []func(*perch.Batch)
}

var _ perch.Ingest = (*Service)(nil)

// New returns the write path over a catalog and a store.
func New(catalog perch.Catalog, store perch.Store) *Service {
	return &Service{catalog: catalog, store: store, now: time.Now}
}

// AfterCommit has fn called with each batch of the events API once the
// store has committed it, on the request's goroutine before its answer:
// fn must return at once and must not change the batch. It is for
// followers of what arrives (figures kept as records come in); call it
// before the service takes requests.
func (s *Service) AfterCommit(fn func(*perch.Batch)) { s.committed = append(s.committed, fn) }

// commit commits b and tells the AfterCommit followers.
func (s *Service) commit(ctx context.Context, b *perch.Batch) error {
	if err := s.store.Commit(ctx, b); err != nil {
		return err
	}
	for _, fn := range s.committed {
		fn(b)
	}
	return nil
}

// PutEvents implements perch.Ingest.
func (s *Service) PutEvents(ctx context.Context, trackingID string, events []perch.Event) error {
	ds, schema, err := s.catalog.Target(ctx, trackingID)
	if err != nil {
		return err
	}
	if ds.Type != perch.Interactions {
		return perch.Errorf(perch.EInvalidInput,
			"Tracking ID %s belongs to the %s dataset %s; PutEvents needs an event tracker's tracking ID (use PutActionInteractions for action interactions)",
			trackingID, ds.Type, ds.ARN)
	}
	for i := range events {
		e := &events[i]
		if err := checkProperties(schema, e.Properties, perch.Interactions, "eventList", i); err != nil {
			return err
		}
		if e.EventID == "" {
			e.EventID = uuid.NewString()
		}
	}
	return s.commit(ctx, &perch.Batch{Dataset: ds, Events: events})
}

// PutActionInteractions implements perch.Ingest.
func (s *Service) PutActionInteractions(ctx context.Context, trackingID string, interactions []perch.ActionInteraction) error {
	ds, schema, err := s.catalog.Target(ctx, trackingID)
	if err != nil {
		return err
	}
	if ds.Type != perch.ActionInteractions {
		return perch.Errorf(perch.EInvalidInput,
			"Tracking ID %s is an event tracker's; PutActionInteractions needs the trackingId of an Action interactions dataset (DescribeDataset shows it)",
			trackingID)
	}
	for i := range interactions {
		a := &interactions[i]
		if err := checkProperties(schema, a.Properties, perch.ActionInteractions, "actionInteractions", i); err != nil {
			return err
		}
		if a.EventID == "" {
			a.EventID = uuid.NewString()
		}
	}
	return s.commit(ctx, &perch.Batch{Dataset: ds, ActionInteractions: interactions})
}

// listNames are the request members that carry each kind of entity, for
// error locations.
var listNames = map[perch.DatasetType]string{
	perch.Items:   "items",
	perch.Users:   "users",
	perch.Actions: "actions",
}

// operationNames name the call that writes each kind of entity.
var operationNames = map[perch.DatasetType]string{
	perch.Items:   "PutItems",
	perch.Users:   "PutUsers",
	perch.Actions: "PutActions",
}

// PutEntities implements perch.Ingest.
func (s *Service) PutEntities(ctx context.Context, datasetARN string, t perch.DatasetType, entities []perch.Entity) error {
	list, ok := listNames[t]
	if !ok {
		return fmt.Errorf("ingest: PutEntities of dataset type %s", t)
	}
	ds, schema, err := s.catalog.DatasetSchema(ctx, datasetARN)
	if err != nil {
		return err
	}
	if ds.Type != t {
		return perch.Errorf(perch.EInvalidInput,
			"Dataset %s is %s dataset; %s needs the ARN of %s dataset",
			datasetARN, withArticle(typeName(ds.Type)), operationNames[t], withArticle(typeName(t)))
	}
	now := perch.TimestampOf(s.now())
	for i := range entities {
		if err := checkProperties(schema, entities[i].Properties, t, list, i); err != nil {
			return err
		}
		entities[i].Updated = now
	}
	return s.commit(ctx, &perch.Batch{Dataset: ds, Entities: entities})
}

// checkProperties checks one record's properties and names the record in
// the error, the way validation errors name members.
func checkProperties(schema *perch.AvroSchema, properties string, t perch.DatasetType, list string, i int) error {
	if properties == "" {
		return nil
	}
	err := schema.CheckProperties(properties, t)
	var refused *perch.PropertiesError
	if !errors.As(err, &refused) {
		return err
	}
	where := fmt.Sprintf("%s.%d.member.properties", list, i+1)
	e := perch.Errorf(perch.EInvalidInput, "Invalid properties at '%s': %s", where, refused.Reason)
	if refused.NotJSON {
		// AWS's wording first, so that clients matching on it still match.
		e = perch.Errorf(perch.EInvalidInput, "Error parsing properties json at '%s': %s", where, refused.Reason)
	}
	e.Member = where
	return e
}

// typeName is the dataset type as the documentation writes it.
func typeName(t perch.DatasetType) string {
	switch t {
	case perch.Interactions:
		return "Interactions"
	case perch.Items:
		return "Items"
	case perch.Users:
		return "Users"
	case perch.Actions:
		return "Actions"
	case perch.ActionInteractions:
		return "Action interactions"
	}
	return string(t)
}

// withArticle puts "a" or "an" before a dataset type's name.
func withArticle(name string) string {
	if strings.ContainsRune("AEIO", rune(name[0])) { // but "a Users dataset"
		return "an " + name
	}
	return "a " + name
}
