package metrics

import (
	"testing"
	"time"

	"github.com/perchdev/perch"
)

func TestWatchTraining(t *testing.T) {
	var h perch.TrainingHistogram
	h.Observe(3 * time.Second)
	h.Observe(40 * time.Second)
	h.Observe(24 * time.Hour)
	m := New()
	m.WatchTraining(func() perch.TrainingStats {
		return perch.TrainingStats{Running: 2, Waiting: 5, Finished: map[string]uint64{perch.StatusActive: 3},
			Durations: map[string]perch.TrainingHistogram{"aws-user-personalization-v2": h}}
	})
	families := gather(t, m)
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"perch_trainings_running", nil, 2},
		{"perch_trainings_waiting", nil, 5},
		{"perch_trainings_finished_total", map[string]string{"status": "ACTIVE"}, 3},
		{"perch_trainings_finished_total", map[string]string{"status": "CREATE FAILED"}, 0},
		{"perch_trainings_finished_total", map[string]string{"status": "CREATE STOPPED"}, 0},
	} {
		m := find(t, families, c.name, c.labels)
		if got := m.GetCounter().GetValue() + m.GetGauge().GetValue(); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	hist := find(t, families, "perch_training_duration_seconds", map[string]string{"recipe": "aws-user-personalization-v2"}).GetHistogram()
	if hist.GetSampleCount() != 3 || hist.GetSampleSum() != (24*time.Hour+43*time.Second).Seconds() {
		t.Errorf("duration histogram: %d samples, sum %v", hist.GetSampleCount(), hist.GetSampleSum())
	}
	want := map[float64]uint64{1: 0, 5: 1, 30: 1, 60: 2, 43200: 2}
	for _, b := range hist.GetBucket() {
		if n, ok := want[b.GetUpperBound()]; ok && b.GetCumulativeCount() != n {
			t.Errorf("bucket le=%v: %d, want %d", b.GetUpperBound(), b.GetCumulativeCount(), n)
		}
	}

	// A store that cannot count its waiting versions leaves the gauge out.
	m = New()
	m.WatchTraining(func() perch.TrainingStats { return perch.TrainingStats{Waiting: -1} })
	if _, ok := gather(t, m)["perch_trainings_waiting"]; ok {
		t.Error("perch_trainings_waiting reported while unknown")
	}
}

func TestWatchRuntime(t *testing.T) {
	key := perch.RuntimeKey{Operation: "GetRecommendations", ARN: "arn:aws:personalize:us-east-1:111122223333:campaign/shop"}
	m := New()
	m.WatchRuntime(func() perch.RuntimeStats {
		return perch.RuntimeStats{
			Answers: map[perch.RuntimeKey]uint64{key: 4}, Items: map[perch.RuntimeKey]uint64{key: 100},
			Filtered: map[string]uint64{"arn:aws:personalize:us-east-1:111122223333:filter/f": 1},
			Campaigns: []perch.ServedCampaign{
				{ARN: key.ARN, Version: "arn:aws:personalize:us-east-1:111122223333:solution/s/1", Recipe: "aws-popularity-count", ModelBytes: 2048},
				{ARN: "arn:aws:personalize:us-east-1:111122223333:campaign/unloaded", Version: "v"},
			},
			Active: 2, Updates: 3, FailedUpdates: 1,
		}
	})
	families := gather(t, m)
	resource := map[string]string{"operation": key.Operation, "resource": key.ARN}
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"perch_runtime_answers_total", resource, 4},
		{"perch_runtime_items_total", resource, 100},
		{"perch_runtime_filtered_answers_total", map[string]string{"filter": "arn:aws:personalize:us-east-1:111122223333:filter/f"}, 1},
		{"perch_runtime_model_bytes", map[string]string{"resource": key.ARN, "version": "arn:aws:personalize:us-east-1:111122223333:solution/s/1",
			"recipe": "aws-popularity-count"}, 2048},
		{"perch_campaigns_active", nil, 2},
		{"perch_runtime_auto_updates_total", nil, 3},
		{"perch_runtime_auto_updates_failed_total", nil, 1},
	} {
		m := find(t, families, c.name, c.labels)
		if got := m.GetCounter().GetValue() + m.GetGauge().GetValue(); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if n := len(families["perch_runtime_model_bytes"].GetMetric()); n != 1 {
		t.Errorf("model sizes of %d campaigns, want only the loaded one's", n)
	}
}
