package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/perchdev/perch"
)

// AttributionFigures keeps the metric attributions' figures as events
// arrive (attribution.Tally), so that a scrape reads no stored event.
type AttributionFigures interface {
	// Figures returns each attribution's figures, by its ARN.
	Figures() map[string][]perch.MetricValue
	// Dropped is how many events were left uncounted because the figures
	// fell behind the events.
	Dropped() uint64
}

// WatchAttributions adds the metric attributions' figures, read from f
// at every scrape.
func (m *Metrics) WatchAttributions(f AttributionFigures) {
	m.reg.MustRegister(attributionCollector{f})
}

var (
	attributionValue = prometheus.NewDesc("perch_metric_attribution_value_total",
		"Each metric attribution's metric over the events this node accepted through PutEvents since it started (those sent "+
			"since the attribution was created, from when the node knew of it; events that repeat an eventId included; "+
			"bulk imports not): SAMPLECOUNT counts them, SUM adds the metric's column, by source (eventAttributionSource, "+
			"else the campaign or recommender ARN of the recommendationId, else SOURCE_NAME_UNDEFINED). Summed over nodes "+
			"it is the cluster's; a SUM of a column with negative values can fall. GET /_perch/metric-attribution reports "+
			"every stored event.",
		[]string{"metric_attribution", "metric", "event_type", "function", "source"}, nil)
	attributionDropped = prometheus.NewDesc("perch_metric_attribution_dropped_events_total",
		"Events of attributed dataset groups this node accepted but left out of perch_metric_attribution_value_total "+
			"because its queue of events to measure was full.",
		nil, nil)
)

// attributionCollector turns the figures into metrics when scraped.
type attributionCollector struct{ f AttributionFigures }

func (c attributionCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- attributionValue
	ch <- attributionDropped
}

func (c attributionCollector) Collect(ch chan<- prometheus.Metric) {
	for arn, values := range c.f.Figures() {
		for _, v := range values {
			ch <- prometheus.MustNewConstMetric(attributionValue, prometheus.CounterValue, v.Value,
				arn, v.MetricName, v.EventType, v.Function, v.Source)
		}
	}
	ch <- prometheus.MustNewConstMetric(attributionDropped, prometheus.CounterValue, float64(c.f.Dropped()))
}
