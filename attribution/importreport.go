package attribution

import (
	"cmp"
	"context"
	"encoding/csv"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/perchdev/perch"
)

// reportInterval is the width of an import report's intervals, in
// milliseconds: AWS's 15 minutes.
const reportInterval = 15 * 60 * 1000

var _ perch.ImportReporter = (*Service)(nil)

// ImportReport implements perch.ImportReporter.
func (s *Service) ImportReport(ctx context.Context, j *perch.DatasetImportJob, d *perch.Dataset) (perch.ImportReport, error) {
	if !j.PublishToS3 || d.Type != perch.Interactions {
		return nil, nil
	}
	all, err := s.rs.MetricAttributions(ctx)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(all, func(m *perch.Attribution) bool { return m.GroupARN == d.GroupARN })
	if i < 0 || all[i].OutputConfig.S3DataDestination == nil || all[i].OutputConfig.S3DataDestination.Path == "" {
		return nil, nil
	}
	m := all[i]
	ms, err := s.measurer(ctx, m)
	if err != nil || ms == nil {
		return nil, err
	}
	src, err := sourcesOf(ctx, s.rs, m.GroupARN)
	if err != nil {
		return nil, err
	}
	return &importReport{ms: ms, src: src, mode: j.ImportMode, now: s.now, sums: map[intervalKey]float64{}}, nil
}

// importReport implements perch.ImportReport.
type importReport struct {
	ms   *measurer
	src  *sources
	mode perch.ImportMode
	now  func() perch.Timestamp
	sums map[intervalKey]float64
}

// intervalKey names one row of an import report.
type intervalKey struct {
	figureKey
	start int64 // the interval's start, epoch seconds
}

func (r *importReport) Add(ctx context.Context, events []perch.Event) error {
	for i := range events {
		e := &events[i]
		// Intervals start on multiples of 15 minutes, before 1970 too.
		start := int64(e.SentAt) - (int64(e.SentAt)%reportInterval+reportInterval)%reportInterval
		err := r.ms.measure(ctx, e, r.src.of(e), func(k figureKey, v float64) {
			r.sums[intervalKey{k, start / 1000}] += v
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// Location names the report by the time it is asked, in epoch
// milliseconds: AWS does not say how it writes that time, and two
// imports of a group a second apart must not overwrite each other.
func (r *importReport) Location() string {
	path := r.ms.attribution.OutputConfig.S3DataDestination.Path
	if !strings.HasSuffix(path, "/") {
		path += "/"
	}
	return path + "AggregatedAttributionMetrics - " + string(r.mode) + " - " + strconv.FormatInt(int64(r.now()), 10) + ".csv"
}

// WriteCSV writes the rows by interval, then metric, then source, as
// AWS's example does: VALUE with a decimal point, MATH_FUNCTION in lower
// case.
func (r *importReport) WriteCSV(w io.Writer) error {
	keys := make([]intervalKey, 0, len(r.sums))
	for k := range r.sums {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b intervalKey) int {
		return cmp.Or(cmp.Compare(a.start, b.start), cmp.Compare(a.metric, b.metric), cmp.Compare(a.source, b.source))
	})
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"METRIC_NAME", "EVENT_TYPE", "VALUE", "MATH_FUNCTION", "EVENT_ATTRIBUTION_SOURCE", "TIMESTAMP"}); err != nil {
		return err
	}
	metrics := r.ms.attribution.Metrics
	for _, k := range keys {
		i := slices.IndexFunc(metrics, func(x perch.MetricAttribute) bool { return x.MetricName == k.metric })
		value := strconv.FormatFloat(r.sums[k], 'f', -1, 64)
		if !strings.ContainsAny(value, ".eE") {
			value += ".0"
		}
		row := []string{k.metric, metrics[i].EventType, value, strings.ToLower(r.ms.exprs[i].function()), k.source, strconv.FormatInt(k.start, 10)}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
