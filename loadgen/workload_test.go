package loadgen

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
)

// putEventsBody is a PutEvents request as the model shapes it.
type putEventsBody struct {
	TrackingID string `json:"trackingId"`
	UserID     string `json:"userId"`
	SessionID  string `json:"sessionId"`
	EventList  []struct {
		EventID           string      `json:"eventId"`
		EventType         string      `json:"eventType"`
		EventValue        *float64    `json:"eventValue"`
		ItemID            string      `json:"itemId"`
		Properties        string      `json:"properties"`
		SentAt            json.Number `json:"sentAt"`
		RecommendationID  string      `json:"recommendationId"`
		Impression        []string    `json:"impression"`
		MetricAttribution *struct {
			EventAttributionSource string `json:"eventAttributionSource"`
		} `json:"metricAttribution"`
	} `json:"eventList"`
}

// decodeEvents parses a generated PutEvents body.
func decodeEvents(t *testing.T, body []byte) putEventsBody {
	t.Helper()
	var req putEventsBody
	if err := json.Unmarshal(body, &req); err != nil {
		t.Fatalf("generated body is not JSON: %v\n%s", err, body)
	}
	return req
}

func testWorkload() Workload {
	w := DefaultWorkload()
	w.TrackingID = "tracking-1"
	w.ItemsDataset = "arn:aws:personalize:us-east-1:000000000000:dataset/g/ITEMS"
	w.UsersDataset = "arn:aws:personalize:us-east-1:000000000000:dataset/g/USERS"
	return w
}

func TestZipfChoiceOfUsers(t *testing.T) {
	w := testWorkload()
	w.Users = 1000
	w.AnonymousRate = 0
	w.BatchMin, w.BatchMax, w.Impressions, w.Properties = 1, 1, 0, false
	g := newGenerator(&w, "run", 0, 7)
	const calls = 100_000
	counts := make([]int, w.Users)
	for range calls {
		req := decodeEvents(t, g.next(time.Unix(1700000000, 0)).body)
		n, err := strconv.Atoi(strings.TrimPrefix(req.UserID, "user-"))
		if err != nil || n < 0 || n >= w.Users {
			t.Fatalf("userId %q is not one of the %d users", req.UserID, w.Users)
		}
		if !strings.HasPrefix(req.SessionID, "session-"+strconv.Itoa(n)+"-") {
			t.Fatalf("session %q does not belong to %s", req.SessionID, req.UserID)
		}
		counts[n]++
	}
	// P(rank k) is proportional to (1+k)^-s; compare the most popular
	// ranks with it.
	var norm float64
	for k := range w.Users {
		norm += math.Pow(float64(1+k), -w.Zipf)
	}
	for _, k := range []int{0, 1, 2, 9} {
		want := calls * math.Pow(float64(1+k), -w.Zipf) / norm
		if got := float64(counts[k]); math.Abs(got-want) > 0.1*want {
			t.Errorf("user-%d drawn %.0f times in %d, want about %.0f", k, got, calls, want)
		}
	}
	if counts[0] < 10*counts[99] {
		t.Errorf("the choice is not skewed: user-0 %d times, user-99 %d times", counts[0], counts[99])
	}
}

func TestDuplicateRate(t *testing.T) {
	for _, rate := range []float64{0, 0.01, 0.2} {
		w := testWorkload()
		w.DuplicateRate = rate
		seen := map[string]bool{}
		var events, repeats, reported int64
		for worker := range 2 {
			g := newGenerator(&w, "run", worker, 1)
			for range 2000 {
				for _, e := range decodeEvents(t, g.next(time.Unix(1700000000, 0)).body).EventList {
					events++
					if seen[e.EventID] {
						repeats++
					}
					seen[e.EventID] = true
				}
			}
			if g.events != 20_000 {
				t.Errorf("worker %d counted %d events, sent 20000", worker, g.events)
			}
			reported += g.duplicates
		}
		if repeats != reported {
			t.Errorf("rate %g: %d eventIds repeat, the generator counted %d", rate, repeats, reported)
		}
		got := float64(repeats) / float64(events)
		if math.Abs(got-rate) > 0.1*rate+0.001 {
			t.Errorf("rate %g: %.4f of eventIds repeat", rate, got)
		}
	}
}

