package awsapi_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/personalize"
	ptypes "github.com/aws/aws-sdk-go-v2/service/personalize/types"
	"github.com/aws/aws-sdk-go-v2/service/personalizeevents"
	etypes "github.com/aws/aws-sdk-go-v2/service/personalizeevents/types"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/sigv4"
)

const otherAccount = "210987654321"

// testCredentialsFile is the server's keys: testKey and a second key of
// testAccount, and a key of another account. The AWS CLI and boto3 read
// the same file.
const testCredentialsFile = `[default]
aws_access_key_id = AKIDEXAMPLE
aws_secret_access_key = secret
aws_account_id = 123456789012

[ci]
aws_access_key_id = AKIDEXAMPLECI
aws_secret_access_key = ci-secret
aws_account_id = 123456789012

[other]
aws_access_key_id = AKIDOTHER
aws_secret_access_key = other-secret
aws_account_id = 210987654321

[other-session]
aws_access_key_id = ASIAOTHERSESSION
aws_secret_access_key = other-session-secret
aws_session_token = IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ+session/token=
aws_account_id = 210987654321
`

var (
	ciKey    = aws.Credentials{AccessKeyID: "AKIDEXAMPLECI", SecretAccessKey: "ci-secret"}
	otherKey = aws.Credentials{AccessKeyID: "AKIDOTHER", SecretAccessKey: "other-secret"}
)

// newSignedEnv is newEnv with signature verification on, its keys read
// from testCredentialsFile (also written to credentialsPath for clients
// that read files).
func newSignedEnv(t *testing.T) (e *env, credentialsPath string) {
	t.Helper()
	credentialsPath = filepath.Join(t.TempDir(), "credentials")
	if err := os.WriteFile(credentialsPath, []byte(testCredentialsFile), 0o600); err != nil {
		t.Fatal(err)
	}
	ring, err := sigv4.LoadCredentials(credentialsPath)
	if err != nil {
		t.Fatal(err)
	}
	e = &env{t: t, dataDir: t.TempDir(), s3Root: t.TempDir(), scope: perch.Scope{Region: testRegion, Account: testAccount},
		verifier: sigv4.NewVerifier(ring, testRegion, "personalize")}
	e.start()
	t.Cleanup(func() { e.close() })
	return e, credentialsPath
}

// recordsAs reads a dataset's records signed with creds and returns the
// status, the error code if any, and the number of records.
func (e *env) recordsAs(creds aws.Credentials, datasetARN string) (status int, code string, n int) {
	e.t.Helper()
	resp := e.get(creds, "/_perch/records?"+url.Values{"datasetArn": {datasetARN}}.Encode())
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), 0
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		n++
	}
	return resp.StatusCode, "", n
}

func TestSignedRequestsActForTheirKeysAccount(t *testing.T) {
	e, _ := newSignedEnv(t)
	ctx := context.Background()
	otherCP, _ := e.clients(otherKey)
	ciCP, _ := e.clients(ciKey)

	mine, err := e.cp.CreateDatasetGroup(ctx, &personalize.CreateDatasetGroupInput{Name: aws.String("shop")})
	if err != nil {
		t.Fatal(err)
	}
	// The same name in another account is another resource.
	theirs, err := otherCP.CreateDatasetGroup(ctx, &personalize.CreateDatasetGroupInput{Name: aws.String("shop")})
	if err != nil {
		t.Fatalf("CreateDatasetGroup of the same name in another account: %v", err)
	}
	if want := "arn:aws:personalize:us-west-2:123456789012:dataset-group/shop"; *mine.DatasetGroupArn != want {
		t.Errorf("ARN = %s, want %s", *mine.DatasetGroupArn, want)
	}
	if want := "arn:aws:personalize:us-west-2:210987654321:dataset-group/shop"; *theirs.DatasetGroupArn != want {
		t.Errorf("ARN in the other account = %s, want %s", *theirs.DatasetGroupArn, want)
	}
	listed := func(cp *personalize.Client) []string {
		out, err := cp.ListDatasetGroups(ctx, &personalize.ListDatasetGroupsInput{})
		if err != nil {
			t.Fatal(err)
		}
		var arns []string
		for _, g := range out.DatasetGroups {
			arns = append(arns, *g.DatasetGroupArn)
		}
		return arns
	}
	if got := listed(e.cp); !slices.Equal(got, []string{*mine.DatasetGroupArn}) {
		t.Errorf("testAccount lists %v", got)
	}
	if got := listed(otherCP); !slices.Equal(got, []string{*theirs.DatasetGroupArn}) {
		t.Errorf("the other account lists %v", got)
	}
	// Two keys of one account see the same resources.
	if got := listed(ciCP); !slices.Equal(got, []string{*mine.DatasetGroupArn}) {
		t.Errorf("the second key of testAccount lists %v", got)
	}
	tr, err := ciCP.DescribeDatasetGroup(ctx, &personalize.DescribeDatasetGroupInput{DatasetGroupArn: mine.DatasetGroupArn})
	if err != nil || *tr.DatasetGroup.Name != "shop" {
		t.Fatalf("DescribeDatasetGroup with the second key: %+v, %v", tr, err)
	}
}

