package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/perchdev/perch"
)

// WatchTraining adds the trainer's figures, read from stats at every
// scrape: trainings running here and waiting in the store, trainings
// finished by status, and how long the ACTIVE ones took by recipe.
func (m *Metrics) WatchTraining(stats func() perch.TrainingStats) {
	m.reg.MustRegister(trainingCollector{stats})
}

// WatchRuntime adds the runtime's figures, read from stats at every
// scrape: answers and their items by operation and campaign (or
// recommender), answers through each filter, the size of each served
// model, the campaigns ACTIVE in the store, and the automatic updates.
func (m *Metrics) WatchRuntime(stats func() perch.RuntimeStats) {
	m.reg.MustRegister(runtimeCollector{stats})
}

var (
	trainingsRunning = prometheus.NewDesc("perch_trainings_running",
		"Solution versions this node trains now.", nil, nil)
	trainingsWaiting = prometheus.NewDesc("perch_trainings_waiting",
		"Solution versions waiting in the store for a trainer (CREATE PENDING), every node's; absent while the store cannot say.", nil, nil)
	trainingsFinished = prometheus.NewDesc("perch_trainings_finished_total",
		"Trainings this node finished, by the status the version ended in (ACTIVE, CREATE FAILED, CREATE STOPPED).",
		[]string{"status"}, nil)
	trainingDuration = prometheus.NewDesc("perch_training_duration_seconds",
		"How long each of this node's ACTIVE trainings took, from its start to its model kept, by recipe.",
		[]string{"recipe"}, nil)

	runtimeAnswers = prometheus.NewDesc("perch_runtime_answers_total",
		"Runtime API calls answered with recommendations, by operation and the ARN of the campaign or recommender that served them.",
		[]string{"operation", "resource"}, nil)
	runtimeItems = prometheus.NewDesc("perch_runtime_items_total",
		"Items (or actions) the runtime's answers carried, each scored and placed by the model, by operation and campaign or recommender.",
		[]string{"operation", "resource"}, nil)
	runtimeFiltered = prometheus.NewDesc("perch_runtime_filtered_answers_total",
		"Runtime answers that applied a filter, by the filter's ARN.",
		[]string{"filter"}, nil)
	runtimeModelBytes = prometheus.NewDesc("perch_runtime_model_bytes",
		"Size of the model each campaign or recommender this node served is serving, while it is loaded (its serialized form, "+
			"close to what it holds in memory), with the version and its recipe.",
		[]string{"resource", "version", "recipe"}, nil)
	campaignsActive = prometheus.NewDesc("perch_campaigns_active",
		"Campaigns ACTIVE in the store, every account's; absent while the store cannot say.", nil, nil)
	autoUpdates = prometheus.NewDesc("perch_runtime_auto_updates_total",
		"Automatic updates (AWS's two-hourly ones, --auto-update) of the models this node serves that ended, failed ones included.", nil, nil)
	autoUpdatesFailed = prometheus.NewDesc("perch_runtime_auto_updates_failed_total",
		"Automatic updates of served models that failed; the model served stays as it was.", nil, nil)
)

// trainingCollector turns perch.TrainingStats into metrics when scraped.
type trainingCollector struct{ stats func() perch.TrainingStats }

func (c trainingCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{trainingsRunning, trainingsWaiting, trainingsFinished, trainingDuration} {
		ch <- d
	}
}

func (c trainingCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.stats()
	ch <- prometheus.MustNewConstMetric(trainingsRunning, prometheus.GaugeValue, float64(st.Running))
	if st.Waiting >= 0 {
		ch <- prometheus.MustNewConstMetric(trainingsWaiting, prometheus.GaugeValue, float64(st.Waiting))
	}
	// Each status is there from the start, so that rate() sees the first.
	for _, status := range []string{perch.StatusActive, perch.StatusCreateFailed, perch.StatusCreateStopped} {
		ch <- prometheus.MustNewConstMetric(trainingsFinished, prometheus.CounterValue, float64(st.Finished[status]), status)
	}
	for name, h := range st.Durations {
		buckets := make(map[float64]uint64, len(perch.TrainingBounds))
		var n uint64
		for i, bound := range perch.TrainingBounds {
			n += h.Counts[i]
			buckets[bound.Seconds()] = n
		}
		n += h.Counts[len(perch.TrainingBounds)]
		ch <- prometheus.MustNewConstHistogram(trainingDuration, n, h.Sum.Seconds(), buckets, name)
	}
}

// runtimeCollector turns perch.RuntimeStats into metrics when scraped.
type runtimeCollector struct{ stats func() perch.RuntimeStats }

func (c runtimeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{runtimeAnswers, runtimeItems, runtimeFiltered, runtimeModelBytes, campaignsActive, autoUpdates, autoUpdatesFailed} {
		ch <- d
	}
}

func (c runtimeCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.stats()
	for key, n := range st.Answers {
		ch <- prometheus.MustNewConstMetric(runtimeAnswers, prometheus.CounterValue, float64(n), key.Operation, key.ARN)
		ch <- prometheus.MustNewConstMetric(runtimeItems, prometheus.CounterValue, float64(st.Items[key]), key.Operation, key.ARN)
	}
	for arn, n := range st.Filtered {
		ch <- prometheus.MustNewConstMetric(runtimeFiltered, prometheus.CounterValue, float64(n), arn)
	}
	for _, s := range st.Campaigns {
		if s.ModelBytes > 0 {
			ch <- prometheus.MustNewConstMetric(runtimeModelBytes, prometheus.GaugeValue, float64(s.ModelBytes), s.ARN, s.Version, s.Recipe)
		}
	}
	if st.Active >= 0 {
		ch <- prometheus.MustNewConstMetric(campaignsActive, prometheus.GaugeValue, float64(st.Active))
	}
	ch <- prometheus.MustNewConstMetric(autoUpdates, prometheus.CounterValue, float64(st.Updates))
	ch <- prometheus.MustNewConstMetric(autoUpdatesFailed, prometheus.CounterValue, float64(st.FailedUpdates))
}
