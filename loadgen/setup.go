package loadgen

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/personalize"
	ptypes "github.com/aws/aws-sdk-go-v2/service/personalize/types"
)

// Resources are where the generator's records go.
type Resources struct {
	DatasetGroupARN     string
	TrackingID          string
	InteractionsDataset string
	ItemsDataset        string
	UsersDataset        string
}

// The schemas Setup gives each dataset; the generator's properties fit them.
var benchSchemas = []struct {
	suffix      string
	datasetType string
	definition  string
}{
	{"interactions", "Interactions", `{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","version":"1.0","fields":[` +
		`{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"TIMESTAMP","type":"long"},` +
		`{"name":"EVENT_TYPE","type":"string"},{"name":"EVENT_VALUE","type":["null","float"]},` +
		`{"name":"IMPRESSION","type":["null","string"]},{"name":"RECOMMENDATION_ID","type":["null","string"]},` +
		`{"name":"DEVICE","type":["null","string"],"categorical":true},{"name":"CHANNEL","type":["null","string"],"categorical":true},` +
		`{"name":"DWELL_SECONDS","type":["null","int"]}]}`},
	{"items", "Items", `{"type":"record","name":"Items","namespace":"com.amazonaws.personalize.schema","version":"1.0","fields":[` +
		`{"name":"ITEM_ID","type":"string"},{"name":"CATEGORY","type":["null","string"],"categorical":true},` +
		`{"name":"BRAND","type":["null","string"],"categorical":true},{"name":"PRICE","type":["null","float"]},` +
		`{"name":"CREATION_TIMESTAMP","type":["null","long"]}]}`},
	{"users", "Users", `{"type":"record","name":"Users","namespace":"com.amazonaws.personalize.schema","version":"1.0","fields":[` +
		`{"name":"USER_ID","type":"string"},{"name":"AGE","type":["null","int"]},` +
		`{"name":"TIER","type":["null","string"],"categorical":true},{"name":"COUNTRY","type":["null","string"],"categorical":true}]}`},
}

// Setup makes sure that a dataset group called group exists with
// Interactions, Items and Users datasets of the generator's schemas and an
// event tracker, creating through the control plane whatever is missing,
// and returns them. It refuses a group whose datasets have other schemas,
// since the generated properties would not fit them.
func Setup(ctx context.Context, endpoint string, creds Credentials, group string) (*Resources, error) {
	c := personalize.New(personalize.Options{
		Region:       creds.Region,
		BaseEndpoint: aws.String(endpoint),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: creds.AccessKeyID, SecretAccessKey: creds.SecretAccessKey}, nil
		}),
	})
	groupARN, err := ensureGroup(ctx, c, group)
	if err != nil {
		return nil, err
	}
	datasets, err := collect(ctx, personalize.NewListDatasetsPaginator(c, &personalize.ListDatasetsInput{DatasetGroupArn: &groupARN}),
		func(o *personalize.ListDatasetsOutput) []ptypes.DatasetSummary { return o.Datasets })
	if err != nil {
		return nil, fmt.Errorf("listing the datasets of %s: %w", groupARN, err)
	}
	existing := map[string]string{} // dataset type in upper case -> ARN
	for _, d := range datasets {
		// Lists spell types in upper case; CreateDataset takes any case.
		existing[strings.ToUpper(aws.ToString(d.DatasetType))] = aws.ToString(d.DatasetArn)
	}
	res := &Resources{DatasetGroupARN: groupARN}
	for _, s := range benchSchemas {
		schemaARN, err := ensureSchema(ctx, c, group+"-"+s.suffix, s.definition)
		if err != nil {
			return nil, err
		}
		arn, err := ensureDataset(ctx, c, existing[strings.ToUpper(s.datasetType)], group+"-"+s.suffix, s.datasetType, schemaARN, groupARN)
		if err != nil {
			return nil, err
		}
		switch s.datasetType {
		case "Interactions":
			res.InteractionsDataset = arn
		case "Items":
			res.ItemsDataset = arn
		case "Users":
			res.UsersDataset = arn
		}
	}
	if res.TrackingID, err = ensureTracker(ctx, c, group+"-tracker", groupARN); err != nil {
		return nil, err
	}
	return res, nil
}

