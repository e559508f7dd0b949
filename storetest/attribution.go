package storetest

import (
	"testing"

	"github.com/perchdev/perch"
)

// testMetricAttributionRules: a metric attribution needs its group stored;
// a group has one at most (LimitExceededException), another account's and
// another group's do not count; an update replaces it but may not move
// it; it is deleted once, and goes with its group.
func testMetricAttributionRules(t *testing.T, h Harness) {
	s := openFresh(t, h)
	ctx, r := t.Context(), s.Resources()
	g, h2, other := s.group(account, "g", ""), s.group(account, "h", ""), s.group(otherAccount, "g", "")
	attribution := func(acct string, group *perch.DatasetGroup, name string) *perch.Attribution {
		return &perch.Attribution{ARN: arnIn(acct, "metric-attribution/"+name), Name: name, GroupARN: group.ARN,
			Metrics:      []perch.MetricAttribute{{EventType: "click", MetricName: "clicks", Expression: "SAMPLECOUNT()"}},
			OutputConfig: perch.MetricAttributionOutput{RoleARN: "arn:aws:iam::" + acct + ":role/r"}, Status: perch.StatusActive,
			Created: 1700000000000, Updated: 1700000000000}
	}
	missing := arn("dataset-group/missing")
	wantError(t, "CreateMetricAttribution in a missing group",
		r.CreateMetricAttribution(ctx, attribution(account, &perch.DatasetGroup{ARN: missing}, "lost")), perch.EResourceNotFound, missing)
	m := attribution(account, g, "m")
	for _, a := range []*perch.Attribution{m, attribution(account, h2, "n"), attribution(otherAccount, other, "m")} {
		if err := r.CreateMetricAttribution(ctx, a); err != nil {
			t.Fatalf("CreateMetricAttribution %s: %v", a.ARN, err)
		}
	}
	wantError(t, "a second attribution in a group", r.CreateMetricAttribution(ctx, attribution(account, g, "m2")), perch.ELimitExceeded, g.ARN)
	wantError(t, "a taken ARN", r.CreateMetricAttribution(ctx, attribution(account, s.group(account, "k", ""), "m")), perch.EResourceAlreadyExists, m.ARN)

	m.Metrics = append(m.Metrics, perch.MetricAttribute{EventType: "buy", MetricName: "revenue", Expression: "SUM(Items.PRICE)"})
	if err := r.UpdateMetricAttribution(ctx, m); err != nil {
		t.Fatal(err)
	}
	if got, err := r.MetricAttribution(ctx, m.ARN); err != nil || len(got.Metrics) != 2 || got.Metrics[1].Expression != "SUM(Items.PRICE)" {
		t.Errorf("MetricAttribution after an update = %+v, %v", got, err)
	}
	moved := *m
	moved.GroupARN = h2.ARN
	wantError(t, "an update moving it", r.UpdateMetricAttribution(ctx, &moved), perch.EInvalidInput, m.ARN)
	if all, err := r.MetricAttributions(ctx); err != nil || len(all) != 3 {
		t.Errorf("MetricAttributions = %d, %v; want 3", len(all), err)
	}
	if err := r.DeleteMetricAttribution(ctx, m.ARN); err != nil {
		t.Fatal(err)
	}
	wantError(t, "deleting it again", r.DeleteMetricAttribution(ctx, m.ARN), perch.EResourceNotFound, m.ARN)
	if err := r.DeleteDatasetGroup(ctx, h2.ARN); err != nil {
		t.Fatalf("deleting a group with a metric attribution: %v", err)
	}
	if _, err := r.MetricAttribution(ctx, arn("metric-attribution/n")); perch.ErrorCode(err) != perch.EResourceNotFound {
		t.Errorf("the deleted group's attribution: %v, want not found", err)
	}
}
