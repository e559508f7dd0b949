package awsapi

import (
	"bytes"
	"context"
	"encoding/json"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/awsapi/model"
)

// controlOp serves one control-plane operation: the validated body in,
// the answer to encode out.
type controlOp func(ctx context.Context, body []byte) (any, error)

// op makes a controlOp of call, which takes the operation's input as
// decoded from the body and returns its answer in the model's shape. Every
// control-plane operation is served through it, so that each is no more
// than its input, its answer and the call between them.
func op[In, Out any](call func(context.Context, In) (Out, error)) controlOp {
	return func(ctx context.Context, body []byte) (any, error) {
		var in In
		if err := decode(body, &in); err != nil {
			return nil, err
		}
		out, err := call(ctx, in)
		if err != nil {
			return nil, err
		}
		return out, nil
	}
}

// decode reads a body the validator has accepted into a request struct.
// Its members are matched by encoding/json regardless of case; the
// validator has refused any key that names a member in another case. An
// empty body is an empty input, as botocore sends {} and some clients
// send nothing.
func decode(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return &model.SerializationError{Message: "Could not decode the request body: " + err.Error()}
	}
	return nil
}

// empty is the answer of the operations that answer nothing: {}.
type empty struct{}

func (s *Server) controlOps() map[string]controlOp {
	return map[string]controlOp{
		"CreateSchema":   op(s.createSchema),
		"DescribeSchema": op(s.describeSchema),
		"ListSchemas":    op(s.listSchemas),
		"DeleteSchema":   op(s.deleteSchema),

		"CreateDatasetGroup":   op(s.createDatasetGroup),
		"DescribeDatasetGroup": op(s.describeDatasetGroup),
		"ListDatasetGroups":    op(s.listDatasetGroups),
		"DeleteDatasetGroup":   op(s.deleteDatasetGroup),

		"CreateDataset":   op(s.createDataset),
		"DescribeDataset": op(s.describeDataset),
		"ListDatasets":    op(s.listDatasets),
		"UpdateDataset":   op(s.updateDataset),
		"DeleteDataset":   op(s.deleteDataset),

		"CreateEventTracker":   op(s.createEventTracker),
		"DescribeEventTracker": op(s.describeEventTracker),
		"ListEventTrackers":    op(s.listEventTrackers),
		"DeleteEventTracker":   op(s.deleteEventTracker),
	}
}

// listInput is the input of every List operation (datasetGroupArn and
// datasetArn only where the operation has them; the validator has refused
// a member the operation lacks).
type listInput struct {
	DatasetGroupArn string
	DatasetArn      string
	NextToken       string
	MaxResults      int
}

func (in listInput) page() perch.Page {
	return perch.Page{NextToken: in.NextToken, MaxResults: in.MaxResults}
}

// summaries is a List operation's page of results in the model's summary
// shape: an empty list, never null, when there are none.
func summaries[R, S any](results []R, summary func(R) S) []S {
	out := make([]S, len(results))
	for i, r := range results {
		out[i] = summary(r)
	}
	return out
}

// Schemas.

type createSchemaOutput struct {
	ARN string `json:"schemaArn"`
}

func (s *Server) createSchema(ctx context.Context, in struct{ Name, Schema, Domain string }) (createSchemaOutput, error) {
	sc, err := s.catalog.CreateSchema(ctx, perch.CreateSchemaInput{Name: in.Name, Definition: in.Schema, Domain: in.Domain})
	if err != nil {
		return createSchemaOutput{}, err
	}
	return createSchemaOutput{sc.ARN}, nil
}

type describeSchemaOutput struct {
	Schema *perch.Schema `json:"schema"`
}

func (s *Server) describeSchema(ctx context.Context, in struct{ SchemaArn string }) (describeSchemaOutput, error) {
	sc, err := s.catalog.DescribeSchema(ctx, in.SchemaArn)
	return describeSchemaOutput{sc}, err
}

type listSchemasOutput struct {
	NextToken string          `json:"nextToken,omitempty"`
	Schemas   []schemaSummary `json:"schemas"`
}

