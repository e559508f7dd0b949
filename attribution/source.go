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
	tags, err := readSourceTags(ctx, rs)
	if err != nil {
		return err
	}
	src.set(tags[groupARN])
	return nil
}

// set makes byTag the tags the sources know.
func (src *sources) set(byTag map[string]string) {
	if byTag == nil {
		byTag = map[string]string{}
	}
	src.byTag, src.gone = byTag, map[string]bool{}
}

// readSourceTags reads the tags of every campaign and recommender: by
// group ARN, tag -> the campaign's or recommender's ARN.
func readSourceTags(ctx context.Context, rs perch.ResourceStore) (map[string]map[string]string, error) {
	campaigns, err := rs.Campaigns(ctx)
	if err != nil {
		return nil, err
	}
	sols, err := rs.Solutions(ctx)
	if err != nil {
		return nil, err
	}
	tags := map[string]map[string]string{}
	add := func(group, arn string) {
		if tags[group] == nil {
			tags[group] = map[string]string{}
		}
		tags[group][perch.SourceTag(arn)] = arn
	}
	for _, c := range campaigns {
		add(c.GroupARN, c.ARN)
	}
	for _, s := range sols {
		if s.IsRecommender() {
			add(s.GroupARN, s.ARN)
		}
	}
	return tags, nil
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
