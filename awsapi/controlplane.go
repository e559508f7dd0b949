package awsapi

import (
	"context"

	"github.com/perchdev/perch"
)

// controlOp handles one control-plane operation: body in, response out.
type controlOp func(ctx context.Context, body []byte) (any, error)

func (s *Server) controlOps() map[string]controlOp {
	c := s.catalog
	return map[string]controlOp{
		"CreateSchema": func(ctx context.Context, body []byte) (any, error) {
			var in struct{ Name, Schema, Domain string }
			if err := decode(body, &in); err != nil {
				return nil, err
			}
			sc, err := c.CreateSchema(ctx, perch.CreateSchemaInput{Name: in.Name, Definition: in.Schema, Domain: in.Domain})
			if err != nil {
				return nil, err
			}
			return map[string]string{"schemaArn": sc.ARN}, nil
		},
		"DescribeSchema": func(ctx context.Context, body []byte) (any, error) {
			var in struct{ SchemaArn string }
			if err := decode(body, &in); err != nil {
				return nil, err
			}
			sc, err := c.DescribeSchema(ctx, in.SchemaArn)
			if err != nil {
				return nil, err
			}
			return map[string]any{"schema": sc}, nil
		},
		"ListSchemas": func(ctx context.Context, body []byte) (any, error) {
			var in listInput
			if err := decode(body, &in); err != nil {
				return nil, err
			}
			list, next, err := c.ListSchemas(ctx, in.page())
			if err != nil {
				return nil, err
			}
			out := make([]schemaSummary, len(list))
			for i, sc := range list {
				out[i] = schemaSummary{sc.Name, sc.ARN, sc.Created, sc.Updated, sc.Domain}
			}
			return listOutput("schemas", out, next), nil
		},
		"DeleteSchema": func(ctx context.Context, body []byte) (any, error) {
			var in struct{ SchemaArn string }
			if err := decode(body, &in); err != nil {
				return nil, err
			}
			return struct{}{}, c.DeleteSchema(ctx, in.SchemaArn)
		},

		"CreateDatasetGroup": func(ctx context.Context, body []byte) (any, error) {
			var in struct {
				Name, RoleArn, KmsKeyArn, Domain string
				Tags                             []perch.Tag
			}
			if err := decode(body, &in); err != nil {
				return nil, err
			}
			g, err := c.CreateDatasetGroup(ctx, perch.CreateDatasetGroupInput{
				Name: in.Name, RoleARN: in.RoleArn, KMSKeyARN: in.KmsKeyArn, Domain: in.Domain, Tags: in.Tags,
			})
			if err != nil {
				return nil, err
			}
			out := map[string]string{"datasetGroupArn": g.ARN}
			if g.Domain != "" {
				out["domain"] = g.Domain
			}
			return out, nil
		},
		"DescribeDatasetGroup": func(ctx context.Context, body []byte) (any, error) {
			var in struct{ DatasetGroupArn string }
			if err := decode(body, &in); err != nil {
				return nil, err
			}
			g, err := c.DescribeDatasetGroup(ctx, in.DatasetGroupArn)
			if err != nil {
				return nil, err
			}
			return map[string]any{"datasetGroup": datasetGroupOf(g)}, nil
		},
		"ListDatasetGroups": func(ctx context.Context, body []byte) (any, error) {
			var in listInput
			if err := decode(body, &in); err != nil {
				return nil, err
			}
			list, next, err := c.ListDatasetGroups(ctx, in.page())
			if err != nil {
				return nil, err
			}
			out := make([]datasetGroupSummary, len(list))
			for i, g := range list {
				out[i] = datasetGroupSummary{g.Name, g.ARN, g.Status, g.Created, g.Updated, g.FailureReason, g.Domain}
			}
			return listOutput("datasetGroups", out, next), nil
		},
		"DeleteDatasetGroup": func(ctx context.Context, body []byte) (any, error) {
			var in struct{ DatasetGroupArn string }
			if err := decode(body, &in); err != nil {
				return nil, err
			}
			return struct{}{}, c.DeleteDatasetGroup(ctx, in.DatasetGroupArn)
		},

		"CreateDataset": func(ctx context.Context, body []byte) (any, error) {
			var in struct {
				Name, SchemaArn, DatasetGroupArn, DatasetType string
				Tags                                          []perch.Tag
			}
			if err := decode(body, &in); err != nil {
				return nil, err
			}
			d, err := c.CreateDataset(ctx, perch.CreateDatasetInput{
				Name: in.Name, SchemaARN: in.SchemaArn, GroupARN: in.DatasetGroupArn, Type: in.DatasetType, Tags: in.Tags,
			})
			if err != nil {
				return nil, err
			}
			return map[string]string{"datasetArn": d.ARN}, nil
		},
		"DescribeDataset": func(ctx context.Context, body []byte) (any, error) {
			var in struct{ DatasetArn string }
			if err := decode(body, &in); err != nil {
				return nil, err
			}
			d, err := c.DescribeDataset(ctx, in.DatasetArn)
			if err != nil {
				return nil, err
			}
			return map[string]any{"dataset": datasetOf(d)}, nil
		},
		"ListDatasets": func(ctx context.Context, body []byte) (any, error) {
			var in listInput
			if err := decode(body, &in); err != nil {
				return nil, err
			}
			list, next, err := c.ListDatasets(ctx, in.DatasetGroupArn, in.page())
			if err != nil {
				return nil, err
			}
			out := make([]datasetSummary, len(list))
			for i, d := range list {
				out[i] = datasetSummary{d.Name, d.ARN, d.Type, d.Status, d.Created, d.Updated}
			}
			return listOutput("datasets", out, next), nil
		},
		"UpdateDataset": func(ctx context.Context, body []byte) (any, error) {
			var in struct{ DatasetArn, SchemaArn string }
			if err := decode(body, &in); err != nil {
				return nil, err
			}
			d, err := c.UpdateDataset(ctx, in.DatasetArn, in.SchemaArn)
			if err != nil {
				return nil, err
			}
			return map[string]string{"datasetArn": d.ARN}, nil
		},
		"DeleteDataset": func(ctx context.Context, body []byte) (any, error) {
			var in struct{ DatasetArn string }
			if err := decode(body, &in); err != nil {
				return nil, err
			}
			return struct{}{}, c.DeleteDataset(ctx, in.DatasetArn)
		},

		"CreateEventTracker": func(ctx context.Context, body []byte) (any, error) {
			var in struct {
				Name, DatasetGroupArn string
				Tags                  []perch.Tag
			}
			if err := decode(body, &in); err != nil {
				return nil, err
			}
			t, err := c.CreateEventTracker(ctx, perch.CreateEventTrackerInput{Name: in.Name, GroupARN: in.DatasetGroupArn, Tags: in.Tags})
			if err != nil {
				return nil, err
			}
			return map[string]string{"eventTrackerArn": t.ARN, "trackingId": t.TrackingID}, nil
		},
		"DescribeEventTracker": func(ctx context.Context, body []byte) (any, error) {
			var in struct{ EventTrackerArn string }
			if err := decode(body, &in); err != nil {
				return nil, err
			}
			t, err := c.DescribeEventTracker(ctx, in.EventTrackerArn)
			if err != nil {
				return nil, err
			}
			return map[string]any{"eventTracker": eventTrackerOf(t)}, nil
		},
		"ListEventTrackers": func(ctx context.Context, body []byte) (any, error) {
			var in listInput
			if err := decode(body, &in); err != nil {
				return nil, err
			}
			list, next, err := c.ListEventTrackers(ctx, in.DatasetGroupArn, in.page())
			if err != nil {
				return nil, err
			}
			out := make([]eventTrackerSummary, len(list))
			for i, t := range list {
				out[i] = eventTrackerSummary{t.Name, t.ARN, t.Status, t.Created, t.Updated}
			}
			return listOutput("eventTrackers", out, next), nil
		},
		"DeleteEventTracker": func(ctx context.Context, body []byte) (any, error) {
			var in struct{ EventTrackerArn string }
			if err := decode(body, &in); err != nil {
				return nil, err
			}
			return struct{}{}, c.DeleteEventTracker(ctx, in.EventTrackerArn)
		},
	}
}

