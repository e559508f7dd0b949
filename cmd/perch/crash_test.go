package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestKill9Cycles is the crash test: it runs the real binary, drives
// concurrent PutEvents and PutItems at it, kills it with SIGKILL at a
// random moment, restarts it on the same data directory, and repeats.
// At the end every request that was answered 200 must be stored whole, and
// every request whose answer was lost with the connection must be stored
// whole or not at all.
//
// Each restart moves the write-ahead log (--wal-dir) in turn from the data
// directory to a directory of its own, to another, and back, so that what
// a kill left in the log is replayed from wherever it was.
//
// Set PERCH_CRASH_REPORT to a file name to have the counts written there
// (CI prints them).
func TestKill9Cycles(t *testing.T) {
	cycles := 20
	if testing.Short() {
		cycles = 3
	}
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 0))
	t.Logf("seed %d", seed)

	dataDir, walBase := t.TempDir(), t.TempDir()
	walFlags := [][]string{nil, {"--wal-dir", filepath.Join(walBase, "a")}, {"--wal-dir", filepath.Join(walBase, "b")}}
	s := startServer(t, dataDir, "--quickstart")
	target := quickstartTarget(t, s)
	var ledger crashLedger
	for cycle := range cycles {
		if cycle > 0 {
			s = startServer(t, dataDir, walFlags[cycle%len(walFlags)]...)
		}
		killAfter := time.Duration(100+rng.IntN(701)) * time.Millisecond
		ledger.drive(t, s, target, cycle, killAfter, rng.Uint64())
	}

	// A last start, to read everything back.
	s = startServer(t, dataDir, walFlags[cycles%len(walFlags)]...)
	stored := readStored(t, s.endpoint, target)
	report := ledger.check(t, stored)
	t.Log(report)
	if path := os.Getenv("PERCH_CRASH_REPORT"); path != "" {
		if err := os.WriteFile(path, []byte(report+"\n"), 0o644); err != nil {
			t.Error(err)
		}
	}
}

// crashTarget is where the load goes: the quickstart's datasets.
type crashTarget struct {
	trackingID, interactions, items string
}

// quickstartTarget reads the tracking id that a server started with
// --quickstart printed.
func quickstartTarget(t *testing.T, s *server) crashTarget {
	t.Helper()
	m := trackingIDLine.FindStringSubmatch(s.stdout.String())
	if m == nil {
		t.Fatalf("quickstart printed no trackingId:\n%s", s.stdout.String())
	}
	return crashTarget{
		trackingID:   m[1],
		interactions: "arn:aws:personalize:eu-west-1:111122223333:dataset/perch-demo/INTERACTIONS",
		items:        "arn:aws:personalize:eu-west-1:111122223333:dataset/perch-demo/ITEMS",
	}
}

// crashRequest is one request of the load and what became of it.
type crashRequest struct {
	items   bool     // PutItems, else PutEvents
	ids     []string // the eventIds or itemIds it carries, unique in the test
	outcome crashOutcome
	status  int
}

type crashOutcome int

const (
	acked   crashOutcome = iota // 200
	refused                     // an error answer: nothing may be stored
	unknown                     // the connection was cut before an answer
	notSent                     // the connection was refused
)

type crashLedger struct {
	mu       sync.Mutex
	requests []*crashRequest
	cycles   int
}

// drive starts the load on s, kills s after killAfter and waits for every
// worker to see its connection go.
func (l *crashLedger) drive(t *testing.T, s *server, target crashTarget, cycle int, killAfter time.Duration, seed uint64) {
	t.Helper()
	stop := make(chan struct{})
	wait := l.load(s.endpoint, target, fmt.Sprintf("c%d", cycle), seed, stop)
	time.Sleep(killAfter)
	s.kill9(t)
	close(stop)
	wait()
	l.cycles++
}

// load sends requests of 1-10 records with unique ids (starting with
// label) from six workers until stop is closed or the server is gone, and
// records each in the ledger. The returned function waits for the workers.
func (l *crashLedger) load(endpoint string, target crashTarget, label string, seed uint64, stop <-chan struct{}) (wait func()) {
	const workers = 6
	client := &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: workers},
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(seed, uint64(w)))
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				req := &crashRequest{items: rng.IntN(3) == 0}
				prefix := fmt.Sprintf("%s-w%d-r%d", label, w, n)
				for i := range 1 + rng.IntN(10) {
					req.ids = append(req.ids, fmt.Sprintf("%s-%d", prefix, i))
				}
				req.outcome, req.status = send(client, endpoint, target, req, prefix)
				l.mu.Lock()
				l.requests = append(l.requests, req)
				l.mu.Unlock()
				if req.outcome == unknown || req.outcome == notSent {
					return // the server is gone
				}
			}
		})
	}
	return func() {
		wg.Wait()
		client.CloseIdleConnections()
	}
}

