package awsapi_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/personalize"
	ptypes "github.com/aws/aws-sdk-go-v2/service/personalize/types"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/awsapi"
)

// batchJobs is a perch.BatchJobs that keeps what it is given, for the
// wire's tests: package batch has the jobs' own.
type batchJobs struct {
	mu      sync.Mutex
	created perch.CreateBatchInferenceJobInput
	listed  string
	page    perch.Page
}

const batchJobARN = "arn:aws:personalize:us-west-2:123456789012:batch-inference-job/j"

func (b *batchJobs) CreateBatchInferenceJob(ctx context.Context, in perch.CreateBatchInferenceJobInput) (*perch.BatchInferenceJob, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if in.Name == "taken" {
		return nil, perch.AlreadyExists(batchJobARN)
	}
	b.created = in
	return &perch.BatchInferenceJob{ARN: batchJobARN}, nil
}

func (b *batchJobs) job() *perch.BatchInferenceJob {
	return &perch.BatchInferenceJob{ARN: batchJobARN, Name: "j", SolutionVersionARN: "arn:aws:personalize:us-west-2:123456789012:solution/s/0123abcd",
		NumResults: 25, Input: perch.BatchInput{S3DataSource: perch.S3DataConfig{Path: "s3://b/in.json"}},
		Output: perch.BatchOutput{S3DataDestination: perch.S3DataConfig{Path: "s3://b/out/"}}, RoleARN: "arn:aws:iam::123456789012:role/r",
		Mode: perch.BatchInferenceMode, Status: perch.StatusCreateFailed, FailureReason: "no input", Created: 1700000000000, Updated: 1700000001500,
		Tags: []perch.Tag{{Key: "k", Value: "v"}}, GroupARN: "arn:aws:personalize:us-west-2:123456789012:dataset-group/g"}
}

func (b *batchJobs) DescribeBatchInferenceJob(ctx context.Context, arn string) (*perch.BatchInferenceJob, error) {
	if arn != batchJobARN {
		return nil, perch.NotFound(arn)
	}
	return b.job(), nil
}

func (b *batchJobs) ListBatchInferenceJobs(ctx context.Context, versionARN string, p perch.Page) ([]*perch.BatchInferenceJob, string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.listed, b.page = versionARN, p
	return []*perch.BatchInferenceJob{b.job()}, "next", nil
}