func (s *Server) listSchemas(ctx context.Context, in listInput) (listSchemasOutput, error) {
	list, next, err := s.catalog.ListSchemas(ctx, in.page())
	return listSchemasOutput{next, summaries(list, schemaSummaryOf)}, err
}

func (s *Server) deleteSchema(ctx context.Context, in struct{ SchemaArn string }) (empty, error) {
	return empty{}, s.catalog.DeleteSchema(ctx, in.SchemaArn)
}

// Dataset groups.

type createDatasetGroupInput struct {
	Name, RoleArn, KmsKeyArn, Domain string
	Tags                             []perch.Tag
}

type createDatasetGroupOutput struct {
	ARN    string `json:"datasetGroupArn"`
	Domain string `json:"domain,omitempty"`
}

func (s *Server) createDatasetGroup(ctx context.Context, in createDatasetGroupInput) (createDatasetGroupOutput, error) {
	g, err := s.catalog.CreateDatasetGroup(ctx, perch.CreateDatasetGroupInput{
		Name: in.Name, RoleARN: in.RoleArn, KMSKeyARN: in.KmsKeyArn, Domain: in.Domain, Tags: in.Tags,
	})
	if err != nil {
		return createDatasetGroupOutput{}, err
	}
	return createDatasetGroupOutput{g.ARN, g.Domain}, nil
}

type describeDatasetGroupOutput struct {
	DatasetGroup datasetGroup `json:"datasetGroup"`
}

func (s *Server) describeDatasetGroup(ctx context.Context, in struct{ DatasetGroupArn string }) (describeDatasetGroupOutput, error) {
	g, err := s.catalog.DescribeDatasetGroup(ctx, in.DatasetGroupArn)
	if err != nil {
		return describeDatasetGroupOutput{}, err
	}
	return describeDatasetGroupOutput{datasetGroupOf(g)}, nil
}

type listDatasetGroupsOutput struct {
	DatasetGroups []datasetGroupSummary `json:"datasetGroups"`
	NextToken     string                `json:"nextToken,omitempty"`
}

func (s *Server) listDatasetGroups(ctx context.Context, in listInput) (listDatasetGroupsOutput, error) {
	list, next, err := s.catalog.ListDatasetGroups(ctx, in.page())
	return listDatasetGroupsOutput{summaries(list, datasetGroupSummaryOf), next}, err
}

func (s *Server) deleteDatasetGroup(ctx context.Context, in struct{ DatasetGroupArn string }) (empty, error) {
	return empty{}, s.catalog.DeleteDatasetGroup(ctx, in.DatasetGroupArn)
}

// Datasets.

type createDatasetInput struct {
	Name, SchemaArn, DatasetGroupArn, DatasetType string
	Tags                                          []perch.Tag
}

// datasetARNOutput is the answer of CreateDataset and UpdateDataset.
type datasetARNOutput struct {
	ARN string `json:"datasetArn"`
}

func (s *Server) createDataset(ctx context.Context, in createDatasetInput) (datasetARNOutput, error) {
	d, err := s.catalog.CreateDataset(ctx, perch.CreateDatasetInput{
		Name: in.Name, SchemaARN: in.SchemaArn, GroupARN: in.DatasetGroupArn, Type: in.DatasetType, Tags: in.Tags,
	})
	if err != nil {
		return datasetARNOutput{}, err
	}
	return datasetARNOutput{d.ARN}, nil
}

type describeDatasetOutput struct {
	Dataset dataset `json:"dataset"`
}

func (s *Server) describeDataset(ctx context.Context, in struct{ DatasetArn string }) (describeDatasetOutput, error) {
	d, err := s.catalog.DescribeDataset(ctx, in.DatasetArn)
	if err != nil {
		return describeDatasetOutput{}, err
	}
	return describeDatasetOutput{datasetOf(d)}, nil
}

type listDatasetsOutput struct {
	Datasets  []datasetSummary `json:"datasets"`
	NextToken string           `json:"nextToken,omitempty"`
}