// TestAccountsCannotReachEachOthersResources tries every operation of
// another account on every kind of resource and on the records, and
// checks that each answers as if the resource did not exist and that
// nothing changed.
func TestAccountsCannotReachEachOthersResources(t *testing.T) {
	e, _ := newSignedEnv(t)
	ctx := context.Background()
	g := e.makeGroup("shop")
	_, err := e.events.PutEvents(ctx, &personalizeevents.PutEventsInput{
		TrackingId: aws.String(g.trackingID), UserId: aws.String("u-1"), SessionId: aws.String("s-1"),
		EventList: []etypes.Event{{EventType: aws.String("click"), ItemId: aws.String("i-1"), SentAt: aws.Time(time.Unix(1700000000, 0))}},
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.events.PutItems(ctx, &personalizeevents.PutItemsInput{DatasetArn: aws.String(g.datasets["ITEMS"]),
		Items: []etypes.Item{{ItemId: aws.String("i-1")}}})
	if err != nil {
		t.Fatal(err)
	}
	schemaARN := e.scope.SchemaARN("shop-Items")

	cp, events := e.clients(otherKey)
	notFound := func(op string, err error) {
		t.Helper()
		if err == nil {
			t.Fatalf("%s of testAccount's resource from the other account succeeded", op)
		}
		status := http.StatusBadRequest // the control plane's
		if strings.HasPrefix(op, "Put") {
			status = http.StatusNotFound // the events API's
		}
		wantAPIError(t, err, "ResourceNotFoundException", status, "does not exist")
	}
	_, err = cp.DescribeDatasetGroup(ctx, &personalize.DescribeDatasetGroupInput{DatasetGroupArn: aws.String(g.arn)})
	notFound("DescribeDatasetGroup", err)
	_, err = cp.DeleteDatasetGroup(ctx, &personalize.DeleteDatasetGroupInput{DatasetGroupArn: aws.String(g.arn)})
	notFound("DeleteDatasetGroup", err)
	_, err = cp.DescribeSchema(ctx, &personalize.DescribeSchemaInput{SchemaArn: aws.String(schemaARN)})
	notFound("DescribeSchema", err)
	_, err = cp.DeleteSchema(ctx, &personalize.DeleteSchemaInput{SchemaArn: aws.String(schemaARN)})
	notFound("DeleteSchema", err)
	_, err = cp.DescribeEventTracker(ctx, &personalize.DescribeEventTrackerInput{EventTrackerArn: aws.String(g.trackerARN)})
	notFound("DescribeEventTracker", err)
	_, err = cp.DeleteEventTracker(ctx, &personalize.DeleteEventTrackerInput{EventTrackerArn: aws.String(g.trackerARN)})
	notFound("DeleteEventTracker", err)
	_, err = cp.CreateEventTracker(ctx, &personalize.CreateEventTrackerInput{Name: aws.String("intruder"), DatasetGroupArn: aws.String(g.arn)})
	notFound("CreateEventTracker in the group", err)
	_, err = cp.CreateDataset(ctx, &personalize.CreateDatasetInput{Name: aws.String("intruder"), DatasetGroupArn: aws.String(g.arn),
		SchemaArn: aws.String(schemaARN), DatasetType: aws.String("Items")})
	notFound("CreateDataset in the group", err)
	for typ, arn := range g.datasets {
		_, err = cp.DescribeDataset(ctx, &personalize.DescribeDatasetInput{DatasetArn: aws.String(arn)})
		notFound("DescribeDataset "+typ, err)
		_, err = cp.UpdateDataset(ctx, &personalize.UpdateDatasetInput{DatasetArn: aws.String(arn), SchemaArn: aws.String(schemaARN)})
		notFound("UpdateDataset "+typ, err)
		_, err = cp.DeleteDataset(ctx, &personalize.DeleteDatasetInput{DatasetArn: aws.String(arn)})
		notFound("DeleteDataset "+typ, err)
		if status, code, _ := e.recordsAs(otherKey, arn); status != http.StatusNotFound || code != "ResourceNotFoundException" {
			t.Errorf("records of %s from the other account: %d %s, want 404 ResourceNotFoundException", typ, status, code)
		}
	}

	// Lists show nothing of testAccount, even when asked for its group.
	groups, err := cp.ListDatasetGroups(ctx, &personalize.ListDatasetGroupsInput{})
	if err != nil || len(groups.DatasetGroups) != 0 {
		t.Errorf("ListDatasetGroups from the other account: %+v, %v", groups, err)
	}
	schemas, err := cp.ListSchemas(ctx, &personalize.ListSchemasInput{})
	if err != nil || len(schemas.Schemas) != 0 {
		t.Errorf("ListSchemas from the other account: %+v, %v", schemas, err)
	}
	datasets, err := cp.ListDatasets(ctx, &personalize.ListDatasetsInput{DatasetGroupArn: aws.String(g.arn)})
	if err != nil || len(datasets.Datasets) != 0 {
		t.Errorf("ListDatasets of testAccount's group from the other account: %+v, %v", datasets, err)
	}
	trackers, err := cp.ListEventTrackers(ctx, &personalize.ListEventTrackersInput{DatasetGroupArn: aws.String(g.arn)})
	if err != nil || len(trackers.EventTrackers) != 0 {
		t.Errorf("ListEventTrackers of testAccount's group from the other account: %+v, %v", trackers, err)
	}

	// Writes cannot reach the records either.
	sentAt := aws.Time(time.Unix(1700000001, 0))
	_, err = events.PutEvents(ctx, &personalizeevents.PutEventsInput{TrackingId: aws.String(g.trackingID), SessionId: aws.String("s"),
		EventList: []etypes.Event{{EventType: aws.String("click"), SentAt: sentAt}}})
	wantAPIError(t, err, "InvalidInputException", http.StatusBadRequest, "does not match any event tracker")
	_, err = events.PutActionInteractions(ctx, &personalizeevents.PutActionInteractionsInput{TrackingId: aws.String(g.actionTrackingID),
		ActionInteractions: []etypes.ActionInteraction{{ActionId: aws.String("a"), SessionId: aws.String("s"), EventType: aws.String("Taken"), Timestamp: sentAt}}})
	wantAPIError(t, err, "InvalidInputException", http.StatusBadRequest, "does not match any event tracker")
	_, err = events.PutItems(ctx, &personalizeevents.PutItemsInput{DatasetArn: aws.String(g.datasets["ITEMS"]), Items: []etypes.Item{{ItemId: aws.String("i-2")}}})
	notFound("PutItems", err)
	_, err = events.PutUsers(ctx, &personalizeevents.PutUsersInput{DatasetArn: aws.String(g.datasets["USERS"]), Users: []etypes.User{{UserId: aws.String("u-2")}}})
	notFound("PutUsers", err)
	_, err = events.PutActions(ctx, &personalizeevents.PutActionsInput{DatasetArn: aws.String(g.datasets["ACTIONS"]), Actions: []etypes.Action{{ActionId: aws.String("a-2")}}})
	notFound("PutActions", err)

	// Jobs: another account can neither see testAccount's jobs nor start
	// one on its datasets.
	const role = "arn:aws:iam::123456789012:role/personalize"
	exportJob, err := e.cp.CreateDatasetExportJob(ctx, &personalize.CreateDatasetExportJobInput{
		JobName: aws.String("mine"), DatasetArn: aws.String(g.datasets["ITEMS"]), RoleArn: aws.String(role),
		JobOutput: &ptypes.DatasetExportJobOutput{S3DataDestination: &ptypes.S3DataConfig{Path: aws.String("s3://data/out/")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = cp.DescribeDatasetExportJob(ctx, &personalize.DescribeDatasetExportJobInput{DatasetExportJobArn: exportJob.DatasetExportJobArn})
	notFound("DescribeDatasetExportJob", err)
	if jobs, err := cp.ListDatasetExportJobs(ctx, &personalize.ListDatasetExportJobsInput{}); err != nil || len(jobs.DatasetExportJobs) != 0 {
		t.Errorf("the other account lists export jobs %+v, %v", jobs, err)
	}
	_, err = cp.CreateDatasetExportJob(ctx, &personalize.CreateDatasetExportJobInput{
		JobName: aws.String("theirs"), DatasetArn: aws.String(g.datasets["INTERACTIONS"]), RoleArn: aws.String(role),
		JobOutput: &ptypes.DatasetExportJobOutput{S3DataDestination: &ptypes.S3DataConfig{Path: aws.String("s3://data/stolen/")}},
	})
	notFound("CreateDatasetExportJob on the dataset", err)
	_, err = cp.CreateDatasetImportJob(ctx, &personalize.CreateDatasetImportJobInput{
		JobName: aws.String("theirs"), DatasetArn: aws.String(g.datasets["ITEMS"]), RoleArn: aws.String(role),
		DataSource: &ptypes.DataSource{DataLocation: aws.String("s3://data/in/")},
	})
	notFound("CreateDatasetImportJob into the dataset", err)
	_, err = cp.CreateDataDeletionJob(ctx, &personalize.CreateDataDeletionJobInput{
		JobName: aws.String("theirs"), DatasetGroupArn: aws.String(g.arn), RoleArn: aws.String(role),
		DataSource: &ptypes.DataSource{DataLocation: aws.String("s3://data/users.csv")},
	})
	notFound("CreateDataDeletionJob in the group", err)

	// testAccount's resources and records are as they were, through
	// either of its keys.
	ciCP, _ := e.clients(ciKey)
	for typ, arn := range g.datasets {
		if _, err := ciCP.DescribeDataset(ctx, &personalize.DescribeDatasetInput{DatasetArn: aws.String(arn)}); err != nil {
			t.Errorf("DescribeDataset %s after the other account's attempts: %v", typ, err)
		}
	}
	if _, err := e.cp.DescribeEventTracker(ctx, &personalize.DescribeEventTrackerInput{EventTrackerArn: aws.String(g.trackerARN)}); err != nil {
		t.Errorf("DescribeEventTracker after the other account's attempts: %v", err)
	}
	if _, err := e.cp.DescribeSchema(ctx, &personalize.DescribeSchemaInput{SchemaArn: aws.String(schemaARN)}); err != nil {
		t.Errorf("DescribeSchema after the other account's attempts: %v", err)
	}
	want := map[string]int{"INTERACTIONS": 1, "ITEMS": 1, "USERS": 0, "ACTIONS": 0, "ACTION_INTERACTIONS": 0}
	for typ, n := range want {
		if status, code, got := e.recordsAs(ciKey, g.datasets[typ]); status != 200 || got != n {
			t.Errorf("%s records of testAccount: %d %s, %d records, want %d", typ, status, code, got, n)
		}
	}

	// The other account's own group of the same name keeps its records
	// apart.
	otherEnv := *e
	otherEnv.cp, otherEnv.events = e.clients(otherKey)
	otherEnv.scope.Account = otherAccount
	og := otherEnv.makeGroup("shop")
	_, err = otherEnv.events.PutEvents(ctx, &personalizeevents.PutEventsInput{TrackingId: aws.String(og.trackingID), SessionId: aws.String("s"),
		EventList: []etypes.Event{{EventType: aws.String("view"), SentAt: sentAt}, {EventType: aws.String("view"), SentAt: sentAt}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, n := e.recordsAs(otherKey, og.datasets["INTERACTIONS"]); n != 2 {
		t.Errorf("the other account's interactions: %d records, want 2", n)
	}
	if _, _, n := e.recordsAs(testKey, g.datasets["INTERACTIONS"]); n != 1 {
		t.Errorf("testAccount's interactions after the other account wrote to its own: %d records, want 1", n)
	}
}

func TestAuthenticationFailuresThroughTheSDK(t *testing.T) {
	e, _ := newSignedEnv(t)
	ctx := context.Background()
	cp, events := e.clients(aws.Credentials{AccessKeyID: "AKIDNOBODY", SecretAccessKey: "x"})
	_, err := cp.ListDatasetGroups(ctx, &personalize.ListDatasetGroupsInput{})
	wantAPIError(t, err, "UnrecognizedClientException", http.StatusForbidden, "The security token included in the request is invalid.")
	_, err = events.PutUsers(ctx, &personalizeevents.PutUsersInput{DatasetArn: aws.String("arn:aws:personalize:us-west-2:123456789012:dataset/g/USERS"),
		Users: []etypes.User{{UserId: aws.String("u")}}})
	wantAPIError(t, err, "UnrecognizedClientException", http.StatusForbidden)

	cp, events = e.clients(aws.Credentials{AccessKeyID: testKey.AccessKeyID, SecretAccessKey: "wrong"})
	_, err = cp.ListSchemas(ctx, &personalize.ListSchemasInput{})
	wantAPIError(t, err, "InvalidSignatureException", http.StatusForbidden, "The request signature we calculated does not match")
	_, err = events.PutEvents(ctx, &personalizeevents.PutEventsInput{TrackingId: aws.String("t"), SessionId: aws.String("s"),
		EventList: []etypes.Event{{EventType: aws.String("click"), SentAt: aws.Time(time.Now())}}})
	wantAPIError(t, err, "InvalidSignatureException", http.StatusForbidden)

	// A session key's token travels with its requests.
	sessionCP, _ := e.clients(aws.Credentials{AccessKeyID: "ASIAOTHERSESSION", SecretAccessKey: "other-session-secret",
		SessionToken: "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ+session/token="})
	if _, err := sessionCP.ListDatasetGroups(ctx, &personalize.ListDatasetGroupsInput{}); err != nil {
		t.Fatalf("ListDatasetGroups with a session key: %v", err)
	}
	sessionCP, _ = e.clients(aws.Credentials{AccessKeyID: "ASIAOTHERSESSION", SecretAccessKey: "other-session-secret"})
	_, err = sessionCP.ListDatasetGroups(ctx, &personalize.ListDatasetGroupsInput{})
	wantAPIError(t, err, "UnrecognizedClientException", http.StatusForbidden)
}

// TestUnsignedRequestsGetAWSEnvelopes checks the raw answers to requests
// without a signature: AWS's envelope in each protocol's content type,
// with a request id; and the health probe stays open.
func TestUnsignedRequestsGetAWSEnvelopes(t *testing.T) {
	e, _ := newSignedEnv(t)
	for _, c := range []struct {
		name, method, path, target, contentType string
	}{
		{"control plane", "POST", "/", "AmazonPersonalize.ListDatasetGroups", "application/x-amz-json-1.1"},
		{"events", "POST", "/events", "", "application/json"},
		{"read API", "GET", "/_perch/records?datasetArn=x", "", "application/json"},
	} {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(c.method, e.url+c.path, strings.NewReader("{}"))
			if c.target != "" {
				req.Header.Set("X-Amz-Target", c.target)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body struct{ Type, Message string }
			raw, _ := io.ReadAll(resp.Body)
			if err := json.Unmarshal([]byte(strings.NewReplacer(`"__type"`, `"Type"`).Replace(string(raw))), &body); err != nil {
				t.Fatalf("body %q: %v", raw, err)
			}
			if resp.StatusCode != 403 || body.Type != "MissingAuthenticationTokenException" || body.Message != "Missing Authentication Token" ||
				resp.Header.Get("X-Amzn-ErrorType") != "MissingAuthenticationTokenException" ||
				resp.Header.Get("Content-Type") != c.contentType || resp.Header.Get("X-Amzn-RequestId") == "" {
				t.Fatalf("got %s %v %s", resp.Status, resp.Header, raw)
			}
		})
	}
	resp, err := http.Get(e.url + "/_perch/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("unsigned health probe: %s", resp.Status)
	}
}

// TestSignedGzipBody checks that a signature covers the body as sent: a
// gzip-encoded request signed over its compressed bytes is accepted and
// stored decompressed.
func TestSignedGzipBody(t *testing.T) {
	e, _ := newSignedEnv(t)
	g := e.makeGroup("shop")
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	fmt.Fprintf(zw, `{"trackingId":%q,"sessionId":"s","eventList":[{"eventId":"gz-1","eventType":"click","sentAt":1700000000}]}`, g.trackingID)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	send := func(body []byte) *http.Response {
		req, err := http.NewRequest(http.MethodPost, e.url+"/events", bytes.NewReader(zipped.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Content-Encoding", "gzip")
		sum := sha256.Sum256(body)
		if err := v4.NewSigner().SignHTTP(context.Background(), testKey, req, hex.EncodeToString(sum[:]), "personalize", testRegion, time.Now()); err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := send(zipped.Bytes()); resp.StatusCode != http.StatusOK {
		t.Fatalf("signed gzip PutEvents: %s (%s)", resp.Status, resp.Header.Get("X-Amzn-ErrorType"))
	}
	// A signature over the decompressed text does not cover what was sent.
	plain, err := io.ReadAll(mustGunzip(t, zipped.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if resp := send(plain); resp.StatusCode != http.StatusForbidden || resp.Header.Get("X-Amzn-ErrorType") != "InvalidSignatureException" {
		t.Errorf("a signature over the decompressed body: %s %s, want 403 InvalidSignatureException", resp.Status, resp.Header.Get("X-Amzn-ErrorType"))
	}
	if _, _, n := e.recordsAs(testKey, g.datasets["INTERACTIONS"]); n != 1 {
		t.Errorf("%d records stored, want 1", n)
	}
}

func mustGunzip(t *testing.T, b []byte) io.Reader {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return zr
}