// send sends one request and classifies the answer.
func send(client *http.Client, endpoint string, target crashTarget, req *crashRequest, marker string) (crashOutcome, int) {
	path, body := requestBody(target, req, marker)
	resp, err := client.Post(endpoint+path, "application/json", bytes.NewReader(body))
	if errors.Is(err, syscall.ECONNREFUSED) {
		return notSent, 0
	}
	if err != nil {
		return unknown, 0
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		return unknown, resp.StatusCode
	}
	if resp.StatusCode == http.StatusOK {
		return acked, resp.StatusCode
	}
	if bytes.Contains(answer, []byte("may or may not")) {
		// A write that failed in the store: stored whole or not at all.
		return unknown, resp.StatusCode
	}
	return refused, resp.StatusCode
}

// requestBody returns the path and body of req: PutItems with marker in
// every item's properties, or PutEvents for the user u-marker.
func requestBody(target crashTarget, req *crashRequest, marker string) (path string, body []byte) {
	if req.items {
		items := make([]map[string]string, len(req.ids))
		for i, id := range req.ids {
			items[i] = map[string]string{"itemId": id, "properties": fmt.Sprintf(`{"genres":%q}`, marker)}
		}
		body, _ = json.Marshal(map[string]any{"datasetArn": target.items, "items": items})
		return "/items", body
	}
	events := make([]map[string]any, len(req.ids))
	for i, id := range req.ids {
		events[i] = map[string]any{"eventId": id, "eventType": "click", "itemId": "item-" + id, "sentAt": 1700000000 + i}
	}
	body, _ = json.Marshal(map[string]any{"trackingId": target.trackingID, "userId": "u-" + marker, "sessionId": "s", "eventList": events})
	return "/events", body
}

// storedRecord is what the read API returned for one id.
type storedRecord struct {
	copies    int
	duplicate bool
}

// readStored reads back the records of both datasets by id.
func readStored(t *testing.T, endpoint string, target crashTarget) map[string]*storedRecord {
	t.Helper()
	stored := map[string]*storedRecord{}
	for _, ds := range []struct{ arn, idKey string }{{target.interactions, "eventId"}, {target.items, "itemId"}} {
		resp, err := http.Get(endpoint + "/_perch/records?datasetArn=" + url.QueryEscape(ds.arn))
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			t.Fatalf("reading %s: %s %s", ds.arn, resp.Status, b)
		}
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var rec map[string]any
			if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
				t.Fatalf("record line %q: %v", sc.Text(), err)
			}
			id, _ := rec[ds.idKey].(string)
			r := stored[id]
			if r == nil {
				r = &storedRecord{}
				stored[id] = r
			}
			r.copies++
			if dup, _ := rec["duplicate"].(bool); dup {
				r.duplicate = true
			}
		}
		err = errors.Join(sc.Err(), resp.Body.Close())
		if err != nil {
			t.Fatalf("reading %s: %v", ds.arn, err)
		}
	}
	return stored
}

// check compares the ledger with what is stored and returns the counts.
func (l *crashLedger) check(t *testing.T, stored map[string]*storedRecord) string {
	t.Helper()
	var count [4]int
	var records, foundAcked, missing, partial, refusedStored, doubled int
	statuses := map[int]int{}
	known := map[string]bool{}
	for _, req := range l.requests {
		count[req.outcome]++
		if req.outcome == refused {
			statuses[req.status]++
		}
		present := 0
		for _, id := range req.ids {
			known[id] = true
			if r := stored[id]; r != nil {
				present++
				if r.copies > 1 || r.duplicate {
					doubled++
					t.Errorf("record %s is stored %d times (duplicate: %v)", id, r.copies, r.duplicate)
				}
			}
		}
		records += len(req.ids)
		switch {
		case req.outcome == acked && present == len(req.ids):
			foundAcked++
		case req.outcome == acked:
			missing++
			t.Errorf("request %s was answered 200 but %d of its %d records are stored", req.ids[0], present, len(req.ids))
		case present != 0 && present != len(req.ids):
			partial++
			t.Errorf("request %s (outcome %d) is half stored: %d of %d records", req.ids[0], req.outcome, present, len(req.ids))
		case (req.outcome == refused || req.outcome == notSent) && present > 0:
			refusedStored++
			t.Errorf("request %s was refused (status %d) but is stored", req.ids[0], req.status)
		}
	}
	for id := range stored {
		if !known[id] {
			t.Errorf("record %s is stored but no request sent it", id)
		}
	}
	if count[acked] == 0 {
		t.Error("no request was acknowledged: the load never ran")
	}
	var b strings.Builder
	if l.cycles > 0 {
		fmt.Fprintf(&b, "crash test: %d kill -9 cycles, ", l.cycles)
	}
	fmt.Fprintf(&b, "%d requests (%d records): acked %d, found whole %d, missing %d; refused %d %v; outcome unknown (connection cut or failed write) %d; not sent %d; half-stored %d, refused but stored %d, stored twice %d",
		len(l.requests), records, count[acked], foundAcked, missing, count[refused], statuses, count[unknown], count[notSent], partial, refusedStored, doubled)
	return b.String()
}
