package pebble

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/perchdev/perch"
)

func group(arn, name string) *perch.DatasetGroup {
	return &perch.DatasetGroup{ARN: arn, Name: name, Status: perch.StatusActive}
}

// TestQuotaCountsOneAccountAndRegion: an account's resources of a kind are
// the keys under its ARNs' start, which ends in a colon, so that accounts
// and regions whose names prefix one another do not count for each other.
func TestQuotaCountsOneAccountAndRegion(t *testing.T) {
	ctx := context.Background()
	r := openStore(t, t.TempDir(), Options{}).Resources()
	for _, arn := range []string{
		"arn:aws:personalize:us-east-1:123:dataset-group/g",
		"arn:aws:personalize:us-east-1:1234:dataset-group/g",
		"arn:aws:personalize:us-east-10:123:dataset-group/g",
		"arn:aws:personalize:us-east-1:12:dataset-group/g",
		"arn:aws:personalize:us-west-2:123:dataset-group/g",
	} {
		if err := r.CreateDatasetGroup(ctx, group(arn, "g"), 1); err != nil {
			t.Errorf("the first group of %s: %v", arn, err)
		}
	}
	err := r.CreateDatasetGroup(ctx, group("arn:aws:personalize:us-east-1:123:dataset-group/h", "h"), 1)
	if perch.ErrorCode(err) != perch.ELimitExceeded {
		t.Errorf("a second group of an account with a quota of 1 = %v, want %s", err, perch.ELimitExceeded)
	}
}

// TestCreateRefusesWhatIsNotAnARN: a resource's account is read from its
// ARN, so a create without one is refused and stores nothing.
func TestCreateRefusesWhatIsNotAnARN(t *testing.T) {
	ctx := context.Background()
	r := openStore(t, t.TempDir(), Options{}).Resources()
	for _, arn := range []string{"", "schema/s", "arn:aws:personalize:us-east-1"} {
		err := r.CreateSchema(ctx, &perch.Schema{ARN: arn, Name: "s"}, 10)
		if perch.ErrorCode(err) != perch.EInvalidInput {
			t.Errorf("CreateSchema of ARN %q = %v, want %s", arn, err, perch.EInvalidInput)
		}
	}
	if list, err := r.Schemas(ctx); err != nil || len(list) != 0 {
		t.Errorf("Schemas = %+v, %v; want none", list, err)
	}
}

// TestResourcesUnderTheReserve: below the free-space reserve, a resource
// write that adds data is refused with ServiceUnavailable and stores
// nothing, while a deletion, which frees space, goes through.
func TestResourcesUnderTheReserve(t *testing.T) {
	const reserve = 1 << 20
	ctx := context.Background()
	dir := t.TempDir()
	s := openStore(t, dir, Options{MinFreeBytes: reserve})
	disks := withFakeDisks(s, 1<<30, dir)
	r := s.Resources()
	g := group("arn:aws:personalize:us-east-1:123:dataset-group/g", "g")
	if err := r.CreateDatasetGroup(ctx, g, 10); err != nil {
		t.Fatal(err)
	}

	disks.set(dir, reserve-1)
	expireLooks(s)
	err := r.CreateDatasetGroup(ctx, group("arn:aws:personalize:us-east-1:123:dataset-group/h", "h"), 10)
	if perch.ErrorCode(err) != perch.EServiceUnavailable {
		t.Errorf("a create under the reserve = %v, want ServiceUnavailable", err)
	}
	if _, err := r.DatasetGroup(ctx, "arn:aws:personalize:us-east-1:123:dataset-group/h"); perch.ErrorCode(err) != perch.EResourceNotFound {
		t.Errorf("the group refused under the reserve: %v, want %s", err, perch.EResourceNotFound)
	}
	if err := r.DeleteDatasetGroup(ctx, g.ARN); err != nil {
		t.Errorf("a deletion under the reserve: %v", err)
	}
}

