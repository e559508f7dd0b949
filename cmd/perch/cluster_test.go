package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/personalize"
	ptypes "github.com/aws/aws-sdk-go-v2/service/personalize/types"
	"github.com/aws/aws-sdk-go-v2/service/personalizeevents"
	etypes "github.com/aws/aws-sdk-go-v2/service/personalizeevents/types"
	"github.com/aws/aws-sdk-go-v2/service/personalizeruntime"
	"github.com/aws/smithy-go"

	"github.com/perchdev/perch/internal/pgtest"
	"github.com/perchdev/perch/internal/testenv"
)

// cluster is several perch serve processes on one PostgreSQL database.
type cluster struct {
	// t is the test the nodes live for: a node started for a subtest
	// would end with it.
	t     *testing.T
	url   string
	nodes []*server
	// s3 is the directory of s3:// locations every node serves.
	s3 string
}

// startCluster starts n nodes on the database url, the first with
// --quickstart, each with a data directory of its own that none uses.
func startCluster(t *testing.T, url string, n int, extra ...string) *cluster {
	t.Helper()
	c := &cluster{t: t, url: url, s3: t.TempDir()}
	for i := range n {
		args := append([]string{"--store", url, "--s3-root", c.s3}, extra...)
		if i == 0 {
			args = append(args, "--quickstart")
		}
		c.nodes = append(c.nodes, startServer(t, t.TempDir(), args...))
	}
	return c
}

// restart starts node i again, on the same database.
func (c *cluster) restart(i int, extra ...string) {
	c.t.Helper()
	c.nodes[i] = startServer(c.t, c.t.TempDir(), append([]string{"--store", c.url, "--s3-root", c.s3}, extra...)...)
}

func controlClient(endpoint string) *personalize.Client {
	return personalize.New(personalize.Options{
		Region: "eu-west-1", BaseEndpoint: aws.String(endpoint), Retryer: aws.NopRetryer{}, Credentials: testCredentials,
	})
}

// runtimeClient is controlClient for the runtime API.
func runtimeClient(endpoint string) *personalizeruntime.Client {
	return personalizeruntime.New(personalizeruntime.Options{
		Region: "eu-west-1", BaseEndpoint: aws.String(endpoint), Retryer: aws.NopRetryer{}, Credentials: testCredentials,
	})
}

// testCredentials sign the tests' SDK calls; a server with --auth none
// takes any.
var testCredentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
	return aws.Credentials{AccessKeyID: "cluster", SecretAccessKey: "cluster"}, nil
})

// waitVersionActive waits, up to limit, until the solution version's
// training is ACTIVE, and fails the test when it fails or takes longer.
func waitVersionActive(t testing.TB, cp *personalize.Client, arn *string, limit time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(limit); ; time.Sleep(50 * time.Millisecond) {
		d, err := cp.DescribeSolutionVersion(context.Background(), &personalize.DescribeSolutionVersionInput{SolutionVersionArn: arn})
		if err != nil {
			t.Fatal(err)
		}
		status := aws.ToString(d.SolutionVersion.Status)
		if status == "ACTIVE" {
			return
		}
		if status == "CREATE FAILED" || time.Now().After(deadline) {
			t.Fatalf("solution version %s: %s %s", aws.ToString(arn), status, aws.ToString(d.SolutionVersion.FailureReason))
		}
	}
}

func clusterEvents(endpoint string) *personalizeevents.Client {
	return eventsClient(endpoint, aws.Credentials{AccessKeyID: "cluster", SecretAccessKey: "cluster"}, nil)
}

func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

const clusterSchema = `{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[` +
	`{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"EVENT_TYPE","type":"string"},` +
	`{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}`

