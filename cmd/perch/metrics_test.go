package main

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/personalize"
	"github.com/aws/aws-sdk-go-v2/service/personalizeevents"
	etypes "github.com/aws/aws-sdk-go-v2/service/personalizeevents/types"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// TestServeMetrics serves with --metrics, makes calls with the SDK that
// succeed and fail, and reads them back from /metrics, beside what the
// store committed; the API's address does not serve the metrics.
func TestServeMetrics(t *testing.T) {
	addr := freeAddr(t)
	s := startServer(t, t.TempDir(), "--quickstart", "--metrics", addr)
	m := trackingIDLine.FindStringSubmatch(s.stdout.String())
	if m == nil {
		t.Fatalf("quickstart output lacks the trackingId:\n%s", s.stdout.String())
	}
	creds := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret"}, nil
	})
	events := personalizeevents.New(personalizeevents.Options{
		Region: "eu-west-1", BaseEndpoint: aws.String(s.endpoint), Retryer: aws.NopRetryer{}, Credentials: creds,
	})
	put := func(trackingID string) error {
		_, err := events.PutEvents(context.Background(), &personalizeevents.PutEventsInput{
			TrackingId: aws.String(trackingID), UserId: aws.String("u"), SessionId: aws.String("s"),
			EventList: []etypes.Event{
				{EventType: aws.String("click"), ItemId: aws.String("i1"), SentAt: aws.Time(time.Unix(1700000000, 0))},
				{EventType: aws.String("view"), ItemId: aws.String("i2"), SentAt: aws.Time(time.Unix(1700000001, 0))},
			},
		})
		return err
	}
	for range 3 {
		if err := put(m[1]); err != nil {
			t.Fatal(err)
		}
	}
	var invalid *etypes.InvalidInputException
	if err := put("no-such-tracker"); !errors.As(err, &invalid) {
		t.Fatalf("PutEvents to an unknown tracker: %v, want InvalidInputException", err)
	}
	control := personalize.New(personalize.Options{
		Region: "eu-west-1", BaseEndpoint: aws.String(s.endpoint), Retryer: aws.NopRetryer{}, Credentials: creds,
	})
	if _, err := control.ListDatasetGroups(context.Background(), &personalize.ListDatasetGroupsInput{}); err != nil {
		t.Fatal(err)
	}

	families := scrape(t, "http://"+addr+"/metrics")
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"perch_requests_total", map[string]string{"operation": "PutEvents", "status": "200", "error": ""}, 3},
		{"perch_requests_total", map[string]string{"operation": "PutEvents", "status": "400", "error": "InvalidInputException"}, 1},
		{"perch_requests_total", map[string]string{"operation": "ListDatasetGroups", "status": "200", "error": ""}, 1},
		{"perch_store_committed_batches_total", nil, 3},
		{"perch_store_committed_records_total", nil, 6},
		{"perch_store_commit_groups_failed_total", nil, 0},
		{"perch_store_available", nil, 1},
	} {
		got, ok := value(families, c.name, c.labels)
		if !ok || got != c.want {
			t.Errorf("%s%v = %v (found: %v), want %v", c.name, c.labels, got, ok, c.want)
		}
	}
	if n := histogramCount(families, "perch_request_duration_seconds", "PutEvents"); n != 4 {
		t.Errorf("PutEvents durations observed: %d, want 4", n)
	}
	// The three calls were committed one after the other: three groups,
	// and each call's wait for the writer.
	for _, name := range []string{"perch_store_queue_wait_seconds", "perch_store_group_commit_seconds"} {
		if got := series(families, name, nil); len(got) != 1 || got[0].GetHistogram().GetSampleCount() != 3 {
			t.Errorf("%s: %v, want one histogram of 3 durations", name, got)
		}
	}
	if disk, ok := value(families, "perch_engine_disk_bytes", nil); !ok || disk <= 0 {
		t.Errorf("perch_engine_disk_bytes = %v (found: %v), want > 0", disk, ok)
	}

	resp, err := http.Get(s.endpoint + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		t.Error("the API's address serves the metrics")
	}
}

func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parsing %s: %v", url, err)
	}
	return families
}

// value returns the counter's or gauge's value of the series of name whose
// labels are exactly labels.
func value(families map[string]*dto.MetricFamily, name string, labels map[string]string) (float64, bool) {
	for _, m := range series(families, name, labels) {
		return m.GetCounter().GetValue() + m.GetGauge().GetValue() + m.GetUntyped().GetValue(), true
	}
	return 0, false
}

func histogramCount(families map[string]*dto.MetricFamily, name, operation string) uint64 {
	for _, m := range series(families, name, map[string]string{"operation": operation}) {
		return m.GetHistogram().GetSampleCount()
	}
	return 0
}

func series(families map[string]*dto.MetricFamily, name string, labels map[string]string) []*dto.Metric {
	var out []*dto.Metric
	f := families[name]
	if f == nil {
		return nil
	}
next:
	for _, m := range f.GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		for k, v := range labels {
			if got[k] != v {
				continue next
			}
		}
		if len(got) != len(labels) {
			continue
		}
		out = append(out, m)
	}
	return out
}