// listInput is the input of every List operation (datasetGroupArn only
// where the operation has it; the validator rejects nothing it lacks).
type listInput struct {
	DatasetGroupArn string
	DatasetArn      string
	NextToken       string
	MaxResults      int
}

func (in listInput) page() perch.Page {
	return perch.Page{NextToken: in.NextToken, MaxResults: in.MaxResults}
}

// listOutput is a List response: the results under key, and nextToken only
// when there is another page.
func listOutput[T any](key string, items []T, next string) map[string]any {
	out := map[string]any{key: items}
	if next != "" {
		out["nextToken"] = next
	}
	return out
}

// Response shapes: the model's, which differ from what perch persists.

type schemaSummary struct {
	Name    string          `json:"name"`
	ARN     string          `json:"schemaArn"`
	Created perch.Timestamp `json:"creationDateTime"`
	Updated perch.Timestamp `json:"lastUpdatedDateTime"`
	Domain  string          `json:"domain,omitempty"`
}

type datasetGroup struct {
	Name          string          `json:"name"`
	ARN           string          `json:"datasetGroupArn"`
	Status        string          `json:"status"`
	RoleARN       string          `json:"roleArn,omitempty"`
	KMSKeyARN     string          `json:"kmsKeyArn,omitempty"`
	Created       perch.Timestamp `json:"creationDateTime"`
	Updated       perch.Timestamp `json:"lastUpdatedDateTime"`
	FailureReason string          `json:"failureReason,omitempty"`
	Domain        string          `json:"domain,omitempty"`
}

