package attribution

import (
	"context"

	"github.com/perchdev/perch"
)

// sources names the source each event of a group is attributed to, as AWS
// does: the event's own eventAttributionSource; else the campaign or
// recommender that made its recommendationId; else UndefinedSource. It
// names at most perch.MaxAttributionSources sources, the first it meets,
// and counts any further one as undefined.
type sources struct {
	byTag map[string]string // source tag -> campaign or recommender ARN
	named map[string]bool
}

// sourcesOf reads the campaigns and recommenders of a group that a
// recommendationId may name. Those deleted are gone from the store, so
// that the events of their answers count as undefined.
func sourcesOf(ctx context.Context, rs perch.ResourceStore, groupARN string) (*sources, error) {
	src := &sources{byTag: map[string]string{}, named: map[string]bool{}}
	campaigns, err := rs.Campaigns(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range campaigns {
		if c.GroupARN == groupARN {
			src.byTag[perch.SourceTag(c.ARN)] = c.ARN
		}
	}
	sols, err := rs.Solutions(ctx)
	if err != nil {
		return nil, err
	}
	for _, s := range sols {
		if s.IsRecommender() && s.GroupARN == groupARN {
			src.byTag[perch.SourceTag(s.ARN)] = s.ARN
		}
	}
	return src, nil
}

// of returns the source of an event.
func (src *sources) of(e *perch.Event) string {
	name := ""
	if e.MetricAttribution != nil {
		name = e.MetricAttribution.EventAttributionSource
	}
	if name == "" && e.RecommendationID != "" {
		if tag, ok := perch.RecommendationSourceTag(e.RecommendationID); ok {
			name = src.byTag[tag]
		}
	}
	switch {
	case name == "" || name == perch.UndefinedSource:
		return perch.UndefinedSource
	case src.named[name]:
		return name
	case len(src.named) >= perch.MaxAttributionSources:
		return perch.UndefinedSource
	}
	src.named[name] = true
	return name
}