// TestBatchInferenceJobsThroughTheSDK: the Go SDK's calls reach the
// batch jobs as they were made, its answers come back in the model's
// shapes, and the model's and the service's refusals with AWS's codes.
func TestBatchInferenceJobsThroughTheSDK(t *testing.T) {
	jobs := &batchJobs{}
	srv := httptest.NewServer(awsapi.New(awsapi.Config{Batch: jobs, Account: testAccount}))
	defer srv.Close()
	cp := personalize.New(personalize.Options{Region: testRegion, BaseEndpoint: aws.String(srv.URL), Retryer: retryLostConnections(),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return testKey, nil })})
	ctx := t.Context()

	in := &personalize.CreateBatchInferenceJobInput{
		JobName: aws.String("j"), SolutionVersionArn: aws.String("arn:aws:personalize:us-west-2:123456789012:solution/s/0123abcd"),
		FilterArn: aws.String("arn:aws:personalize:us-west-2:123456789012:filter/f"), NumResults: aws.Int32(10),
		JobInput:                &ptypes.BatchInferenceJobInput{S3DataSource: &ptypes.S3DataConfig{Path: aws.String("s3://b/in.json")}},
		JobOutput:               &ptypes.BatchInferenceJobOutput{S3DataDestination: &ptypes.S3DataConfig{Path: aws.String("s3://b/out/"), KmsKeyArn: aws.String("arn:aws:kms:us-west-2:123456789012:key/k")}},
		RoleArn:                 aws.String("arn:aws:iam::123456789012:role/r"),
		BatchInferenceJobConfig: &ptypes.BatchInferenceJobConfig{ItemExplorationConfig: map[string]string{"explorationWeight": "0.3"}},
		Tags:                    []ptypes.Tag{{TagKey: aws.String("k"), TagValue: aws.String("v")}},
	}
	out, err := cp.CreateBatchInferenceJob(ctx, in)
	if err != nil || aws.ToString(out.BatchInferenceJobArn) != batchJobARN {
		t.Fatalf("CreateBatchInferenceJob = %v, %v", out, err)
	}
	want := perch.CreateBatchInferenceJobInput{Name: "j", SolutionVersionARN: *in.SolutionVersionArn, FilterARN: *in.FilterArn, NumResults: 10,
		Input:   perch.BatchInput{S3DataSource: perch.S3DataConfig{Path: "s3://b/in.json"}},
		Output:  perch.BatchOutput{S3DataDestination: perch.S3DataConfig{Path: "s3://b/out/", KMSKeyARN: "arn:aws:kms:us-west-2:123456789012:key/k"}},
		RoleARN: *in.RoleArn, Config: &perch.BatchInferenceJobConfig{ItemExplorationConfig: map[string]string{"explorationWeight": "0.3"}},
		Tags: []perch.Tag{{Key: "k", Value: "v"}}}
	if !reflect.DeepEqual(jobs.created, want) {
		t.Errorf("CreateBatchInferenceJob was given\n%+v\nwant\n%+v", jobs.created, want)
	}
	in.ThemeGenerationConfig = &ptypes.ThemeGenerationConfig{FieldsForThemeGeneration: &ptypes.FieldsForThemeGeneration{ItemName: aws.String("TITLE")}}
	in.BatchInferenceJobMode = ptypes.BatchInferenceJobModeThemeGeneration
	if _, err := cp.CreateBatchInferenceJob(ctx, in); err != nil || !jobs.created.ThemeGeneration || jobs.created.Mode != perch.ThemeGenerationMode {
		t.Errorf("a themeGenerationConfig reached the jobs as %+v, %v", jobs.created, err)
	}

	in.JobName = aws.String("taken")
	_, err = cp.CreateBatchInferenceJob(ctx, in)
	wantAPIError(t, err, perch.EResourceAlreadyExists, http.StatusBadRequest, batchJobARN)
	// The SDK checks required members itself; a raw request shows what
	// the server says.
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL, strings.NewReader(`{"jobName":"j","solutionVersionArn":"`+
		aws.ToString(in.SolutionVersionArn)+`","jobInput":{"s3DataSource":{"path":"s3://b/in.json"}},"jobOutput":{"s3DataDestination":{"path":"ftp://b/"}}}`))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AmazonPersonalize.CreateBatchInferenceJob")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "InvalidInputException") ||
		!strings.Contains(string(body), "2 validation errors") || !strings.Contains(string(body), "roleArn") {
		t.Errorf("a request without roleArn and with an ftp:// output: %d %s", resp.StatusCode, body)
	}

	d, err := cp.DescribeBatchInferenceJob(ctx, &personalize.DescribeBatchInferenceJobInput{BatchInferenceJobArn: aws.String(batchJobARN)})
	if err != nil {
		t.Fatal(err)
	}
	j := d.BatchInferenceJob
	if aws.ToString(j.JobName) != "j" || aws.ToString(j.Status) != perch.StatusCreateFailed || aws.ToString(j.FailureReason) != "no input" ||
		aws.ToInt32(j.NumResults) != 25 || aws.ToString(j.JobInput.S3DataSource.Path) != "s3://b/in.json" ||
		aws.ToString(j.JobOutput.S3DataDestination.Path) != "s3://b/out/" || j.BatchInferenceJobMode != ptypes.BatchInferenceJobModeBatchInference ||
		j.LastUpdatedDateTime.UnixMilli() != 1700000001500 {
		t.Errorf("DescribeBatchInferenceJob = %+v", j)
	}
	_, err = cp.DescribeBatchInferenceJob(ctx, &personalize.DescribeBatchInferenceJobInput{BatchInferenceJobArn: aws.String(batchJobARN + "x")})
	wantAPIError(t, err, perch.EResourceNotFound, http.StatusBadRequest, batchJobARN+"x")

	l, err := cp.ListBatchInferenceJobs(ctx, &personalize.ListBatchInferenceJobsInput{SolutionVersionArn: j.SolutionVersionArn,
		MaxResults: aws.Int32(1), NextToken: aws.String("t")})
	if err != nil || len(l.BatchInferenceJobs) != 1 || aws.ToString(l.NextToken) != "next" ||
		aws.ToString(l.BatchInferenceJobs[0].SolutionVersionArn) != aws.ToString(j.SolutionVersionArn) {
		t.Fatalf("ListBatchInferenceJobs = %+v, %v", l, err)
	}
	if jobs.listed != aws.ToString(j.SolutionVersionArn) || jobs.page != (perch.Page{NextToken: "t", MaxResults: 1}) {
		t.Errorf("ListBatchInferenceJobs asked for %q, %+v", jobs.listed, jobs.page)
	}
}
