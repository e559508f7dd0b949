package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/perchdev/perch"
)

// The demo resources --quickstart makes sure of.
const (
	demoGroup   = "perch-demo"
	demoTracker = "perch-demo-tracker"
)

var demoSchemas = []struct {
	name       string
	datasetTyp perch.DatasetType
	definition string
}{
	{"perch-demo-interactions", perch.Interactions, `{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[` +
		`{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"TIMESTAMP","type":"long"},` +
		`{"name":"EVENT_TYPE","type":"string"},{"name":"EVENT_VALUE","type":["null","float"]},` +
		`{"name":"IMPRESSION","type":["null","string"]},{"name":"RECOMMENDATION_ID","type":["null","string"]},` +
		`{"name":"DEVICE","type":["null","string"],"categorical":true},{"name":"NUMBER_OF_RATINGS","type":["null","int"]}],"version":"1.0"}`},
	{"perch-demo-items", perch.Items, `{"type":"record","name":"Items","namespace":"com.amazonaws.personalize.schema","fields":[` +
		`{"name":"ITEM_ID","type":"string"},{"name":"GENRES","type":["null","string"],"categorical":true},` +
		`{"name":"PRICE","type":["null","float"]},{"name":"CREATION_TIMESTAMP","type":["null","long"]},` +
		`{"name":"DESCRIPTION","type":["null","string"],"textual":true}],"version":"1.0"}`},
	{"perch-demo-users", perch.Users, `{"type":"record","name":"Users","namespace":"com.amazonaws.personalize.schema","fields":[` +
		`{"name":"USER_ID","type":"string"},{"name":"AGE","type":["null","int"]},` +
		`{"name":"MEMBERSHIP","type":["null","string"],"categorical":true}],"version":"1.0"}`},
}

// quickstart makes sure the demo dataset group, its Interactions, Items and
// Users datasets and its event tracker exist, creating what is missing, and
// prints how to send events to them.
func quickstart(ctx context.Context, cat perch.Catalog, endpoint, region, credentialsHint string, out io.Writer) error {
	scope := perch.Scope{Region: region, Account: perch.AccountFrom(ctx)}
	groupARN := scope.DatasetGroupARN(demoGroup)
	if _, err := cat.DescribeDatasetGroup(ctx, groupARN); notFound(err) {
		if _, err := cat.CreateDatasetGroup(ctx, perch.CreateDatasetGroupInput{Name: demoGroup}); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}

	datasets := map[perch.DatasetType]string{}
	for _, s := range demoSchemas {
		schemaARN := scope.SchemaARN(s.name)
		if _, err := cat.DescribeSchema(ctx, schemaARN); notFound(err) {
			if _, err := cat.CreateSchema(ctx, perch.CreateSchemaInput{Name: s.name, Definition: s.definition}); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
		datasetARN := scope.DatasetARN(demoGroup, s.datasetTyp)
		if _, err := cat.DescribeDataset(ctx, datasetARN); notFound(err) {
			if _, err := cat.CreateDataset(ctx, perch.CreateDatasetInput{
				Name: s.name, SchemaARN: schemaARN, GroupARN: groupARN, Type: string(s.datasetTyp),
			}); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
		datasets[s.datasetTyp] = datasetARN
	}

	var tracker *perch.EventTracker
	trackers, _, err := cat.ListEventTrackers(ctx, groupARN, perch.Page{})
	if err != nil {
		return err
	}
	if len(trackers) > 0 {
		tracker, err = cat.DescribeEventTracker(ctx, trackers[0].ARN)
	} else {
		tracker, err = cat.CreateEventTracker(ctx, perch.CreateEventTrackerInput{Name: demoTracker, GroupARN: groupARN})
	}
	if err != nil {
		return err
	}

	fmt.Fprintf(out, `perch quickstart: the demo dataset group is ready.

  endpoint              %s
  dataset group         %s
  interactions dataset  %s
  items dataset         %s
  users dataset         %s
  event tracker         %s
  trackingId            %s

Send an event (%s; the region is %s):

  aws personalize-events put-events --endpoint-url %s --region %s \
    --tracking-id %s --user-id user-1 --session-id session-1 \
    --event-list '[{"eventId":"event-1","eventType":"click","itemId":"item-1","sentAt":1700000000,"properties":"{\"device\":\"phone\"}"}]'

Read it back:

  perch records %s --endpoint %s

`, endpoint, groupARN, datasets[perch.Interactions], datasets[perch.Items], datasets[perch.Users],
		tracker.ARN, tracker.TrackingID, credentialsHint, region,
		endpoint, region, tracker.TrackingID,
		datasets[perch.Interactions], endpoint)
	return nil
}

func notFound(err error) bool {
	var e *perch.Error
	return errors.As(err, &e) && e.Code == perch.EResourceNotFound
}