func datasetGroupOf(g *perch.DatasetGroup) datasetGroup {
	return datasetGroup{g.Name, g.ARN, g.Status, g.RoleARN, g.KMSKeyARN, g.Created, g.Updated, g.FailureReason, g.Domain}
}

type datasetGroupSummary struct {
	Name          string          `json:"name"`
	ARN           string          `json:"datasetGroupArn"`
	Status        string          `json:"status"`
	Created       perch.Timestamp `json:"creationDateTime"`
	Updated       perch.Timestamp `json:"lastUpdatedDateTime"`
	FailureReason string          `json:"failureReason,omitempty"`
	Domain        string          `json:"domain,omitempty"`
}

type dataset struct {
	Name         string               `json:"name"`
	ARN          string               `json:"datasetArn"`
	GroupARN     string               `json:"datasetGroupArn"`
	Type         perch.DatasetType    `json:"datasetType"`
	SchemaARN    string               `json:"schemaArn"`
	Status       string               `json:"status"`
	Created      perch.Timestamp      `json:"creationDateTime"`
	Updated      perch.Timestamp      `json:"lastUpdatedDateTime"`
	LatestUpdate *perch.DatasetUpdate `json:"latestDatasetUpdate,omitempty"`
	TrackingID   string               `json:"trackingId,omitempty"`
}

func datasetOf(d *perch.Dataset) dataset {
	return dataset{d.Name, d.ARN, d.GroupARN, d.Type, d.SchemaARN, d.Status, d.Created, d.Updated, d.LatestUpdate, d.TrackingID}
}

type datasetSummary struct {
	Name    string            `json:"name"`
	ARN     string            `json:"datasetArn"`
	Type    perch.DatasetType `json:"datasetType"`
	Status  string            `json:"status"`
	Created perch.Timestamp   `json:"creationDateTime"`
	Updated perch.Timestamp   `json:"lastUpdatedDateTime"`
}

type eventTracker struct {
	Name       string          `json:"name"`
	ARN        string          `json:"eventTrackerArn"`
	AccountID  string          `json:"accountId"`
	TrackingID string          `json:"trackingId"`
	GroupARN   string          `json:"datasetGroupArn"`
	Status     string          `json:"status"`
	Created    perch.Timestamp `json:"creationDateTime"`
	Updated    perch.Timestamp `json:"lastUpdatedDateTime"`
}

func eventTrackerOf(t *perch.EventTracker) eventTracker {
	return eventTracker{t.Name, t.ARN, t.AccountID, t.TrackingID, t.GroupARN, t.Status, t.Created, t.Updated}
}

type eventTrackerSummary struct {
	Name    string          `json:"name"`
	ARN     string          `json:"eventTrackerArn"`
	Status  string          `json:"status"`
	Created perch.Timestamp `json:"creationDateTime"`
	Updated perch.Timestamp `json:"lastUpdatedDateTime"`
}