// TestCluster runs three perch nodes on one PostgreSQL database and holds
// them to the rules of a cluster: what one node creates, the others use at
// once; what one deletes, the others refuse within a second; names,
// quotas and uses hold across nodes; eventIds are deduplicated across
// nodes; every node reads the same; accounts stay apart; a job whose node
// dies is finished by another; and a node killed under load, or the
// database stopped under load, loses no acknowledged record.
func TestCluster(t *testing.T) {
	if why := pgtest.Missing(); why != "" {
		testenv.Missing(t, why)
	}
	db := pgtest.NewServer(t)
	url := db.Database(t)
	c := startCluster(t, url, 3)
	ctx := context.Background()
	a, b, cc := controlClient(c.nodes[0].endpoint), controlClient(c.nodes[1].endpoint), controlClient(c.nodes[2].endpoint)
	s := aws.String

	t.Run("what one node creates the others use at once", func(t *testing.T) {
		sc, err := a.CreateSchema(ctx, &personalize.CreateSchemaInput{Name: s("shared"), Schema: s(clusterSchema)})
		if err != nil {
			t.Fatal(err)
		}
		g, err := a.CreateDatasetGroup(ctx, &personalize.CreateDatasetGroupInput{Name: s("shared")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.CreateDataset(ctx, &personalize.CreateDatasetInput{Name: s("shared"), DatasetGroupArn: g.DatasetGroupArn,
			SchemaArn: sc.SchemaArn, DatasetType: s("Interactions")}); err != nil {
			t.Fatal(err)
		}
		tr, err := a.CreateEventTracker(ctx, &personalize.CreateEventTrackerInput{Name: s("shared"), DatasetGroupArn: g.DatasetGroupArn})
		if err != nil {
			t.Fatal(err)
		}
		for i, n := range c.nodes[1:] {
			_, err := clusterEvents(n.endpoint).PutEvents(ctx, &personalizeevents.PutEventsInput{TrackingId: tr.TrackingId, SessionId: s("s"),
				EventList: []etypes.Event{{EventType: s("click"), EventId: s(fmt.Sprintf("at-once-%d", i)), SentAt: aws.Time(time.Unix(1700000000, 0))}}})
			if err != nil {
				t.Errorf("PutEvents on node %d right after CreateEventTracker on node 0: %v", i+1, err)
			}
		}
		if d, err := cc.DescribeDatasetGroup(ctx, &personalize.DescribeDatasetGroupInput{DatasetGroupArn: g.DatasetGroupArn}); err != nil {
			t.Errorf("DescribeDatasetGroup on node 2: %v", err)
		} else if aws.ToString(d.DatasetGroup.Name) != "shared" {
			t.Errorf("DescribeDatasetGroup on node 2: %+v", d.DatasetGroup)
		}

		// A deletion on one node: within a second every node refuses.
		if _, err := b.DeleteEventTracker(ctx, &personalize.DeleteEventTrackerInput{EventTrackerArn: tr.EventTrackerArn}); err != nil {
			t.Fatal(err)
		}
		deleted := time.Now()
		for i, n := range c.nodes {
			for {
				_, err := clusterEvents(n.endpoint).PutEvents(ctx, &personalizeevents.PutEventsInput{TrackingId: tr.TrackingId, SessionId: s("s"),
					EventList: []etypes.Event{{EventType: s("click"), SentAt: aws.Time(time.Unix(1700000000, 0))}}})
				if errorCode(err) == "InvalidInputException" {
					break
				}
				if time.Since(deleted) > time.Second {
					t.Errorf("node %d still takes events of the tracker deleted on node 1 a second ago: %v", i, err)
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
	})

	t.Run("names and uses hold across nodes", func(t *testing.T) {
		for round := range 5 {
			name := fmt.Sprintf("race-%d", round)
			var wg sync.WaitGroup
			errs := make([]error, len(c.nodes))
			for i, n := range c.nodes {
				wg.Go(func() {
					_, errs[i] = controlClient(n.endpoint).CreateDatasetGroup(ctx, &personalize.CreateDatasetGroupInput{Name: s(name)})
				})
			}
			wg.Wait()
			won := 0
			for i, err := range errs {
				switch errorCode(err) {
				case "":
					won++
				case "ResourceAlreadyExistsException":
				default:
					t.Errorf("round %d, node %d: %v", round, i, err)
				}
			}
			if won != 1 {
				t.Errorf("round %d: %d nodes created dataset group %s, want exactly one", round, won, name)
			}
		}

		sc, err := b.CreateSchema(ctx, &personalize.CreateSchemaInput{Name: s("used"), Schema: s(clusterSchema)})
		if err != nil {
			t.Fatal(err)
		}
		g, err := b.CreateDatasetGroup(ctx, &personalize.CreateDatasetGroupInput{Name: s("uses")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.CreateDataset(ctx, &personalize.CreateDatasetInput{Name: s("uses"), DatasetGroupArn: g.DatasetGroupArn,
			SchemaArn: sc.SchemaArn, DatasetType: s("Interactions")}); err != nil {
			t.Fatal(err)
		}
		if _, err := cc.DeleteSchema(ctx, &personalize.DeleteSchemaInput{SchemaArn: sc.SchemaArn}); errorCode(err) != "ResourceInUseException" {
			t.Errorf("DeleteSchema on node 2 of a schema node 1's dataset uses: %v, want ResourceInUseException", err)
		}
		if _, err := a.DeleteDatasetGroup(ctx, &personalize.DeleteDatasetGroupInput{DatasetGroupArn: g.DatasetGroupArn}); errorCode(err) != "ResourceInUseException" {
			t.Errorf("DeleteDatasetGroup on node 0 of a group with a dataset: %v, want ResourceInUseException", err)
		}
	})

	target := quickstartTarget(t, c.nodes[0])
	t.Run("eventIds and items across nodes", func(t *testing.T) {
		var wg sync.WaitGroup
		for i, n := range c.nodes[:2] {
			wg.Go(func() {
				_, err := clusterEvents(n.endpoint).PutEvents(ctx, &personalizeevents.PutEventsInput{TrackingId: s(target.trackingID),
					UserId: s(fmt.Sprintf("twice-%d", i)), SessionId: s("s"),
					EventList: []etypes.Event{{EventId: s("sent-to-two-nodes"), EventType: s("click"), SentAt: aws.Time(time.Unix(1700000000, 0))}}})
				if err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		for i, n := range c.nodes {
			_, err := clusterEvents(n.endpoint).PutItems(ctx, &personalizeevents.PutItemsInput{DatasetArn: s(target.items),
				Items: []etypes.Item{{ItemId: s("written-by-every-node"), Properties: s(fmt.Sprintf(`{"genres": "node-%d"}`, i))}}})
			if err != nil {
				t.Fatal(err)
			}
		}
		for i, n := range c.nodes {
			copies, originals := 0, 0
			for _, line := range nonEmptyLines(runPerch(t, "records", target.interactions, "--endpoint", n.endpoint)) {
				if !strings.Contains(line, `"eventId":"sent-to-two-nodes"`) {
					continue
				}
				copies++
				if !strings.Contains(line, `"duplicate":true`) {
					originals++
				}
			}
			if copies != 2 || originals != 1 {
				t.Errorf("node %d reads %d records of the eventId sent to two nodes, %d originals; want 2 and 1", i, copies, originals)
			}
			items := nonEmptyLines(runPerch(t, "records", target.items, "--endpoint", n.endpoint, "--id", "written-by-every-node"))
			if len(items) != 1 || !strings.Contains(items[0], "node-2") {
				t.Errorf("node %d reads the item all nodes wrote as %q, want node 2's, the last", i, items)
			}
		}
	})

	t.Run("every node reads and exports the same", func(t *testing.T) {
		for i, n := range c.nodes {
			var events []etypes.Event
			for j := range 5 {
				events = append(events, etypes.Event{EventId: s(fmt.Sprintf("read-%d-%d", i, j)), EventType: s("click"),
					ItemId: s("item-1"), SentAt: aws.Time(time.Unix(int64(1700000000+j), 0))})
			}
			if _, err := clusterEvents(n.endpoint).PutEvents(ctx, &personalizeevents.PutEventsInput{TrackingId: s(target.trackingID),
				UserId: s(fmt.Sprintf("reader-%d", i)), SessionId: s("s"), EventList: events}); err != nil {
				t.Fatal(err)
			}
		}
		var records, exports []string
		for _, n := range c.nodes {
			records = append(records, runPerch(t, "records", target.interactions, "--endpoint", n.endpoint))
			dir := t.TempDir()
			runPerch(t, "export", "arn:aws:personalize:eu-west-1:111122223333:dataset-group/perch-demo", "--out", dir, "--endpoint", n.endpoint)
			b, err := os.ReadFile(filepath.Join(dir, "interactions.csv"))
			if err != nil {
				t.Fatal(err)
			}
			exports = append(exports, string(b))
		}
		for i := 1; i < len(c.nodes); i++ {
			if records[i] != records[0] {
				t.Errorf("node %d's records differ from node 0's:\n%s\nagainst\n%s", i, records[i], records[0])
			}
			if exports[i] != exports[0] {
				t.Errorf("node %d's export differs from node 0's", i)
			}
		}
		if len(nonEmptyLines(records[0])) < 15 {
			t.Errorf("the records read are too few to compare: %q", records[0])
		}
	})

	t.Run("accounts stay apart", func(t *testing.T) {
		other := startServer(t, t.TempDir(), "--store", url, "--account-id", "444455556666")
		oc := controlClient(other.endpoint)
		_, err := oc.DescribeDatasetGroup(ctx, &personalize.DescribeDatasetGroupInput{
			DatasetGroupArn: s("arn:aws:personalize:eu-west-1:111122223333:dataset-group/perch-demo")})
		if errorCode(err) != "ResourceNotFoundException" {
			t.Errorf("another account's node describing this account's group: %v, want ResourceNotFoundException", err)
		}
		if _, err := oc.CreateDatasetGroup(ctx, &personalize.CreateDatasetGroupInput{Name: s("perch-demo")}); err != nil {
			t.Errorf("another account creating a group of a name this account has: %v", err)
		}
		list, err := a.ListDatasetGroups(ctx, &personalize.ListDatasetGroupsInput{})
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range list.DatasetGroups {
			if strings.Contains(aws.ToString(g.DatasetGroupArn), "444455556666") {
				t.Errorf("this account lists another's group %s", aws.ToString(g.DatasetGroupArn))
			}
		}
		_, err = clusterEvents(other.endpoint).PutEvents(ctx, &personalizeevents.PutEventsInput{TrackingId: s(target.trackingID), SessionId: s("s"),
			EventList: []etypes.Event{{EventType: s("click"), SentAt: aws.Time(time.Unix(1700000000, 0))}}})
		if errorCode(err) != "InvalidInputException" {
			t.Errorf("another account's node taking this account's tracking id: %v, want InvalidInputException", err)
		}
	})

	t.Run("a job whose node dies is finished by another", func(t *testing.T) {
		const rows = 300000
		if err := os.MkdirAll(filepath.Join(c.s3, "history"), 0o750); err != nil {
			t.Fatal(err)
		}
		var csv strings.Builder
		csv.WriteString("ITEM_ID,GENRES\n")
		for i := range rows {
			fmt.Fprintf(&csv, "imported-%d,g%d\n", i, i%7)
		}
		if err := os.WriteFile(filepath.Join(c.s3, "history", "items.csv"), []byte(csv.String()), 0o640); err != nil {
			t.Fatal(err)
		}
		// Only node 0 runs while the job is created, so it is the one
		// that takes it; it dies as soon as the job runs.
		c.nodes[1].kill9(t)
		c.nodes[2].kill9(t)
		job, err := a.CreateDatasetImportJob(ctx, &personalize.CreateDatasetImportJobInput{JobName: s("taken-over"), DatasetArn: s(target.items),
			DataSource: &ptypes.DataSource{DataLocation: s("s3://history/items.csv")}, ImportMode: ptypes.ImportModeFull})
		if err != nil {
			t.Fatal(err)
		}
		describe := func(cp *personalize.Client) *ptypes.DatasetImportJob {
			d, err := cp.DescribeDatasetImportJob(ctx, &personalize.DescribeDatasetImportJobInput{DatasetImportJobArn: job.DatasetImportJobArn})
			if err != nil {
				t.Fatal(err)
			}
			return d.DatasetImportJob
		}
		for deadline := time.Now().Add(30 * time.Second); aws.ToString(describe(a).Status) == "CREATE PENDING"; {
			if time.Now().After(deadline) {
				t.Fatal("node 0 did not start the import within 30 s")
			}
			time.Sleep(2 * time.Millisecond)
		}
		c.nodes[0].kill9(t)
		killed := time.Now()
		c.restart(1)
		c.restart(2)
		survivor := controlClient(c.nodes[1].endpoint)
		if j := describe(survivor); aws.ToString(j.Status) != "CREATE IN_PROGRESS" {
			t.Fatalf("the import was %s when its node died; make it larger so that it is still running", aws.ToString(j.Status))
		}
		for deadline := time.Now().Add(90 * time.Second); ; {
			j := describe(survivor)
			status := aws.ToString(j.Status)
			if status == "ACTIVE" {
				break
			}
			if status == "CREATE FAILED" || time.Now().After(deadline) {
				t.Fatalf("the import after its node died: %s %s", status, aws.ToString(j.FailureReason))
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Logf("the import was finished %v after its node died", time.Since(killed).Round(time.Second))
		c.restart(0)
		a = controlClient(c.nodes[0].endpoint)
		imported := 0
		for _, line := range nonEmptyLines(runPerch(t, "records", target.items, "--endpoint", c.nodes[0].endpoint)) {
			if strings.Contains(line, `"imported-`) {
				imported++
			}
		}
		if imported != rows {
			t.Errorf("%d imported items, want %d: imported once, whole", imported, rows)
		}
	})

	for i, n := range c.nodes {
		if n.cmd.ProcessState != nil || n.cmd.Process.Signal(syscall.Signal(0)) != nil {
			n.logMu.Lock()
			t.Fatalf("node %d is gone: %v\n%s", i, n.cmd.ProcessState, strings.Join(n.log, "\n"))
		}
	}
	t.Run("a node killed under load loses nothing acknowledged", func(t *testing.T) {
		var ledger crashLedger
		stop := make(chan struct{})
		var waits []func()
		for i, n := range c.nodes {
			waits = append(waits, ledger.load(n.endpoint, target, fmt.Sprintf("kill-n%d", i), uint64(i), stop))
		}
		time.Sleep(time.Second)
		c.nodes[2].kill9(t)
		time.Sleep(time.Second)
		close(stop)
		for _, wait := range waits {
			wait()
		}
		t.Log(ledger.check(t, storedWith(t, c.nodes[0].endpoint, target, "kill-")))
		c.restart(2)
	})

	t.Run("the database stopped under load", func(t *testing.T) {
		var ledger crashLedger
		stop := make(chan struct{})
		var waits []func()
		for i, n := range c.nodes {
			waits = append(waits, ledger.load(n.endpoint, target, fmt.Sprintf("db-n%d", i), uint64(10+i), stop))
		}
		time.Sleep(500 * time.Millisecond)
		db.Stop(t)
		// While it is down, calls are answered at once with 503.
		down := time.Now()
		client := clusterEvents(c.nodes[1].endpoint)
		callStart := time.Now()
		_, err := client.PutEvents(ctx, &personalizeevents.PutEventsInput{TrackingId: s(target.trackingID), SessionId: s("s"),
			EventList: []etypes.Event{{EventType: s("click"), SentAt: aws.Time(time.Unix(1700000000, 0))}}})
		if took := time.Since(callStart); took > 5*time.Second {
			t.Errorf("a call while the database is down took %v", took)
		}
		if code := errorCode(err); code != "ServiceUnavailable" && code != "ThrottlingException" {
			t.Errorf("PutEvents while the database is down: %v, want ServiceUnavailable", err)
		}
		time.Sleep(time.Until(down.Add(2 * time.Second)))
		db.Start(t)
		// The nodes take writes again by themselves.
		deadline := time.Now().Add(30 * time.Second)
		for _, n := range c.nodes {
			for {
				_, err := clusterEvents(n.endpoint).PutEvents(ctx, &personalizeevents.PutEventsInput{TrackingId: s(target.trackingID), SessionId: s("s"),
					EventList: []etypes.Event{{EventType: s("click"), SentAt: aws.Time(time.Unix(1700000000, 0))}}})
				if err == nil {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("a node did not take writes within 30 s of the database's return: %v", err)
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
		close(stop)
		for _, wait := range waits {
			wait()
		}
		t.Log(ledger.check(t, storedWith(t, c.nodes[0].endpoint, target, "db-")))
		statuses := map[int]int{}
		for _, r := range ledger.requests {
			statuses[r.status]++
		}
		for status := range statuses {
			if status != 0 && status != 200 && !slices.Contains([]int{400, 503}, status) {
				t.Errorf("%d calls answered %d while the database was down", statuses[status], status)
			}
		}
	})
}

// storedWith reads back the records whose ids begin with prefix: those of
// one ledger's requests.
func storedWith(t *testing.T, endpoint string, target crashTarget, prefix string) map[string]*storedRecord {
	t.Helper()
	stored := readStored(t, endpoint, target)
	for id := range stored {
		if !strings.HasPrefix(id, prefix) {
			delete(stored, id)
		}
	}
	return stored
}