func TestBodiesAreWellFormed(t *testing.T) {
	w := testWorkload()
	w.Mix = Mix{PutEvents: 1, PutItems: 1, PutUsers: 1}
	w.BatchMin, w.BatchMax = 1, 10
	w.AnonymousRate = 0.5
	g := newGenerator(&w, "run", 3, 1)
	sizes := map[int]int{}
	kinds := map[Kind]int{}
	anonymous := 0
	for range 3000 {
		r := g.next(time.UnixMilli(1700000000123))
		kinds[r.kind]++
		sizes[r.records]++
		switch r.kind {
		case PutEvents:
			req := decodeEvents(t, r.body)
			if len(req.EventList) != r.records || req.TrackingID != w.TrackingID || req.SessionID == "" {
				t.Fatalf("PutEvents body does not match its request: %s", r.body)
			}
			if req.UserID == "" {
				anonymous++
			}
			for _, e := range req.EventList {
				var props map[string]any
				if err := json.Unmarshal([]byte(e.Properties), &props); err != nil || len(props) != 3 {
					t.Fatalf("properties %q: %v", e.Properties, err)
				}
				if e.SentAt != "1700000000.123" || len(e.Impression) != w.Impressions || e.RecommendationID == "" {
					t.Fatalf("event %+v", e)
				}
				if (e.EventType == "purchase") != (e.EventValue != nil) {
					t.Fatalf("eventValue goes with purchases only: %+v", e)
				}
			}
		case PutItems, PutUsers:
			var req struct {
				DatasetARN string            `json:"datasetArn"`
				Items      []json.RawMessage `json:"items"`
				Users      []json.RawMessage `json:"users"`
			}
			if err := json.Unmarshal(r.body, &req); err != nil {
				t.Fatalf("%s body: %v\n%s", r.kind, err, r.body)
			}
			if n := len(req.Items) + len(req.Users); n != r.records {
				t.Fatalf("%s body has %d records, want %d", r.kind, n, r.records)
			}
		}
	}
	for k := range numKinds {
		if kinds[k] < 900 {
			t.Errorf("%s: %d of 3000 calls, want about a third", k, kinds[k])
		}
	}
	for n := 1; n <= 10; n++ {
		if sizes[n] < 200 {
			t.Errorf("batches of %d: %d of 3000, want about a tenth", n, sizes[n])
		}
	}
	if anonymous < 350 || anonymous > 650 {
		t.Errorf("%d anonymous PutEvents calls, want about half of about 1000", anonymous)
	}
}

func TestEpochSeconds(t *testing.T) {
	for ms, want := range map[int64]string{
		1700000000000: "1700000000",
		1700000000005: "1700000000.005",
		1700000000120: "1700000000.120",
		1700000000999: "1700000000.999",
	} {
		if got := string(appendEpochSeconds(nil, time.UnixMilli(ms))); got != want {
			t.Errorf("%d ms: %s, want %s", ms, got, want)
		}
	}
}

func TestAppendString(t *testing.T) {
	for _, s := range []string{"", "plain", `{"a":"b\c"}`, "tab\tnew\nline\x01", "ünïcode"} {
		var back string
		if err := json.Unmarshal(appendString(nil, s), &back); err != nil || back != s {
			t.Errorf("%q round-trips as %q (%v)", s, back, err)
		}
	}
}

func TestParseMix(t *testing.T) {
	m, err := ParseMix("events=90, items=5,users=5")
	if err != nil || m != (Mix{90, 5, 5}) || m.String() != "events=90,items=5,users=5" {
		t.Errorf("ParseMix = %v, %v", m, err)
	}
	for _, bad := range []string{"", "events", "events=-1", "events=0", "actions=1", "events=x"} {
		if _, err := ParseMix(bad); err == nil {
			t.Errorf("ParseMix(%q) accepted", bad)
		}
	}
}

func TestParseBatch(t *testing.T) {
	for s, want := range map[string][2]int{"10": {10, 10}, "1-10": {1, 10}, "3-3": {3, 3}} {
		lo, hi, err := ParseBatch(s)
		if err != nil || lo != want[0] || hi != want[1] {
			t.Errorf("ParseBatch(%q) = %d, %d, %v", s, lo, hi, err)
		}
	}
	for _, bad := range []string{"0", "11", "5-2", "1-11", "x", "1-"} {
		if _, _, err := ParseBatch(bad); err == nil {
			t.Errorf("ParseBatch(%q) accepted", bad)
		}
	}
}

// BenchmarkGenerate is the generator's cost of one full PutEvents body.
func BenchmarkGenerate(b *testing.B) {
	w := testWorkload()
	g := newGenerator(&w, "run", 0, 1)
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		b.SetBytes(int64(len(g.next(now).body)))
	}
}

// TestBodies: a worker's calls from NewBodies are the ones Run's worker
// of the same run sends.
func TestBodies(t *testing.T) {
	w := testWorkload()
	w.Mix = Mix{PutEvents: 2, PutItems: 1, PutUsers: 1}
	now := time.Unix(1700000000, 0)
	b := NewBodies(w, "run", 3, 7)
	g := newGenerator(&w, "run", 3, 7)
	for i := range 20 {
		kind, body, records := b.Next(now)
		r := g.next(now)
		if kind != r.kind || string(body) != string(r.body) || records != r.records {
			t.Fatalf("call %d: %s of %d records %s; the worker sends %s of %d records %s", i, kind, records, body, r.kind, r.records, r.body)
		}
	}
}
