package awsapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/personalize"
	ptypes "github.com/aws/aws-sdk-go-v2/service/personalize/types"
	"github.com/aws/aws-sdk-go-v2/service/personalizeevents"
	etypes "github.com/aws/aws-sdk-go-v2/service/personalizeevents/types"
	"github.com/aws/smithy-go/middleware"
)

// skipClientValidation removes the SDK's own check of required members, so
// that what a client without one (botocore's is optional) would send
// reaches the server.
func skipClientValidation(stack *middleware.Stack) error {
	_, err := stack.Initialize.Remove("OperationInputValidation")
	return err
}

func noClientValidation[O any](o *O) {
	switch o := any(o).(type) {
	case *personalize.Options:
		o.APIOptions = append(o.APIOptions, skipClientValidation)
	case *personalizeevents.Options:
		o.APIOptions = append(o.APIOptions, skipClientValidation)
	}
}

// TestConstraintsThroughTheSDK sends, for every operation, a request that
// breaks each kind of constraint its input has in the model (required,
// minimum and maximum length, pattern, enum, list counts, numeric range),
// through the SDK, and checks AWS's InvalidInputException and wording.
// The validator's own tests cover every constraint of every shape; this
// checks that the answers reach real clients intact.
func TestConstraintsThroughTheSDK(t *testing.T) {
	e := newEnv(t)
	g := e.makeGroup("shop")
	cp, ev := e.cp, e.events
	s := aws.String
	long := func(n int) *string { return s(strings.Repeat("a", n)) }
	arn := s(g.datasets["ITEMS"])
	notARN := s("dataset/shop/ITEMS")
	ts := aws.Time(time.Unix(1700000000, 0))
	event := func() etypes.Event { return etypes.Event{EventType: s("click"), SentAt: ts} }
	events := func(n int) []etypes.Event {
		list := make([]etypes.Event, n)
		for i := range list {
			list[i] = event()
		}
		return list
	}
	tags := func(n int) []ptypes.Tag {
		list := make([]ptypes.Tag, n)
		for i := range list {
			list[i] = ptypes.Tag{TagKey: s("k"), TagValue: s("v")}
		}
		return list
	}
	interaction := func() etypes.ActionInteraction {
		return etypes.ActionInteraction{ActionId: s("a"), SessionId: s("s"), EventType: s("Viewed"), Timestamp: ts}
	}
	interactions := func(n int) []etypes.ActionInteraction {
		list := make([]etypes.ActionInteraction, n)
		for i := range list {
			list[i] = interaction()
		}
		return list
	}
	const (
		tooLong  = "failed to satisfy constraint: Member must have length less than or equal to "
		tooShort = "failed to satisfy constraint: Member must have length greater than or equal to 1"
		null     = "failed to satisfy constraint: Member must not be null"
		pattern  = "failed to satisfy constraint: Member must satisfy regular expression pattern: "
	)
	cpNV := noClientValidation[personalize.Options]
	evNV := noClientValidation[personalizeevents.Options]

	tests := []struct {
		op, kind string
		call     func(context.Context) error
		want     string // a part of the message
	}{
		{"CreateSchema", "required", func(ctx context.Context) error {
			_, err := cp.CreateSchema(ctx, &personalize.CreateSchemaInput{Name: s("x")}, cpNV)
			return err
		}, "Value null at 'schema' " + null},
		{"CreateSchema", "min length", func(ctx context.Context) error {
			_, err := cp.CreateSchema(ctx, &personalize.CreateSchemaInput{Name: s(""), Schema: s(usersSchema)})
			return err
		}, "Value '' at 'name' " + tooShort},
		{"CreateSchema", "max length", func(ctx context.Context) error {
			_, err := cp.CreateSchema(ctx, &personalize.CreateSchemaInput{Name: s("x"), Schema: s(strings.Repeat(" ", 20001))})
			return err
		}, "at 'schema' " + tooLong + "20000"},
		{"CreateSchema", "pattern", func(ctx context.Context) error {
			_, err := cp.CreateSchema(ctx, &personalize.CreateSchemaInput{Name: s("-x"), Schema: s(usersSchema)})
			return err
		}, "Value '-x' at 'name' " + pattern + "^[a-zA-Z0-9][a-zA-Z0-9\\-_]*"},
		{"CreateSchema", "enum", func(ctx context.Context) error {
			_, err := cp.CreateSchema(ctx, &personalize.CreateSchemaInput{Name: s("x"), Schema: s(usersSchema), Domain: "BOOKS"})
			return err
		}, "Value 'BOOKS' at 'domain' failed to satisfy constraint: Member must satisfy enum value set: [ECOMMERCE, VIDEO_ON_DEMAND]"},
		{"DescribeSchema", "required", func(ctx context.Context) error {
			_, err := cp.DescribeSchema(ctx, &personalize.DescribeSchemaInput{}, cpNV)
			return err
		}, "Value null at 'schemaArn' " + null},
		{"DescribeSchema", "max length", func(ctx context.Context) error {
			_, err := cp.DescribeSchema(ctx, &personalize.DescribeSchemaInput{SchemaArn: s("arn:aws:personalize:::schema/" + strings.Repeat("a", 240))})
			return err
		}, "at 'schemaArn' " + tooLong + "256"},
		{"DescribeSchema", "pattern", func(ctx context.Context) error {
			_, err := cp.DescribeSchema(ctx, &personalize.DescribeSchemaInput{SchemaArn: notARN})
			return err
		}, "at 'schemaArn' " + pattern + "arn:([a-z\\d-]+):personalize:.*:.*:.+"},
		{"ListSchemas", "range", func(ctx context.Context) error {
			_, err := cp.ListSchemas(ctx, &personalize.ListSchemasInput{MaxResults: aws.Int32(101)})
			return err
		}, "Value '101' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100"},
		{"ListSchemas", "max length", func(ctx context.Context) error {
			_, err := cp.ListSchemas(ctx, &personalize.ListSchemasInput{NextToken: long(1501)})
			return err
		}, "at 'nextToken' " + tooLong + "1500"},
		{"ListSchemas", "pattern", func(ctx context.Context) error {
			_, err := cp.ListSchemas(ctx, &personalize.ListSchemasInput{NextToken: s("é")})
			return err
		}, "Value 'é' at 'nextToken' " + pattern},
		{"DeleteSchema", "required", func(ctx context.Context) error {
			_, err := cp.DeleteSchema(ctx, &personalize.DeleteSchemaInput{}, cpNV)
			return err
		}, "Value null at 'schemaArn' " + null},
		{"DeleteSchema", "max length", func(ctx context.Context) error {
			_, err := cp.DeleteSchema(ctx, &personalize.DeleteSchemaInput{SchemaArn: s("arn:aws:personalize:::schema/" + strings.Repeat("a", 240))})
			return err
		}, "at 'schemaArn' " + tooLong + "256"},
		{"DeleteSchema", "pattern", func(ctx context.Context) error {
			_, err := cp.DeleteSchema(ctx, &personalize.DeleteSchemaInput{SchemaArn: notARN})
			return err
		}, "at 'schemaArn' " + pattern},

		{"CreateDatasetGroup", "required", func(ctx context.Context) error {
			_, err := cp.CreateDatasetGroup(ctx, &personalize.CreateDatasetGroupInput{}, cpNV)
			return err
		}, "Value null at 'name' " + null},
		{"CreateDatasetGroup", "min length", func(ctx context.Context) error {
			_, err := cp.CreateDatasetGroup(ctx, &personalize.CreateDatasetGroupInput{Name: s("g"), Tags: []ptypes.Tag{{TagKey: s(""), TagValue: s("v")}}})
			return err
		}, "at 'tags.1.member.tagKey' " + tooShort},
		{"CreateDatasetGroup", "max length", func(ctx context.Context) error {
			_, err := cp.CreateDatasetGroup(ctx, &personalize.CreateDatasetGroupInput{Name: long(64)})
			return err
		}, "at 'name' " + tooLong + "63"},
		{"CreateDatasetGroup", "pattern", func(ctx context.Context) error {
			_, err := cp.CreateDatasetGroup(ctx, &personalize.CreateDatasetGroupInput{Name: s("g"), RoleArn: s("arn:aws:iam::1:role/r")})
			return err
		}, "Value 'arn:aws:iam::1:role/r' at 'roleArn' " + pattern},
		{"CreateDatasetGroup", "enum", func(ctx context.Context) error {
			_, err := cp.CreateDatasetGroup(ctx, &personalize.CreateDatasetGroupInput{Name: s("g"), Domain: "ecommerce"})
			return err
		}, "at 'domain' failed to satisfy constraint: Member must satisfy enum value set"},
		{"CreateDatasetGroup", "list count", func(ctx context.Context) error {
			_, err := cp.CreateDatasetGroup(ctx, &personalize.CreateDatasetGroupInput{Name: s("g"), Tags: tags(201)})
			return err
		}, "at 'tags' " + tooLong + "200"},
		{"DescribeDatasetGroup", "required", func(ctx context.Context) error {
			_, err := cp.DescribeDatasetGroup(ctx, &personalize.DescribeDatasetGroupInput{}, cpNV)
			return err
		}, "Value null at 'datasetGroupArn' " + null},
		{"DescribeDatasetGroup", "max length", func(ctx context.Context) error {
			_, err := cp.DescribeDatasetGroup(ctx, &personalize.DescribeDatasetGroupInput{DatasetGroupArn: s(g.arn + strings.Repeat("a", 200))})
			return err
		}, "at 'datasetGroupArn' " + tooLong + "256"},
		{"DescribeDatasetGroup", "pattern", func(ctx context.Context) error {
			_, err := cp.DescribeDatasetGroup(ctx, &personalize.DescribeDatasetGroupInput{DatasetGroupArn: s("shop")})
			return err
		}, "Value 'shop' at 'datasetGroupArn' " + pattern},
		{"ListDatasetGroups", "range", func(ctx context.Context) error {
			_, err := cp.ListDatasetGroups(ctx, &personalize.ListDatasetGroupsInput{MaxResults: aws.Int32(0)})
			return err
		}, "Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{"ListDatasetGroups", "max length", func(ctx context.Context) error {
			_, err := cp.ListDatasetGroups(ctx, &personalize.ListDatasetGroupsInput{NextToken: long(1501)})
			return err
		}, "at 'nextToken' " + tooLong + "1500"},
		{"ListDatasetGroups", "pattern", func(ctx context.Context) error {
			_, err := cp.ListDatasetGroups(ctx, &personalize.ListDatasetGroupsInput{NextToken: s("ü")})
			return err
		}, "at 'nextToken' " + pattern},
		{"DeleteDatasetGroup", "required", func(ctx context.Context) error {
			_, err := cp.DeleteDatasetGroup(ctx, &personalize.DeleteDatasetGroupInput{}, cpNV)
			return err
		}, "Value null at 'datasetGroupArn' " + null},
		{"DeleteDatasetGroup", "max length", func(ctx context.Context) error {
			_, err := cp.DeleteDatasetGroup(ctx, &personalize.DeleteDatasetGroupInput{DatasetGroupArn: s(g.arn + strings.Repeat("a", 200))})
			return err
		}, "at 'datasetGroupArn' " + tooLong + "256"},
		{"DeleteDatasetGroup", "pattern", func(ctx context.Context) error {
			_, err := cp.DeleteDatasetGroup(ctx, &personalize.DeleteDatasetGroupInput{DatasetGroupArn: s("shop")})
			return err
		}, "at 'datasetGroupArn' " + pattern},

		{"CreateDataset", "required", func(ctx context.Context) error {
			_, err := cp.CreateDataset(ctx, &personalize.CreateDatasetInput{Name: s("d"), SchemaArn: arn, DatasetGroupArn: s(g.arn)}, cpNV)
			return err
		}, "Value null at 'datasetType' " + null},
		{"CreateDataset", "min length", func(ctx context.Context) error {
			_, err := cp.CreateDataset(ctx, &personalize.CreateDatasetInput{Name: s(""), SchemaArn: arn, DatasetGroupArn: s(g.arn), DatasetType: s("Items")})
			return err
		}, "Value '' at 'name' " + tooShort},
		{"CreateDataset", "max length", func(ctx context.Context) error {
			_, err := cp.CreateDataset(ctx, &personalize.CreateDatasetInput{Name: s("d"), SchemaArn: arn, DatasetGroupArn: s(g.arn), DatasetType: long(257)})
			return err
		}, "at 'datasetType' " + tooLong + "256"},
		{"CreateDataset", "pattern", func(ctx context.Context) error {
			_, err := cp.CreateDataset(ctx, &personalize.CreateDatasetInput{Name: s("d"), SchemaArn: arn, DatasetGroupArn: s(g.arn), DatasetType: s("Item-s")})
			return err
		}, "Value 'Item-s' at 'datasetType' " + pattern + "^[A-Za-z_]+$"},
		{"CreateDataset", "list count", func(ctx context.Context) error {
			_, err := cp.CreateDataset(ctx, &personalize.CreateDatasetInput{Name: s("d"), SchemaArn: arn, DatasetGroupArn: s(g.arn), DatasetType: s("Items"), Tags: tags(201)})
			return err
		}, "at 'tags' " + tooLong + "200"},
		{"DescribeDataset", "required", func(ctx context.Context) error {
			_, err := cp.DescribeDataset(ctx, &personalize.DescribeDatasetInput{}, cpNV)
			return err
		}, "Value null at 'datasetArn' " + null},
		{"DescribeDataset", "max length", func(ctx context.Context) error {
			_, err := cp.DescribeDataset(ctx, &personalize.DescribeDatasetInput{DatasetArn: s(*arn + strings.Repeat("a", 200))})
			return err
		}, "at 'datasetArn' " + tooLong + "256"},
		{"DescribeDataset", "pattern", func(ctx context.Context) error {
			_, err := cp.DescribeDataset(ctx, &personalize.DescribeDatasetInput{DatasetArn: notARN})
			return err
		}, "at 'datasetArn' " + pattern},
		{"ListDatasets", "range", func(ctx context.Context) error {
			_, err := cp.ListDatasets(ctx, &personalize.ListDatasetsInput{MaxResults: aws.Int32(-1)})
			return err
		}, "Value '-1' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{"ListDatasets", "max length", func(ctx context.Context) error {
			_, err := cp.ListDatasets(ctx, &personalize.ListDatasetsInput{DatasetGroupArn: s(g.arn + strings.Repeat("a", 200))})
			return err
		}, "at 'datasetGroupArn' " + tooLong + "256"},
		{"ListDatasets", "pattern", func(ctx context.Context) error {
			_, err := cp.ListDatasets(ctx, &personalize.ListDatasetsInput{DatasetGroupArn: s("shop")})
			return err
		}, "at 'datasetGroupArn' " + pattern},
		{"DeleteDataset", "required", func(ctx context.Context) error {
			_, err := cp.DeleteDataset(ctx, &personalize.DeleteDatasetInput{}, cpNV)
			return err
		}, "Value null at 'datasetArn' " + null},
		{"DeleteDataset", "max length", func(ctx context.Context) error {
			_, err := cp.DeleteDataset(ctx, &personalize.DeleteDatasetInput{DatasetArn: s(*arn + strings.Repeat("a", 200))})
			return err
		}, "at 'datasetArn' " + tooLong + "256"},
		{"DeleteDataset", "pattern", func(ctx context.Context) error {
			_, err := cp.DeleteDataset(ctx, &personalize.DeleteDatasetInput{DatasetArn: notARN})
			return err
		}, "at 'datasetArn' " + pattern},
		{"UpdateDataset", "required", func(ctx context.Context) error {
			_, err := cp.UpdateDataset(ctx, &personalize.UpdateDatasetInput{DatasetArn: arn}, cpNV)
			return err
		}, "Value null at 'schemaArn' " + null},
		{"UpdateDataset", "max length", func(ctx context.Context) error {
			_, err := cp.UpdateDataset(ctx, &personalize.UpdateDatasetInput{DatasetArn: arn, SchemaArn: s(*arn + strings.Repeat("a", 200))})
			return err
		}, "at 'schemaArn' " + tooLong + "256"},
		{"UpdateDataset", "pattern", func(ctx context.Context) error {
			_, err := cp.UpdateDataset(ctx, &personalize.UpdateDatasetInput{DatasetArn: notARN, SchemaArn: arn})
			return err
		}, "at 'datasetArn' " + pattern},

		{"CreateEventTracker", "required", func(ctx context.Context) error {
			_, err := cp.CreateEventTracker(ctx, &personalize.CreateEventTrackerInput{Name: s("t")}, cpNV)
			return err
		}, "Value null at 'datasetGroupArn' " + null},
		{"CreateEventTracker", "min length", func(ctx context.Context) error {
			_, err := cp.CreateEventTracker(ctx, &personalize.CreateEventTrackerInput{Name: s(""), DatasetGroupArn: s(g.arn)})
			return err
		}, "Value '' at 'name' " + tooShort},
		{"CreateEventTracker", "max length", func(ctx context.Context) error {
			_, err := cp.CreateEventTracker(ctx, &personalize.CreateEventTrackerInput{Name: long(64), DatasetGroupArn: s(g.arn)})
			return err
		}, "at 'name' " + tooLong + "63"},
		{"CreateEventTracker", "pattern", func(ctx context.Context) error {
			_, err := cp.CreateEventTracker(ctx, &personalize.CreateEventTrackerInput{Name: s("t"), DatasetGroupArn: s(g.arn),
				Tags: []ptypes.Tag{{TagKey: s("team#1"), TagValue: s("v")}}})
			return err
		}, "at 'tags.1.member.tagKey' " + pattern},
		{"CreateEventTracker", "list count", func(ctx context.Context) error {
			_, err := cp.CreateEventTracker(ctx, &personalize.CreateEventTrackerInput{Name: s("t"), DatasetGroupArn: s(g.arn), Tags: tags(201)})
			return err
		}, "at 'tags' " + tooLong + "200"},
		{"DescribeEventTracker", "required", func(ctx context.Context) error {
			_, err := cp.DescribeEventTracker(ctx, &personalize.DescribeEventTrackerInput{}, cpNV)
			return err
		}, "Value null at 'eventTrackerArn' " + null},
		{"DescribeEventTracker", "max length", func(ctx context.Context) error {
			_, err := cp.DescribeEventTracker(ctx, &personalize.DescribeEventTrackerInput{EventTrackerArn: s(g.trackerARN + strings.Repeat("a", 200))})
			return err
		}, "at 'eventTrackerArn' " + tooLong + "256"},
		{"DescribeEventTracker", "pattern", func(ctx context.Context) error {
			_, err := cp.DescribeEventTracker(ctx, &personalize.DescribeEventTrackerInput{EventTrackerArn: s("tracker")})
			return err
		}, "at 'eventTrackerArn' " + pattern},
		{"ListEventTrackers", "range", func(ctx context.Context) error {
			_, err := cp.ListEventTrackers(ctx, &personalize.ListEventTrackersInput{MaxResults: aws.Int32(1000)})
			return err
		}, "Value '1000' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100"},
		{"ListEventTrackers", "max length", func(ctx context.Context) error {
			_, err := cp.ListEventTrackers(ctx, &personalize.ListEventTrackersInput{NextToken: long(1501)})
			return err
		}, "at 'nextToken' " + tooLong + "1500"},
		{"ListEventTrackers", "pattern", func(ctx context.Context) error {
			_, err := cp.ListEventTrackers(ctx, &personalize.ListEventTrackersInput{DatasetGroupArn: s("shop")})
			return err
		}, "at 'datasetGroupArn' " + pattern},
		{"DeleteEventTracker", "required", func(ctx context.Context) error {
			_, err := cp.DeleteEventTracker(ctx, &personalize.DeleteEventTrackerInput{}, cpNV)
			return err
		}, "Value null at 'eventTrackerArn' " + null},
		{"DeleteEventTracker", "max length", func(ctx context.Context) error {
			_, err := cp.DeleteEventTracker(ctx, &personalize.DeleteEventTrackerInput{EventTrackerArn: s(g.trackerARN + strings.Repeat("a", 200))})
			return err
		}, "at 'eventTrackerArn' " + tooLong + "256"},
		{"DeleteEventTracker", "pattern", func(ctx context.Context) error {
			_, err := cp.DeleteEventTracker(ctx, &personalize.DeleteEventTrackerInput{EventTrackerArn: s("tracker")})
			return err
		}, "at 'eventTrackerArn' " + pattern},

		{"PutEvents", "required", func(ctx context.Context) error {
			_, err := ev.PutEvents(ctx, &personalizeevents.PutEventsInput{TrackingId: s(g.trackingID), SessionId: s("s"),
				EventList: []etypes.Event{{EventType: s("click")}}}, evNV)
			return err
		}, "Value null at 'eventList.1.member.sentAt' " + null},
		{"PutEvents", "min length", func(ctx context.Context) error {
			_, err := ev.PutEvents(ctx, &personalizeevents.PutEventsInput{TrackingId: s(g.trackingID), SessionId: s("s"), UserId: s(""), EventList: events(1)})
			return err
		}, "Value at 'userId' " + tooShort}, // userId is sensitive: no value
		{"PutEvents", "max length", func(ctx context.Context) error {
			list := events(1)
			list[0].RecommendationId = long(41)
			_, err := ev.PutEvents(ctx, &personalizeevents.PutEventsInput{TrackingId: s(g.trackingID), SessionId: s("s"), EventList: list})
			return err
		}, "Value at 'eventList.1.member.recommendationId' " + tooLong + "40"},
		{"PutEvents", "pattern", func(ctx context.Context) error {
			list := events(2)
			list[1].MetricAttribution = &etypes.MetricAttribution{EventAttributionSource: s("   ")}
			_, err := ev.PutEvents(ctx, &personalizeevents.PutEventsInput{TrackingId: s(g.trackingID), SessionId: s("s"), EventList: list})
			return err
		}, "at 'eventList.2.member.metricAttribution.eventAttributionSource' " + pattern},
		{"PutEvents", "list count", func(ctx context.Context) error {
			_, err := ev.PutEvents(ctx, &personalizeevents.PutEventsInput{TrackingId: s(g.trackingID), SessionId: s("s"), EventList: events(11)})
			return err
		}, "Value at 'eventList' " + tooLong + "10"},
		{"PutEvents", "list count", func(ctx context.Context) error {
			list := events(1)
			list[0].Impression = []string{}
			_, err := ev.PutEvents(ctx, &personalizeevents.PutEventsInput{TrackingId: s(g.trackingID), SessionId: s("s"), EventList: list})
			return err
		}, "at 'eventList.1.member.impression' " + tooShort},

		{"PutItems", "required", func(ctx context.Context) error {
			_, err := ev.PutItems(ctx, &personalizeevents.PutItemsInput{DatasetArn: arn, Items: []etypes.Item{{}}}, evNV)
			return err
		}, "Value null at 'items.1.member.itemId' " + null},
		{"PutItems", "min length", func(ctx context.Context) error {
			_, err := ev.PutItems(ctx, &personalizeevents.PutItemsInput{DatasetArn: arn, Items: []etypes.Item{{ItemId: s("i"), Properties: s("")}}})
			return err
		}, "Value at 'items.1.member.properties' " + tooShort},
		{"PutItems", "max length", func(ctx context.Context) error {
			_, err := ev.PutItems(ctx, &personalizeevents.PutItemsInput{DatasetArn: arn, Items: []etypes.Item{{ItemId: s("i"), Properties: long(32001)}}})
			return err
		}, "Value at 'items.1.member.properties' " + tooLong + "32000"},
		{"PutItems", "pattern", func(ctx context.Context) error {
			_, err := ev.PutItems(ctx, &personalizeevents.PutItemsInput{DatasetArn: notARN, Items: []etypes.Item{{ItemId: s("i")}}})
			return err
		}, "Value 'dataset/shop/ITEMS' at 'datasetArn' " + pattern},
		{"PutItems", "list count", func(ctx context.Context) error {
			_, err := ev.PutItems(ctx, &personalizeevents.PutItemsInput{DatasetArn: arn, Items: []etypes.Item{}})
			return err
		}, "Value at 'items' " + tooShort},

		{"PutUsers", "required", func(ctx context.Context) error {
			_, err := ev.PutUsers(ctx, &personalizeevents.PutUsersInput{Users: []etypes.User{{UserId: s("u")}}}, evNV)
			return err
		}, "Value null at 'datasetArn' " + null},
		{"PutUsers", "min length", func(ctx context.Context) error {
			_, err := ev.PutUsers(ctx, &personalizeevents.PutUsersInput{DatasetArn: s(g.datasets["USERS"]), Users: []etypes.User{{UserId: s("")}}})
			return err
		}, "Value '' at 'users.1.member.userId' " + tooShort},
		{"PutUsers", "max length", func(ctx context.Context) error {
			_, err := ev.PutUsers(ctx, &personalizeevents.PutUsersInput{DatasetArn: s(g.datasets["USERS"]), Users: []etypes.User{{UserId: s("u"), Properties: long(24001)}}})
			return err
		}, "Value at 'users.1.member.properties' " + tooLong + "24000"},
		{"PutUsers", "pattern", func(ctx context.Context) error {
			_, err := ev.PutUsers(ctx, &personalizeevents.PutUsersInput{DatasetArn: s("arn:aws:s3:::bucket"), Users: []etypes.User{{UserId: s("u")}}})
			return err
		}, "at 'datasetArn' " + pattern},
		{"PutUsers", "list count", func(ctx context.Context) error {
			users := make([]etypes.User, 11)
			for i := range users {
				users[i] = etypes.User{UserId: s("u")}
			}
			_, err := ev.PutUsers(ctx, &personalizeevents.PutUsersInput{DatasetArn: s(g.datasets["USERS"]), Users: users})
			return err
		}, "at 'users' " + tooLong + "10"},

		{"PutActions", "required", func(ctx context.Context) error {
			_, err := ev.PutActions(ctx, &personalizeevents.PutActionsInput{DatasetArn: s(g.datasets["ACTIONS"])}, evNV)
			return err
		}, "Value null at 'actions' " + null},
		{"PutActions", "min length", func(ctx context.Context) error {
			_, err := ev.PutActions(ctx, &personalizeevents.PutActionsInput{DatasetArn: s(g.datasets["ACTIONS"]), Actions: []etypes.Action{{ActionId: s("")}}})
			return err
		}, "Value '' at 'actions.1.member.actionId' " + tooShort},
		{"PutActions", "max length", func(ctx context.Context) error {
			_, err := ev.PutActions(ctx, &personalizeevents.PutActionsInput{DatasetArn: s(g.datasets["ACTIONS"]), Actions: []etypes.Action{{ActionId: long(257)}}})
			return err
		}, "at 'actions.1.member.actionId' " + tooLong + "256"},
		{"PutActions", "pattern", func(ctx context.Context) error {
			_, err := ev.PutActions(ctx, &personalizeevents.PutActionsInput{DatasetArn: s("ACTIONS"), Actions: []etypes.Action{{ActionId: s("a")}}})
			return err
		}, "at 'datasetArn' " + pattern},
		{"PutActions", "list count", func(ctx context.Context) error {
			_, err := ev.PutActions(ctx, &personalizeevents.PutActionsInput{DatasetArn: s(g.datasets["ACTIONS"]), Actions: []etypes.Action{}})
			return err
		}, "at 'actions' " + tooShort},

		{"PutActionInteractions", "required", func(ctx context.Context) error {
			list := interactions(1)
			list[0].SessionId = nil
			_, err := ev.PutActionInteractions(ctx, &personalizeevents.PutActionInteractionsInput{TrackingId: s(g.actionTrackingID), ActionInteractions: list}, evNV)
			return err
		}, "Value null at 'actionInteractions.1.member.sessionId' " + null},
		{"PutActionInteractions", "min length", func(ctx context.Context) error {
			list := interactions(1)
			list[0].UserId = s("")
			_, err := ev.PutActionInteractions(ctx, &personalizeevents.PutActionInteractionsInput{TrackingId: s(g.actionTrackingID), ActionInteractions: list})
			return err
		}, "Value at 'actionInteractions.1.member.userId' " + tooShort},
		{"PutActionInteractions", "max length", func(ctx context.Context) error {
			list := interactions(1)
			list[0].Properties = s(`{"channel":"` + strings.Repeat("a", 1020) + `"}`)
			_, err := ev.PutActionInteractions(ctx, &personalizeevents.PutActionInteractionsInput{TrackingId: s(g.actionTrackingID), ActionInteractions: list})
			return err
		}, "Value at 'actionInteractions.1.member.properties' " + tooLong + "1024"},
		{"PutActionInteractions", "list count", func(ctx context.Context) error {
			list := interactions(1)
			list[0].Impression = make([]string, 26)
			for i := range list[0].Impression {
				list[0].Impression[i] = "a"
			}
			_, err := ev.PutActionInteractions(ctx, &personalizeevents.PutActionInteractionsInput{TrackingId: s(g.actionTrackingID), ActionInteractions: list})
			return err
		}, "Value at 'actionInteractions.1.member.impression' " + tooLong + "25"},
		{"PutActionInteractions", "list count", func(ctx context.Context) error {
			_, err := ev.PutActionInteractions(ctx, &personalizeevents.PutActionInteractionsInput{TrackingId: s(g.actionTrackingID), ActionInteractions: interactions(11)})
			return err
		}, "at 'actionInteractions' " + tooLong + "10"},
	}

	covered := map[string]bool{}
	for _, tc := range tests {
		covered[tc.op] = true
		t.Run(tc.op+"/"+tc.kind, func(t *testing.T) {
			status := http.StatusBadRequest
			wantAPIError(t, tc.call(context.Background()), "InvalidInputException", status, "validation error", tc.want)
		})
	}
	for _, op := range []string{
		"CreateSchema", "DescribeSchema", "ListSchemas", "DeleteSchema",
		"CreateDatasetGroup", "DescribeDatasetGroup", "ListDatasetGroups", "DeleteDatasetGroup",
		"CreateDataset", "DescribeDataset", "ListDatasets", "DeleteDataset", "UpdateDataset",
		"CreateEventTracker", "DescribeEventTracker", "ListEventTrackers", "DeleteEventTracker",
		"PutEvents", "PutItems", "PutUsers", "PutActions", "PutActionInteractions",
	} {
		if !covered[op] {
			t.Errorf("no constraint case for %s", op)
		}
	}

	// Nothing that failed validation was stored.
	for typ, arn := range g.datasets {
		if recs := e.records(arn, nil); len(recs) != 0 {
			t.Errorf("the %s dataset holds records after rejected requests: %v", typ, recs)
		}
	}
}

// TestSeveralViolations checks the plural form of the message, with the
// failures in the order AWS lists them.
func TestSeveralViolations(t *testing.T) {
	e := newEnv(t)
	_, err := e.events.PutEvents(context.Background(), &personalizeevents.PutEventsInput{
		TrackingId: aws.String(strings.Repeat("t", 257)), SessionId: aws.String(""),
		EventList: []etypes.Event{{EventType: aws.String(strings.Repeat("e", 257)), SentAt: aws.Time(time.Unix(1, 0))}},
	})
	wantAPIError(t, err, "InvalidInputException", http.StatusBadRequest,
		"3 validation errors detected: ",
		"Value '"+strings.Repeat("t", 257)+"' at 'trackingId' failed to satisfy constraint: Member must have length less than or equal to 256; ",
		"Value '' at 'sessionId' failed to satisfy constraint: Member must have length greater than or equal to 1; ",
		"Value at 'eventList.1.member.eventType' failed to satisfy constraint: Member must have length less than or equal to 256")
}
