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
	// gone holds tags of ids perch made that the last read did not find,
	// though it began after their events arrived: campaigns deleted.
	gone map[string]bool
}

// sourcesOf reads the campaigns and recommenders of a group that a
// recommendationId may name. Those deleted are gone from the store, so
// that the events of their answers count as undefined.
func sourcesOf(ctx context.Context, rs perch.ResourceStore, groupARN string) (*sources, error) {
	src := &sources{named: map[string]bool{}}
	return src, src.read(ctx, rs, groupARN)
}

// read reads the tags of the group's campaigns and recommenders again.
func (src *sources) read(ctx context.Context, rs perch.ResourceStore, groupARN string) error {
	campaigns, err := rs.Campaigns(ctx)
	if err != nil {
		return err
	}
	sols, err := rs.Solutions(ctx)
	if err != nil {
		return err
	}
	byTag := map[string]string{}
	for _, c := range campaigns {
		if c.GroupARN == groupARN {
			byTag[perch.SourceTag(c.ARN)] = c.ARN
		}
	}
	for _, s := range sols {
		if s.IsRecommender() && s.GroupARN == groupARN {
			byTag[perch.SourceTag(s.ARN)] = s.ARN
		}
	}
	src.byTag, src.gone = byTag, map[string]bool{}
	return nil
}

// unknown returns the tag of e's recommendationId when e is attributed
// by it, perch made it, and its campaign or recommender is not among
// those read.
func (src *sources) unknown(e *perch.Event) (string, bool) {
	if e.MetricAttribution != nil && e.MetricAttribution.EventAttributionSource != "" {
		return "", false
	}
	tag, ok := perch.RecommendationSourceTag(e.RecommendationID)
	return tag, ok && src.byTag[tag] == ""
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
