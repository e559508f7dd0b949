package awsapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/personalize"
	ptypes "github.com/aws/aws-sdk-go-v2/service/personalize/types"
	"github.com/aws/aws-sdk-go-v2/service/personalizeevents"
	etypes "github.com/aws/aws-sdk-go-v2/service/personalizeevents/types"

	"github.com/perchdev/perch/catalog"
)

var (
	uuidPattern       = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	trackerARNPattern = regexp.MustCompile(`^arn:aws:personalize:us-west-2:123456789012:event-tracker/[0-9a-f]{8}$`)
)

// recent checks that t is a creation time stamped during the test.
func recent(t *testing.T, what string, ts *time.Time) {
	t.Helper()
	if ts == nil || time.Since(*ts) > time.Minute || time.Until(*ts) > time.Second {
		t.Errorf("%s = %v, want a time within the last minute", what, ts)
	}
}

func TestSchemaOperations(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()

	created, err := e.cp.CreateSchema(ctx, &personalize.CreateSchemaInput{Name: aws.String("items-v1"), Schema: aws.String(itemsSchema)})
	if err != nil {
		t.Fatal(err)
	}
	arn := "arn:aws:personalize:us-west-2:123456789012:schema/items-v1"
	if aws.ToString(created.SchemaArn) != arn {
		t.Errorf("schemaArn = %s, want %s", aws.ToString(created.SchemaArn), arn)
	}
	desc, err := e.cp.DescribeSchema(ctx, &personalize.DescribeSchemaInput{SchemaArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	s := desc.Schema
	if aws.ToString(s.Name) != "items-v1" || aws.ToString(s.SchemaArn) != arn || aws.ToString(s.Schema) != itemsSchema || s.Domain != "" {
		t.Errorf("DescribeSchema = %+v", s)
	}
	recent(t, "creationDateTime", s.CreationDateTime)
	if !reflect.DeepEqual(s.CreationDateTime, s.LastUpdatedDateTime) {
		t.Errorf("lastUpdatedDateTime %v differs from creationDateTime %v", s.LastUpdatedDateTime, s.CreationDateTime)
	}

	// A domain schema carries its domain and must have the domain's fields.
	ecommerce := `{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[
		{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"TIMESTAMP","type":"long"},
		{"name":"EVENT_TYPE","type":"string"}],"version":"1.0"}`
	if _, err := e.cp.CreateSchema(ctx, &personalize.CreateSchemaInput{
		Name: aws.String("shop-interactions"), Schema: aws.String(ecommerce), Domain: ptypes.DomainEcommerce,
	}); err != nil {
		t.Fatalf("CreateSchema with domain: %v", err)
	}
	list, err := e.cp.ListSchemas(ctx, &personalize.ListSchemasInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Schemas) != 2 || aws.ToString(list.Schemas[0].Name) != "items-v1" ||
		list.Schemas[1].Domain != ptypes.DomainEcommerce || list.NextToken != nil {
		t.Errorf("ListSchemas = %+v", list)
	}

	_, err = e.cp.CreateSchema(ctx, &personalize.CreateSchemaInput{Name: aws.String("items-v1"), Schema: aws.String(itemsSchema)})
	wantAPIError(t, err, "ResourceAlreadyExistsException", http.StatusBadRequest, arn)
	var exists *ptypes.ResourceAlreadyExistsException
	if !errors.As(err, &exists) {
		t.Errorf("the SDK did not map the error to its ResourceAlreadyExistsException type: %T", err)
	}

	for name, bad := range map[string]struct{ schema, message string }{
		"not JSON":     {`{"type": "record",`, "schema is not valid JSON"},
		"nested":       {`{"type":"record","name":"Items","fields":[{"name":"ITEM_ID","type":"string"},{"name":"TAGS","type":{"type":"array","items":"string"}}]}`, "TAGS"},
		"map type":     {`{"type":"record","name":"Items","fields":[{"name":"ITEM_ID","type":{"type":"map","values":"string"}}]}`, "ITEM_ID"},
		"not a record": {`{"type":"enum","name":"E","symbols":["A"]}`, `"type": "record"`},
		"colliding":    {`{"type":"record","name":"Items","fields":[{"name":"ITEM_ID","type":"string"},{"name":"GENRES_1","type":"string"},{"name":"GENRES1","type":"string"}]}`, "collide"},
		"bytes":        {`{"type":"record","name":"Items","fields":[{"name":"ITEM_ID","type":"bytes"}]}`, "bytes"},
	} {
		_, err := e.cp.CreateSchema(ctx, &personalize.CreateSchemaInput{Name: aws.String("bad"), Schema: aws.String(bad.schema)})
		t.Run(name, func(t *testing.T) { wantAPIError(t, err, "InvalidInputException", http.StatusBadRequest, bad.message) })
	}

	// A schema in use cannot be deleted.
	g, err := e.cp.CreateDatasetGroup(ctx, &personalize.CreateDatasetGroupInput{Name: aws.String("g")})
	if err != nil {
		t.Fatal(err)
	}
	ds, err := e.cp.CreateDataset(ctx, &personalize.CreateDatasetInput{
		Name: aws.String("items"), DatasetGroupArn: g.DatasetGroupArn, SchemaArn: aws.String(arn), DatasetType: aws.String("ITEMS"),
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.cp.DeleteSchema(ctx, &personalize.DeleteSchemaInput{SchemaArn: aws.String(arn)})
	wantAPIError(t, err, "ResourceInUseException", http.StatusBadRequest, aws.ToString(ds.DatasetArn))
	if _, err := e.cp.DeleteDataset(ctx, &personalize.DeleteDatasetInput{DatasetArn: ds.DatasetArn}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.cp.DeleteSchema(ctx, &personalize.DeleteSchemaInput{SchemaArn: aws.String(arn)}); err != nil {
		t.Fatalf("DeleteSchema once unused: %v", err)
	}
	_, err = e.cp.DescribeSchema(ctx, &personalize.DescribeSchemaInput{SchemaArn: aws.String(arn)})
	wantAPIError(t, err, "ResourceNotFoundException", http.StatusBadRequest, arn)
	_, err = e.cp.DeleteSchema(ctx, &personalize.DeleteSchemaInput{SchemaArn: aws.String(arn)})
	wantAPIError(t, err, "ResourceNotFoundException", http.StatusBadRequest, arn)
}

func TestSchemaQuota(t *testing.T) {
	e := newEnv(t, func(o *catalog.Options) { o.MaxSchemas = 2 })
	ctx := context.Background()
	for i := range 2 {
		if _, err := e.cp.CreateSchema(ctx, &personalize.CreateSchemaInput{Name: aws.String(fmt.Sprint("s", i)), Schema: aws.String(usersSchema)}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := e.cp.CreateSchema(ctx, &personalize.CreateSchemaInput{Name: aws.String("s2"), Schema: aws.String(usersSchema)})
	wantAPIError(t, err, "LimitExceededException", http.StatusBadRequest)
	var limit *ptypes.LimitExceededException
	if !errors.As(err, &limit) {
		t.Errorf("the SDK did not map the error to its LimitExceededException type: %T", err)
	}
}

func TestDatasetGroupOperations(t *testing.T) {
	e := newEnv(t, func(o *catalog.Options) { o.MaxDatasetGroups = 2 })
	ctx := context.Background()

	role := "arn:aws:iam::123456789012:role/personalize"
	out, err := e.cp.CreateDatasetGroup(ctx, &personalize.CreateDatasetGroupInput{
		Name: aws.String("shop"), RoleArn: aws.String(role), Domain: ptypes.DomainEcommerce,
		Tags: []ptypes.Tag{{TagKey: aws.String("team"), TagValue: aws.String("growth")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	arn := "arn:aws:personalize:us-west-2:123456789012:dataset-group/shop"
	if aws.ToString(out.DatasetGroupArn) != arn || out.Domain != ptypes.DomainEcommerce {
		t.Errorf("CreateDatasetGroup = %+v", out)
	}
	desc, err := e.cp.DescribeDatasetGroup(ctx, &personalize.DescribeDatasetGroupInput{DatasetGroupArn: out.DatasetGroupArn})
	if err != nil {
		t.Fatal(err)
	}
	g := desc.DatasetGroup
	if aws.ToString(g.Name) != "shop" || aws.ToString(g.DatasetGroupArn) != arn || aws.ToString(g.Status) != "ACTIVE" ||
		aws.ToString(g.RoleArn) != role || g.Domain != ptypes.DomainEcommerce || g.FailureReason != nil {
		t.Errorf("DescribeDatasetGroup = %+v", g)
	}
	recent(t, "creationDateTime", g.CreationDateTime)

	custom, err := e.cp.CreateDatasetGroup(ctx, &personalize.CreateDatasetGroupInput{Name: aws.String("custom")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.cp.CreateDatasetGroup(ctx, &personalize.CreateDatasetGroupInput{Name: aws.String("shop")})
	wantAPIError(t, err, "ResourceAlreadyExistsException", http.StatusBadRequest, arn)
	_, err = e.cp.CreateDatasetGroup(ctx, &personalize.CreateDatasetGroupInput{Name: aws.String("third")})
	wantAPIError(t, err, "LimitExceededException", http.StatusBadRequest, "third")

	list, err := e.cp.ListDatasetGroups(ctx, &personalize.ListDatasetGroupsInput{})
	if err != nil {
		t.Fatal(err)
	}
	groups := list.DatasetGroups
	if len(groups) == 2 && aws.ToString(groups[0].Name) == "custom" &&
		aws.ToTime(groups[0].CreationDateTime).Equal(aws.ToTime(groups[1].CreationDateTime)) {
		// Created in the same millisecond, the two are listed by ARN.
		groups = []ptypes.DatasetGroupSummary{groups[1], groups[0]}
	}
	if len(groups) != 2 || aws.ToString(groups[0].DatasetGroupArn) != arn ||
		aws.ToString(groups[1].Name) != "custom" || aws.ToString(groups[1].Status) != "ACTIVE" {
		t.Errorf("ListDatasetGroups = %+v", list.DatasetGroups)
	}

	// A group with a dataset or a tracker cannot be deleted.
	schema, err := e.cp.CreateSchema(ctx, &personalize.CreateSchemaInput{Name: aws.String("users"), Schema: aws.String(usersSchema)})
	if err != nil {
		t.Fatal(err)
	}
	ds, err := e.cp.CreateDataset(ctx, &personalize.CreateDatasetInput{
		Name: aws.String("users"), DatasetGroupArn: custom.DatasetGroupArn, SchemaArn: schema.SchemaArn, DatasetType: aws.String("Users"),
	})
	if err != nil {
		t.Fatal(err)
	}
	tracker, err := e.cp.CreateEventTracker(ctx, &personalize.CreateEventTrackerInput{Name: aws.String("t"), DatasetGroupArn: custom.DatasetGroupArn})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.cp.DeleteDatasetGroup(ctx, &personalize.DeleteDatasetGroupInput{DatasetGroupArn: custom.DatasetGroupArn})
	wantAPIError(t, err, "ResourceInUseException", http.StatusBadRequest, aws.ToString(ds.DatasetArn), aws.ToString(tracker.EventTrackerArn))
	if _, err := e.cp.DeleteDataset(ctx, &personalize.DeleteDatasetInput{DatasetArn: ds.DatasetArn}); err != nil {
		t.Fatal(err)
	}
	_, err = e.cp.DeleteDatasetGroup(ctx, &personalize.DeleteDatasetGroupInput{DatasetGroupArn: custom.DatasetGroupArn})
	wantAPIError(t, err, "ResourceInUseException", http.StatusBadRequest, aws.ToString(tracker.EventTrackerArn))
	if _, err := e.cp.DeleteEventTracker(ctx, &personalize.DeleteEventTrackerInput{EventTrackerArn: tracker.EventTrackerArn}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.cp.DeleteDatasetGroup(ctx, &personalize.DeleteDatasetGroupInput{DatasetGroupArn: custom.DatasetGroupArn}); err != nil {
		t.Fatalf("DeleteDatasetGroup once empty: %v", err)
	}
	_, err = e.cp.DescribeDatasetGroup(ctx, &personalize.DescribeDatasetGroupInput{DatasetGroupArn: custom.DatasetGroupArn})
	wantAPIError(t, err, "ResourceNotFoundException", http.StatusBadRequest, aws.ToString(custom.DatasetGroupArn))
	var notFound *ptypes.ResourceNotFoundException
	if !errors.As(err, &notFound) {
		t.Errorf("the SDK did not map the error to its ResourceNotFoundException type: %T", err)
	}
	// The quota counts only what exists.
	if _, err := e.cp.CreateDatasetGroup(ctx, &personalize.CreateDatasetGroupInput{Name: aws.String("third")}); err != nil {
		t.Errorf("CreateDatasetGroup after a delete: %v", err)
	}
}

func TestDatasetOperations(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	g := e.makeGroup("shop")

	for typ, arn := range g.datasets {
		if want := "arn:aws:personalize:us-west-2:123456789012:dataset/shop/" + typ; arn != want {
			t.Errorf("%s dataset ARN = %s, want %s", typ, arn, want)
		}
	}
	desc, err := e.cp.DescribeDataset(ctx, &personalize.DescribeDatasetInput{DatasetArn: aws.String(g.datasets["ACTION_INTERACTIONS"])})
	if err != nil {
		t.Fatal(err)
	}
	d := desc.Dataset
	if aws.ToString(d.Name) != "shop-Action_Interactions" || aws.ToString(d.DatasetType) != "ACTION_INTERACTIONS" ||
		aws.ToString(d.DatasetGroupArn) != g.arn || aws.ToString(d.Status) != "ACTIVE" ||
		!uuidPattern.MatchString(aws.ToString(d.TrackingId)) || d.LatestDatasetUpdate != nil {
		t.Errorf("DescribeDataset = %+v", d)
	}
	recent(t, "creationDateTime", d.CreationDateTime)
	if desc, err := e.cp.DescribeDataset(ctx, &personalize.DescribeDatasetInput{DatasetArn: aws.String(g.datasets["ITEMS"])}); err != nil || desc.Dataset.TrackingId != nil {
		t.Errorf("an Items dataset has a trackingId: %+v, %v", desc, err)
	}

	schemaARN := func(name, def string) *string {
		out, err := e.cp.CreateSchema(ctx, &personalize.CreateSchemaInput{Name: aws.String(name), Schema: aws.String(def)})
		if err != nil {
			t.Fatal(err)
		}
		return out.SchemaArn
	}
	items := schemaARN("more-items", itemsSchema)
	_, err = e.cp.CreateDataset(ctx, &personalize.CreateDatasetInput{
		Name: aws.String("second"), DatasetGroupArn: aws.String(g.arn), SchemaArn: items, DatasetType: aws.String("items"),
	})
	wantAPIError(t, err, "ResourceAlreadyExistsException", http.StatusBadRequest, g.datasets["ITEMS"])

	other, err := e.cp.CreateDatasetGroup(ctx, &personalize.CreateDatasetGroupInput{Name: aws.String("other")})
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		in           personalize.CreateDatasetInput
		code, inText string
	}{
		"unknown type": {personalize.CreateDatasetInput{DatasetType: aws.String("Clicks"), SchemaArn: items, DatasetGroupArn: other.DatasetGroupArn},
			"InvalidInputException", "Clicks"},
		"schema lacks the type's required field": {personalize.CreateDatasetInput{DatasetType: aws.String("Users"), SchemaArn: items, DatasetGroupArn: other.DatasetGroupArn},
			"InvalidInputException", "USER_ID"},
		"unknown group": {personalize.CreateDatasetInput{DatasetType: aws.String("Items"), SchemaArn: items, DatasetGroupArn: aws.String(g.arn + "-gone")},
			"ResourceNotFoundException", g.arn + "-gone"},
		"unknown schema": {personalize.CreateDatasetInput{DatasetType: aws.String("Items"), SchemaArn: aws.String(*items + "-gone"), DatasetGroupArn: other.DatasetGroupArn},
			"ResourceNotFoundException", *items + "-gone"},
	} {
		in := c.in
		in.Name = aws.String("ds")
		_, err := e.cp.CreateDataset(ctx, &in)
		t.Run(name, func(t *testing.T) { wantAPIError(t, err, c.code, http.StatusBadRequest, c.inText) })
	}

	list, err := e.cp.ListDatasets(ctx, &personalize.ListDatasetsInput{DatasetGroupArn: aws.String(g.arn)})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Datasets) != 5 {
		t.Fatalf("ListDatasets of the group = %d datasets, want 5", len(list.Datasets))
	}
	for i, typ := range []string{"INTERACTIONS", "ITEMS", "USERS", "ACTIONS", "ACTION_INTERACTIONS"} {
		s := list.Datasets[i]
		if aws.ToString(s.DatasetType) != typ || aws.ToString(s.DatasetArn) != g.datasets[typ] || aws.ToString(s.Status) != "ACTIVE" {
			t.Errorf("ListDatasets[%d] = %+v, want the %s dataset", i, s, typ)
		}
	}
	if list, err := e.cp.ListDatasets(ctx, &personalize.ListDatasetsInput{DatasetGroupArn: other.DatasetGroupArn}); err != nil || len(list.Datasets) != 0 {
		t.Errorf("ListDatasets of an empty group = %+v, %v", list, err)
	}

	// UpdateDataset points the dataset at another schema of its type.
	newSchema := schemaARN("interactions-v2", interactionsSchema)
	upd, err := e.cp.UpdateDataset(ctx, &personalize.UpdateDatasetInput{DatasetArn: aws.String(g.datasets["INTERACTIONS"]), SchemaArn: newSchema})
	if err != nil || aws.ToString(upd.DatasetArn) != g.datasets["INTERACTIONS"] {
		t.Fatalf("UpdateDataset = %+v, %v", upd, err)
	}
	desc, err = e.cp.DescribeDataset(ctx, &personalize.DescribeDatasetInput{DatasetArn: aws.String(g.datasets["INTERACTIONS"])})
	if err != nil {
		t.Fatal(err)
	}
	if u := desc.Dataset.LatestDatasetUpdate; aws.ToString(desc.Dataset.SchemaArn) != *newSchema || u == nil ||
		aws.ToString(u.SchemaArn) != *newSchema || aws.ToString(u.Status) != "ACTIVE" {
		t.Errorf("after UpdateDataset: %+v", desc.Dataset)
	}
	_, err = e.cp.UpdateDataset(ctx, &personalize.UpdateDatasetInput{DatasetArn: aws.String(g.datasets["INTERACTIONS"]), SchemaArn: items})
	wantAPIError(t, err, "InvalidInputException", http.StatusBadRequest)
	_, err = e.cp.UpdateDataset(ctx, &personalize.UpdateDatasetInput{DatasetArn: aws.String(g.datasets["INTERACTIONS"] + "X"), SchemaArn: newSchema})
	wantAPIError(t, err, "ResourceNotFoundException", http.StatusBadRequest)

	// Deleting a dataset deletes its records; a new dataset of the type
	// starts empty.
	if _, err := e.events.PutItems(ctx, &personalizeevents.PutItemsInput{
		DatasetArn: aws.String(g.datasets["ITEMS"]), Items: []etypes.Item{{ItemId: aws.String("i-1")}},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.cp.DeleteDataset(ctx, &personalize.DeleteDatasetInput{DatasetArn: aws.String(g.datasets["ITEMS"])}); err != nil {
		t.Fatal(err)
	}
	_, err = e.cp.DescribeDataset(ctx, &personalize.DescribeDatasetInput{DatasetArn: aws.String(g.datasets["ITEMS"])})
	wantAPIError(t, err, "ResourceNotFoundException", http.StatusBadRequest, g.datasets["ITEMS"])
	_, err = e.events.PutItems(ctx, &personalizeevents.PutItemsInput{
		DatasetArn: aws.String(g.datasets["ITEMS"]), Items: []etypes.Item{{ItemId: aws.String("i-2")}},
	})
	wantAPIError(t, err, "ResourceNotFoundException", http.StatusNotFound, g.datasets["ITEMS"])
	if _, err := e.cp.CreateDataset(ctx, &personalize.CreateDatasetInput{
		Name: aws.String("items-again"), DatasetGroupArn: aws.String(g.arn), SchemaArn: items, DatasetType: aws.String("Items"),
	}); err != nil {
		t.Fatal(err)
	}
	if recs := e.records(g.datasets["ITEMS"], nil); len(recs) != 0 {
		t.Errorf("a re-created dataset holds the old dataset's records: %v", recs)
	}
	_, err = e.cp.DeleteDataset(ctx, &personalize.DeleteDatasetInput{DatasetArn: aws.String(g.datasets["USERS"] + "-gone")})
	wantAPIError(t, err, "ResourceNotFoundException", http.StatusBadRequest)
}

func TestEventTrackerOperations(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	g := e.makeGroup("shop")

	if !trackerARNPattern.MatchString(g.trackerARN) || !uuidPattern.MatchString(g.trackingID) {
		t.Errorf("tracker ARN %s, trackingId %s: not in AWS's formats", g.trackerARN, g.trackingID)
	}
	desc, err := e.cp.DescribeEventTracker(ctx, &personalize.DescribeEventTrackerInput{EventTrackerArn: aws.String(g.trackerARN)})
	if err != nil {
		t.Fatal(err)
	}
	tr := desc.EventTracker
	if aws.ToString(tr.Name) != "shop-tracker" || aws.ToString(tr.AccountId) != testAccount || aws.ToString(tr.TrackingId) != g.trackingID ||
		aws.ToString(tr.DatasetGroupArn) != g.arn || aws.ToString(tr.Status) != "ACTIVE" {
		t.Errorf("DescribeEventTracker = %+v", tr)
	}
	recent(t, "creationDateTime", tr.CreationDateTime)

	_, err = e.cp.CreateEventTracker(ctx, &personalize.CreateEventTrackerInput{Name: aws.String("second"), DatasetGroupArn: aws.String(g.arn)})
	wantAPIError(t, err, "ResourceAlreadyExistsException", http.StatusBadRequest, g.trackerARN)
	_, err = e.cp.CreateEventTracker(ctx, &personalize.CreateEventTrackerInput{Name: aws.String("t"), DatasetGroupArn: aws.String(g.arn + "-gone")})
	wantAPIError(t, err, "ResourceNotFoundException", http.StatusBadRequest)

	other := e.makeGroup("other")
	all, err := e.cp.ListEventTrackers(ctx, &personalize.ListEventTrackersInput{})
	if err != nil || len(all.EventTrackers) != 2 || aws.ToString(all.EventTrackers[1].EventTrackerArn) != other.trackerARN {
		t.Errorf("ListEventTrackers = %+v, %v", all, err)
	}
	mine, err := e.cp.ListEventTrackers(ctx, &personalize.ListEventTrackersInput{DatasetGroupArn: aws.String(g.arn)})
	if err != nil || len(mine.EventTrackers) != 1 || aws.ToString(mine.EventTrackers[0].Name) != "shop-tracker" ||
		aws.ToString(mine.EventTrackers[0].Status) != "ACTIVE" {
		t.Errorf("ListEventTrackers of one group = %+v, %v", mine, err)
	}

	// A deleted tracker's trackingId no longer takes events.
	if _, err := e.cp.DeleteEventTracker(ctx, &personalize.DeleteEventTrackerInput{EventTrackerArn: aws.String(g.trackerARN)}); err != nil {
		t.Fatal(err)
	}
	_, err = e.events.PutEvents(ctx, &personalizeevents.PutEventsInput{
		TrackingId: aws.String(g.trackingID), SessionId: aws.String("s"),
		EventList: []etypes.Event{{EventType: aws.String("click"), SentAt: aws.Time(time.Unix(1700000000, 0))}},
	})
	wantAPIError(t, err, "InvalidInputException", http.StatusBadRequest, g.trackingID)
	_, err = e.cp.DescribeEventTracker(ctx, &personalize.DescribeEventTrackerInput{EventTrackerArn: aws.String(g.trackerARN)})
	wantAPIError(t, err, "ResourceNotFoundException", http.StatusBadRequest, g.trackerARN)
	_, err = e.cp.DeleteEventTracker(ctx, &personalize.DeleteEventTrackerInput{EventTrackerArn: aws.String(g.trackerARN)})
	wantAPIError(t, err, "ResourceNotFoundException", http.StatusBadRequest, g.trackerARN)
	// The group may have a tracker again.
	again, err := e.cp.CreateEventTracker(ctx, &personalize.CreateEventTrackerInput{Name: aws.String("again"), DatasetGroupArn: aws.String(g.arn)})
	if err != nil || aws.ToString(again.TrackingId) == g.trackingID {
		t.Errorf("CreateEventTracker after a delete = %+v, %v", again, err)
	}
}

// TestPagination pages through every List operation with the SDK's own
// paginators and checks that the pages hold every resource once, in
// creation order, with no nextToken on the last page.
func TestPagination(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	var groups, datasets, trackers []string
	for i := range 7 {
		g := e.makeGroup(fmt.Sprintf("g%d", i))
		groups = append(groups, g.arn)
		for _, typ := range []string{"INTERACTIONS", "ITEMS", "USERS", "ACTIONS", "ACTION_INTERACTIONS"} {
			datasets = append(datasets, g.datasets[typ])
		}
		trackers = append(trackers, g.trackerARN)
	}
	var schemas []string
	list, err := e.cp.ListSchemas(ctx, &personalize.ListSchemasInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range list.Schemas {
		schemas = append(schemas, aws.ToString(s.SchemaArn))
	}
	if len(schemas) != 35 {
		t.Fatalf("one ListSchemas call returned %d schemas, want all 35", len(schemas))
	}

	check := func(name string, want []string, pageSize int, next func() ([]string, *string, error)) {
		t.Helper()
		var got []string
		pages := 0
		for {
			arns, token, err := next()
			if err != nil {
				t.Fatalf("%s page %d: %v", name, pages+1, err)
			}
			pages++
			got = append(got, arns...)
			if len(arns) > pageSize {
				t.Errorf("%s page %d has %d results, more than maxResults %d", name, pages, len(arns), pageSize)
			}
			if token == nil {
				break
			}
			if pages > len(want) {
				t.Fatalf("%s does not end", name)
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s paged through\n%v\nwant\n%v", name, got, want)
		}
		if wantPages := (len(want) + pageSize - 1) / pageSize; pages != wantPages {
			t.Errorf("%s took %d pages, want %d", name, pages, wantPages)
		}
	}

	sp := personalize.NewListSchemasPaginator(e.cp, &personalize.ListSchemasInput{MaxResults: aws.Int32(4)})
	check("ListSchemas", schemas, 4, func() ([]string, *string, error) {
		out, err := sp.NextPage(ctx)
		if err != nil {
			return nil, nil, err
		}
		var arns []string
		for _, s := range out.Schemas {
			arns = append(arns, aws.ToString(s.SchemaArn))
		}
		return arns, out.NextToken, nil
	})
	gp := personalize.NewListDatasetGroupsPaginator(e.cp, &personalize.ListDatasetGroupsInput{MaxResults: aws.Int32(3)})
	check("ListDatasetGroups", groups, 3, func() ([]string, *string, error) {
		out, err := gp.NextPage(ctx)
		if err != nil {
			return nil, nil, err
		}
		var arns []string
		for _, g := range out.DatasetGroups {
			arns = append(arns, aws.ToString(g.DatasetGroupArn))
		}
		return arns, out.NextToken, nil
	})
	dp := personalize.NewListDatasetsPaginator(e.cp, &personalize.ListDatasetsInput{MaxResults: aws.Int32(6)})
	check("ListDatasets", datasets, 6, func() ([]string, *string, error) {
		out, err := dp.NextPage(ctx)
		if err != nil {
			return nil, nil, err
		}
		var arns []string
		for _, d := range out.Datasets {
			arns = append(arns, aws.ToString(d.DatasetArn))
		}
		return arns, out.NextToken, nil
	})
	tp := personalize.NewListEventTrackersPaginator(e.cp, &personalize.ListEventTrackersInput{MaxResults: aws.Int32(2)})
	check("ListEventTrackers", trackers, 2, func() ([]string, *string, error) {
		out, err := tp.NextPage(ctx)
		if err != nil {
			return nil, nil, err
		}
		var arns []string
		for _, tr := range out.EventTrackers {
			arns = append(arns, aws.ToString(tr.EventTrackerArn))
		}
		return arns, out.NextToken, nil
	})

	// A token is only good for the listing that issued it.
	first, err := e.cp.ListSchemas(ctx, &personalize.ListSchemasInput{MaxResults: aws.Int32(1)})
	if err != nil || first.NextToken == nil {
		t.Fatalf("ListSchemas = %+v, %v", first, err)
	}
	_, err = e.cp.ListDatasetGroups(ctx, &personalize.ListDatasetGroupsInput{NextToken: first.NextToken})
	wantAPIError(t, err, "InvalidNextTokenException", http.StatusBadRequest)
	var invalid *ptypes.InvalidNextTokenException
	if !errors.As(err, &invalid) {
		t.Errorf("the SDK did not map the error to its InvalidNextTokenException type: %T", err)
	}
	_, err = e.cp.ListDatasets(ctx, &personalize.ListDatasetsInput{NextToken: aws.String("not-a-token")})
	wantAPIError(t, err, "InvalidNextTokenException", http.StatusBadRequest)
	_, err = e.cp.ListDatasets(ctx, &personalize.ListDatasetsInput{DatasetGroupArn: aws.String(groups[0]), NextToken: first.NextToken})
	wantAPIError(t, err, "InvalidNextTokenException", http.StatusBadRequest)

	// A page resumes after the last resource it returned, so a resource
	// deleted between pages shifts nothing.
	page1, err := e.cp.ListEventTrackers(ctx, &personalize.ListEventTrackersInput{MaxResults: aws.Int32(3)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.cp.DeleteEventTracker(ctx, &personalize.DeleteEventTrackerInput{EventTrackerArn: aws.String(trackers[1])}); err != nil {
		t.Fatal(err)
	}
	page2, err := e.cp.ListEventTrackers(ctx, &personalize.ListEventTrackersInput{MaxResults: aws.Int32(3), NextToken: page1.NextToken})
	if err != nil || len(page2.EventTrackers) != 3 || aws.ToString(page2.EventTrackers[0].EventTrackerArn) != trackers[3] {
		t.Errorf("the page after a deletion = %+v, %v; want it to start at %s", page2, err, trackers[3])
	}
}

// TestResourcesSurviveRestart describes and lists every resource, restarts
// the server on the same data directory and checks that the answers are
// the same.
func TestResourcesSurviveRestart(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	g := e.makeGroup("shop")
	if _, err := e.cp.UpdateDataset(ctx, &personalize.UpdateDatasetInput{
		DatasetArn: aws.String(g.datasets["INTERACTIONS"]), SchemaArn: aws.String(g.interactionsSchemaARN),
	}); err != nil {
		t.Fatal(err)
	}

	observe := func() string {
		var out []any
		add := func(v any, err error) {
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, v)
		}
		add(e.cp.ListSchemas(ctx, &personalize.ListSchemasInput{}))
		add(e.cp.ListDatasetGroups(ctx, &personalize.ListDatasetGroupsInput{}))
		add(e.cp.DescribeDatasetGroup(ctx, &personalize.DescribeDatasetGroupInput{DatasetGroupArn: aws.String(g.arn)}))
		add(e.cp.ListDatasets(ctx, &personalize.ListDatasetsInput{}))
		for _, typ := range []string{"INTERACTIONS", "ITEMS", "USERS", "ACTIONS", "ACTION_INTERACTIONS"} {
			add(e.cp.DescribeDataset(ctx, &personalize.DescribeDatasetInput{DatasetArn: aws.String(g.datasets[typ])}))
		}
		add(e.cp.ListEventTrackers(ctx, &personalize.ListEventTrackersInput{}))
		add(e.cp.DescribeEventTracker(ctx, &personalize.DescribeEventTrackerInput{EventTrackerArn: aws.String(g.trackerARN)}))
		for _, v := range out {
			// Response metadata (request ids) differs from call to call.
			md := reflect.ValueOf(v).Elem().FieldByName("ResultMetadata")
			md.Set(reflect.Zero(md.Type()))
		}
		b, err := json.MarshalIndent(out, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	before := observe()
	e.restart()
	if after := observe(); after != before {
		t.Errorf("after a restart the control plane answers\n%s\nwant\n%s", after, before)
	}
	// The rules still hold over what was loaded.
	_, err := e.cp.CreateEventTracker(ctx, &personalize.CreateEventTrackerInput{Name: aws.String("again"), DatasetGroupArn: aws.String(g.arn)})
	wantAPIError(t, err, "ResourceAlreadyExistsException", http.StatusBadRequest)
	if _, err := e.events.PutActionInteractions(ctx, &personalizeevents.PutActionInteractionsInput{
		TrackingId: aws.String(g.actionTrackingID),
		ActionInteractions: []etypes.ActionInteraction{{
			ActionId: aws.String("a"), SessionId: aws.String("s"), EventType: aws.String("Viewed"), Timestamp: aws.Time(time.Unix(1700000000, 0)),
		}},
	}); err != nil {
		t.Errorf("PutActionInteractions with the dataset's trackingId after a restart: %v", err)
	}
}