func ensureGroup(ctx context.Context, c *personalize.Client, name string) (string, error) {
	groups, err := collect(ctx, personalize.NewListDatasetGroupsPaginator(c, &personalize.ListDatasetGroupsInput{}),
		func(o *personalize.ListDatasetGroupsOutput) []ptypes.DatasetGroupSummary { return o.DatasetGroups })
	if err != nil {
		return "", fmt.Errorf("listing dataset groups: %w", err)
	}
	for _, g := range groups {
		if aws.ToString(g.Name) == name {
			return aws.ToString(g.DatasetGroupArn), nil
		}
	}
	out, err := c.CreateDatasetGroup(ctx, &personalize.CreateDatasetGroupInput{Name: &name})
	if err != nil {
		return "", fmt.Errorf("creating dataset group %s: %w", name, err)
	}
	return aws.ToString(out.DatasetGroupArn), nil
}

func ensureSchema(ctx context.Context, c *personalize.Client, name, definition string) (string, error) {
	schemas, err := collect(ctx, personalize.NewListSchemasPaginator(c, &personalize.ListSchemasInput{}),
		func(o *personalize.ListSchemasOutput) []ptypes.DatasetSchemaSummary { return o.Schemas })
	if err != nil {
		return "", fmt.Errorf("listing schemas: %w", err)
	}
	for _, s := range schemas {
		if aws.ToString(s.Name) == name {
			return aws.ToString(s.SchemaArn), nil
		}
	}
	out, err := c.CreateSchema(ctx, &personalize.CreateSchemaInput{Name: &name, Schema: &definition})
	if err != nil {
		return "", fmt.Errorf("creating schema %s: %w", name, err)
	}
	return aws.ToString(out.SchemaArn), nil
}

// ensureDataset creates the dataset unless arn names one, which must then
// have the schema the generator writes for.
func ensureDataset(ctx context.Context, c *personalize.Client, arn, name, datasetType, schemaARN, groupARN string) (string, error) {
	if arn == "" {
		out, err := c.CreateDataset(ctx, &personalize.CreateDatasetInput{
			Name: &name, DatasetType: &datasetType, SchemaArn: &schemaARN, DatasetGroupArn: &groupARN,
		})
		if err != nil {
			return "", fmt.Errorf("creating the %s dataset: %w", datasetType, err)
		}
		return aws.ToString(out.DatasetArn), nil
	}
	out, err := c.DescribeDataset(ctx, &personalize.DescribeDatasetInput{DatasetArn: &arn})
	if err != nil {
		return "", fmt.Errorf("describing %s: %w", arn, err)
	}
	if got := aws.ToString(out.Dataset.SchemaArn); got != schemaARN {
		return "", fmt.Errorf("dataset %s has schema %s, not the generator's %s; use another dataset group",
			arn, got, schemaARN)
	}
	return arn, nil
}

func ensureTracker(ctx context.Context, c *personalize.Client, name, groupARN string) (string, error) {
	trackers, err := collect(ctx, personalize.NewListEventTrackersPaginator(c, &personalize.ListEventTrackersInput{DatasetGroupArn: &groupARN}),
		func(o *personalize.ListEventTrackersOutput) []ptypes.EventTrackerSummary { return o.EventTrackers })
	if err != nil {
		return "", fmt.Errorf("listing the event trackers of %s: %w", groupARN, err)
	}
	if len(trackers) == 0 {
		out, err := c.CreateEventTracker(ctx, &personalize.CreateEventTrackerInput{Name: &name, DatasetGroupArn: &groupARN})
		if err != nil {
			return "", fmt.Errorf("creating an event tracker: %w", err)
		}
		return aws.ToString(out.TrackingId), nil
	}
	out, err := c.DescribeEventTracker(ctx, &personalize.DescribeEventTrackerInput{EventTrackerArn: trackers[0].EventTrackerArn})
	if err != nil {
		return "", fmt.Errorf("describing event tracker %s: %w", aws.ToString(trackers[0].EventTrackerArn), err)
	}
	return aws.ToString(out.EventTracker.TrackingId), nil
}

// pager is the shape of the SDK's list paginators.
type pager[O any] interface {
	HasMorePages() bool
	NextPage(context.Context, ...func(*personalize.Options)) (O, error)
}

// collect returns the items of every page of a listing.
func collect[O, T any](ctx context.Context, p pager[O], items func(O) []T) ([]T, error) {
	var all []T
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		all = append(all, items(page)...)
	}
	return all, nil
}