// TestResourceWritesWhileRecovering: after a failed write, a resource
// write answers ServiceUnavailable, and nothing else, until the store has
// reopened its database; then the rules read what the reopened database
// holds.
func TestResourceWritesWhileRecovering(t *testing.T) {
	ctx := context.Background()
	fail := make(chan struct{}, 1)
	s := openStore(t, t.TempDir(), Options{beforeApply: func() error {
		select {
		case <-fail:
			return errors.New("injected failure")
		default:
			return nil
		}
	}})
	r := s.Resources()
	g := group("arn:aws:personalize:us-east-1:123:dataset-group/g", "g")
	if err := r.CreateDatasetGroup(ctx, g, 10); err != nil {
		t.Fatal(err)
	}
	fail <- struct{}{}
	if err := s.Commit(ctx, &perch.Batch{Dataset: dataset(1, perch.Interactions), Events: []perch.Event{event("1", "u", "s")}}); err == nil {
		t.Fatal("the injected failure did not fail the commit")
	}
	h := group("arn:aws:personalize:us-east-1:123:dataset-group/h", "h")
	deadline := time.Now().Add(20 * time.Second)
	for {
		err := r.CreateDatasetGroup(ctx, h, 10)
		if err == nil {
			break
		}
		if perch.ErrorCode(err) != perch.EServiceUnavailable {
			t.Fatalf("CreateDatasetGroup while the store recovers = %v, want ServiceUnavailable", err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the store did not recover: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := r.CreateDatasetGroup(ctx, g, 10); perch.ErrorCode(err) != perch.EResourceAlreadyExists {
		t.Errorf("a create of a group stored before the failure = %v, want %s", err, perch.EResourceAlreadyExists)
	}
	if err := r.CreateDatasetGroup(ctx, group("arn:aws:personalize:us-east-1:123:dataset-group/i", "i"), 2); perch.ErrorCode(err) != perch.ELimitExceeded {
		t.Errorf("a create past the quota after the recovery = %v, want %s", err, perch.ELimitExceeded)
	}
}

// TestResourceChangesWaitForTheWriter: a change of resources waits for
// the record writer's commit in progress, and the changes behind it for
// that one, while lookups and lists answer at once; once the writer goes
// on, each change sees the one before it.
func TestResourceChangesWaitForTheWriter(t *testing.T) {
	ctx := context.Background()
	entered, release := make(chan struct{}), make(chan struct{})
	held := false
	s := openStore(t, t.TempDir(), Options{beforeApply: func() error {
		if !held {
			held = true
			close(entered)
			<-release
		}
		return nil
	}})
	r := s.Resources()
	committed := commitAsync(s, ctx, &perch.Batch{Dataset: dataset(1, perch.Interactions), Events: []perch.Event{event("1", "u", "s")}})
	<-entered

	g := group("arn:aws:personalize:us-east-1:123:dataset-group/g", "g")
	created := make(chan error, 2)
	for range 2 {
		go func() { created <- r.CreateDatasetGroup(ctx, g, 10) }()
	}
	select {
	case err := <-created:
		t.Fatalf("a create went through while the writer held its commit: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	if _, err := r.DatasetGroups(ctx); err != nil {
		t.Errorf("DatasetGroups while changes wait: %v", err)
	}
	if _, err := r.DatasetGroup(ctx, g.ARN); perch.ErrorCode(err) != perch.EResourceNotFound {
		t.Errorf("DatasetGroup while its create waits = %v, want %s", err, perch.EResourceNotFound)
	}

	close(release)
	if err := <-committed; err != nil {
		t.Fatalf("Commit: %v", err)
	}
	var codes []string
	for range 2 {
		if err := <-created; err != nil {
			codes = append(codes, perch.ErrorCode(err))
		}
	}
	if len(codes) != 1 || codes[0] != perch.EResourceAlreadyExists {
		t.Errorf("two creates of one group behind the writer failed with %v, want one %s", codes, perch.EResourceAlreadyExists)
	}
}

// TestModelsInChunks: a model is kept in chunks of modelChunk bytes under
// its version's o/ prefix; a later model leaves none of the earlier
// one's chunks behind, and DeleteSolution leaves no key of its versions
// or their models, while another version whose ARN starts with the same
// bytes keeps its own.
func TestModelsInChunks(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir(), Options{})
	r := s.Resources()
	const acct = "arn:aws:personalize:us-east-1:123:"
	if err := r.CreateDatasetGroup(ctx, group(acct+"dataset-group/g", "g"), 10); err != nil {
		t.Fatal(err)
	}
	var versions []*perch.SolutionVersion
	for _, name := range []string{"s", "s1"} {
		sol := &perch.Solution{ARN: acct + "solution/" + name, Name: name, GroupARN: acct + "dataset-group/g", Status: perch.StatusActive}
		if err := r.CreateSolution(ctx, sol, 10); err != nil {
			t.Fatal(err)
		}
		v := &perch.SolutionVersion{ARN: sol.ARN + "/0000000a", SolutionARN: sol.ARN, GroupARN: sol.GroupARN, Status: perch.StatusCreatePending}
		if err := r.CreateSolutionVersion(ctx, v, 10); err != nil {
			t.Fatal(err)
		}
		if got, err := r.ClaimJob(ctx, "w", time.Minute, perch.KindSolutionVersion); err != nil || got != v.ARN {
			t.Fatalf("ClaimJob = %q, %v; want %s", got, err, v.ARN)
		}
		versions = append(versions, v)
	}
	doomed, kept := versions[0], versions[1]
	for _, c := range []struct {
		size, chunks int
	}{{2*modelChunk + 1, 3}, {modelChunk, 1}, {0, 1}, {modelChunk + 7, 2}} {
		if err := r.PutModel(ctx, doomed.ARN, make([]byte, c.size), "w"); err != nil {
			t.Fatal(err)
		}
		if n := countKeys(t, s, modelPrefix(doomed.ARN)); n != c.chunks {
			t.Errorf("a model of %d bytes: %d keys, want %d chunks", c.size, n, c.chunks)
		}
	}
	if err := r.PutModel(ctx, kept.ARN, []byte("kept"), "w"); err != nil {
		t.Fatal(err)
	}
	doomed.Status = perch.StatusActive
	if err := r.UpdateSolutionVersion(ctx, doomed, "w"); err != nil {
		t.Fatal(err)
	}
	if err := r.DeleteSolution(ctx, doomed.SolutionARN); err != nil {
		t.Fatal(err)
	}
	if n := countKeys(t, s, modelPrefix(doomed.ARN)); n != 0 {
		t.Errorf("%d chunks of a deleted solution's model left", n)
	}
	if n := countKeys(t, s, resourcePrefix(kindVersion)); n != 1 {
		t.Errorf("%d versions stored, want only the other solution's", n)
	}
	if m, err := r.Model(ctx, kept.ARN); err != nil || string(m) != "kept" {
		t.Errorf("the other solution's model = %q, %v", m, err)
	}
}