func (s *Server) listDatasets(ctx context.Context, in listInput) (listDatasetsOutput, error) {
	list, next, err := s.catalog.ListDatasets(ctx, in.DatasetGroupArn, in.page())
	return listDatasetsOutput{summaries(list, datasetSummaryOf), next}, err
}

func (s *Server) updateDataset(ctx context.Context, in struct{ DatasetArn, SchemaArn string }) (datasetARNOutput, error) {
	d, err := s.catalog.UpdateDataset(ctx, in.DatasetArn, in.SchemaArn)
	if err != nil {
		return datasetARNOutput{}, err
	}
	return datasetARNOutput{d.ARN}, nil
}

func (s *Server) deleteDataset(ctx context.Context, in struct{ DatasetArn string }) (empty, error) {
	return empty{}, s.catalog.DeleteDataset(ctx, in.DatasetArn)
}

// Event trackers.

type createEventTrackerInput struct {
	Name, DatasetGroupArn string
	Tags                  []perch.Tag
}

type createEventTrackerOutput struct {
	ARN        string `json:"eventTrackerArn"`
	TrackingID string `json:"trackingId"`
}

func (s *Server) createEventTracker(ctx context.Context, in createEventTrackerInput) (createEventTrackerOutput, error) {
	t, err := s.catalog.CreateEventTracker(ctx, perch.CreateEventTrackerInput{Name: in.Name, GroupARN: in.DatasetGroupArn, Tags: in.Tags})
	if err != nil {
		return createEventTrackerOutput{}, err
	}
	return createEventTrackerOutput{t.ARN, t.TrackingID}, nil
}

type describeEventTrackerOutput struct {
	EventTracker eventTracker `json:"eventTracker"`
}

func (s *Server) describeEventTracker(ctx context.Context, in struct{ EventTrackerArn string }) (describeEventTrackerOutput, error) {
	t, err := s.catalog.DescribeEventTracker(ctx, in.EventTrackerArn)
	if err != nil {
		return describeEventTrackerOutput{}, err
	}
	return describeEventTrackerOutput{eventTrackerOf(t)}, nil
}

type listEventTrackersOutput struct {
	EventTrackers []eventTrackerSummary `json:"eventTrackers"`
	NextToken     string                `json:"nextToken,omitempty"`
}

func (s *Server) listEventTrackers(ctx context.Context, in listInput) (listEventTrackersOutput, error) {
	list, next, err := s.catalog.ListEventTrackers(ctx, in.DatasetGroupArn, in.page())
	return listEventTrackersOutput{summaries(list, eventTrackerSummaryOf), next}, err
}

func (s *Server) deleteEventTracker(ctx context.Context, in struct{ EventTrackerArn string }) (empty, error) {
	return empty{}, s.catalog.DeleteEventTracker(ctx, in.EventTrackerArn)
}

// The resources in the model's shapes, which differ from what perch
// persists.

type schemaSummary struct {
	Name    string          `json:"name"`
	ARN     string          `json:"schemaArn"`
	Created perch.Timestamp `json:"creationDateTime"`
	Updated perch.Timestamp `json:"lastUpdatedDateTime"`
	Domain  string          `json:"domain,omitempty"`
}

func schemaSummaryOf(sc *perch.Schema) schemaSummary {
	return schemaSummary{sc.Name, sc.ARN, sc.Created, sc.Updated, sc.Domain}
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

func datasetGroupSummaryOf(g *perch.DatasetGroup) datasetGroupSummary {
	return datasetGroupSummary{g.Name, g.ARN, g.Status, g.Created, g.Updated, g.FailureReason, g.Domain}
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

func datasetSummaryOf(d *perch.Dataset) datasetSummary {
	return datasetSummary{d.Name, d.ARN, d.Type, d.Status, d.Created, d.Updated}
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

func eventTrackerSummaryOf(t *perch.EventTracker) eventTrackerSummary {
	return eventTrackerSummary{t.Name, t.ARN, t.Status, t.Created, t.Updated}
}
