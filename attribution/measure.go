package attribution

import (
	"cmp"
	"context"
	"encoding/json"
	"slices"

	"github.com/perchdev/perch"
)

// measurer computes the metrics of one attribution event by event.
type measurer struct {
	attribution  *perch.Attribution
	exprs        []expression // of attribution.Metrics, in their order
	interactions *perch.Dataset
	items        *perch.Dataset // nil when the group has none
	store        perch.Store
	// itemValues caches the properties of the items read, by item id.
	itemValues map[string]map[string]any
}

// figureKey names one figure of an attribution: a metric by source.
type figureKey struct{ metric, source string }

// measurer returns the measurer of m; nil when m's group has no
// Interactions dataset (any more).
func (s *Service) measurer(ctx context.Context, m *perch.Attribution) (*measurer, error) {
	interactions, _, err := s.schema(ctx, m.GroupARN, perch.Interactions)
	if err != nil || interactions == nil {
		return nil, err
	}
	items, itemSchema, err := s.schema(ctx, m.GroupARN, perch.Items)
	if err != nil {
		return nil, err
	}
	if itemSchema == nil {
		items = nil
	}
	exprs := make([]expression, len(m.Metrics))
	for i, x := range m.Metrics {
		if exprs[i], err = parseExpression(x.Expression); err != nil {
			return nil, err
		}
	}
	return &measurer{attribution: m, exprs: exprs, interactions: interactions, items: items, store: s.store,
		itemValues: map[string]map[string]any{}}, nil
}

// measure calls add with each metric's value for event e, of the source
// given, for the metrics of e's type.
func (ms *measurer) measure(ctx context.Context, e *perch.Event, source string, add func(figureKey, float64)) error {
	var props map[string]any
	for i, x := range ms.attribution.Metrics {
		if x.EventType != e.EventType {
			continue
		}
		v := 1.0
		switch ms.exprs[i].dataset {
		case perch.Interactions:
			if ms.exprs[i].column == "EVENT_VALUE" {
				v = 0
				if e.EventValue != nil {
					v = *e.EventValue
				}
				break
			}
			if props == nil && e.Properties != "" {
				_ = json.Unmarshal([]byte(e.Properties), &props)
			}
			v = number(props[perch.CamelCase(ms.exprs[i].column)])
		case perch.Items:
			var err error
			if v, err = ms.itemValue(ctx, e.ItemID, ms.exprs[i].column); err != nil {
				return err
			}
		}
		add(figureKey{x.MetricName, source}, v)
	}
	return nil
}

// itemValue is the number in column of item id's record; 0 without one.
func (ms *measurer) itemValue(ctx context.Context, id, column string) (float64, error) {
	if ms.items == nil {
		return 0, nil
	}
	props, ok := ms.itemValues[id]
	if !ok {
		err := ms.store.Entities(ctx, ms.items.ID, perch.RecordQuery{ID: id}, func(e *perch.Entity) error {
			return json.Unmarshal([]byte(e.Properties), &props)
		})
		if err != nil {
			return 0, err
		}
		ms.itemValues[id] = props
	}
	return number(props[perch.CamelCase(column)]), nil
}

// values are the figures of sums as the report gives them: of the
// attribution's metrics only, sorted by metric then source.
func (ms *measurer) values(sums map[figureKey]float64) []perch.MetricValue {
	var out []perch.MetricValue
	for k, v := range sums {
		i := slices.IndexFunc(ms.attribution.Metrics, func(x perch.MetricAttribute) bool { return x.MetricName == k.metric })
		if i < 0 {
			continue
		}
		out = append(out, perch.MetricValue{MetricName: k.metric, EventType: ms.attribution.Metrics[i].EventType, Function: ms.exprs[i].function(),
			Source: k.source, Value: v})
	}
	slices.SortFunc(out, func(a, b perch.MetricValue) int {
		return cmp.Or(cmp.Compare(a.MetricName, b.MetricName), cmp.Compare(a.Source, b.Source))
	})
	return out
}

// hasMetric reports whether the attribution has a metric of that name.
func (ms *measurer) hasMetric(name string) bool {
	return slices.ContainsFunc(ms.attribution.Metrics, func(x perch.MetricAttribute) bool { return x.MetricName == name })
}
