package solutions_test

import (
	"fmt"
	"testing"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/solutions"
)

const itemsSchema = `{"type":"record","name":"Items","namespace":"com.amazonaws.personalize.schema","fields":[` +
	`{"name":"ITEM_ID","type":"string"},{"name":"GENRE","type":["null","string"],"categorical":true},` +
	`{"name":"PRICE","type":["null","float"]},{"name":"DESCRIPTION","type":["null","string"],"textual":true}],"version":"1.0"}`

// withItems gives the env's group an Items dataset.
func (e *env) withItems() {
	e.t.Helper()
	sc, err := e.cat.CreateSchema(e.ctx, perch.CreateSchemaInput{Name: "items", Definition: itemsSchema})
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.cat.CreateDataset(e.ctx, perch.CreateDatasetInput{Name: "items", SchemaARN: sc.ARN, GroupARN: e.group.ARN, Type: "Items"}); err != nil {
		e.t.Fatal(err)
	}
}

func TestFilterLifeCycle(t *testing.T) {
	e := newEnv(t, solutions.Options{})
	e.withItems()
	const expression = `INCLUDE ItemID WHERE Items.GENRE IN ($GENRE) | EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase")`
	f, err := e.s.CreateFilter(e.ctx, perch.CreateFilterInput{Name: "genre", GroupARN: e.group.ARN, Expression: expression,
		Tags: []perch.Tag{{Key: "team", Value: "web"}}})
	if err != nil {
		t.Fatal(err)
	}
	if want := "arn:aws:personalize:us-east-1:111122223333:filter/genre"; f.ARN != want || f.Status != perch.StatusActive {
		t.Errorf("filter %s in %s, want %s ACTIVE", f.ARN, f.Status, want)
	}
	got, err := e.s.DescribeFilter(e.ctx, f.ARN)
	if err != nil || got.Expression != expression || got.GroupARN != e.group.ARN {
		t.Errorf("DescribeFilter = %+v, %v", got, err)
	}
	_, err = e.s.CreateFilter(e.ctx, perch.CreateFilterInput{Name: "genre", GroupARN: e.group.ARN, Expression: expression})
	wantCode(t, "a second filter of the name", err, perch.EResourceAlreadyExists, f.ARN)

	list, next, err := e.s.ListFilters(e.ctx, e.group.ARN, perch.Page{})
	if err != nil || len(list) != 1 || next != "" || list[0].ARN != f.ARN {
		t.Errorf("ListFilters = %v, %q, %v", list, next, err)
	}
	if list, _, _ := e.s.ListFilters(e.ctx, scope.DatasetGroupARN("other"), perch.Page{}); len(list) != 0 {
		t.Errorf("ListFilters of another group: %v", list)
	}
	other := perch.WithAccount(e.ctx, "999999999999")
	_, err = e.s.DescribeFilter(other, f.ARN)
	wantCode(t, "another account's filter", err, perch.EResourceNotFound, f.ARN)

	if err := e.s.DeleteFilter(e.ctx, f.ARN); err != nil {
		t.Fatal(err)
	}
	_, err = e.s.DescribeFilter(e.ctx, f.ARN)
	wantCode(t, "a deleted filter", err, perch.EResourceNotFound, f.ARN)
	wantCode(t, "deleting it again", e.s.DeleteFilter(e.ctx, f.ARN), perch.EResourceNotFound, f.ARN)
}

func TestCreateFilterRefuses(t *testing.T) {
	e := newEnv(t, solutions.Options{MaxFiltersPerGroup: 2})
	e.withItems()
	missing := scope.DatasetGroupARN("missing")
	_, err := e.s.CreateFilter(e.ctx, perch.CreateFilterInput{Name: "f", GroupARN: missing, Expression: `EXCLUDE ItemID WHERE Items.GENRE IN ("x")`})
	wantCode(t, "a filter of a missing group", err, perch.EResourceNotFound, missing)

	for expression, part := range map[string]string{
		`EXCLUDE ItemID WHERE Items.GENRE NOT IN ($G)`:                                       "Could not create filter.",
		`INCLUDE ItemID WHERE Items.GENRE IN ("x") AND Interactions.EVENT_TYPE IN ("click")`: "Could not create filter.",
		`INCLUDE ItemID WHERE Items.DESCRIPTION IN ("x")`:                                    "DESCRIPTION",
		`INCLUDE ItemID WHERE Users.AGE > 3`:                                                 "Could not create filter.",
		`INCLUDE ItemID Items.GENRE IN ("x")`:                                                "Could not create filter.",
	} {
		_, err := e.s.CreateFilter(e.ctx, perch.CreateFilterInput{Name: "bad", GroupARN: e.group.ARN, Expression: expression})
		wantCode(t, expression, err, perch.EInvalidInput, part)
	}
	if list, _, _ := e.s.ListFilters(e.ctx, "", perch.Page{}); len(list) != 0 {
		t.Fatalf("refused filters were stored: %v", list)
	}

	for i := range 2 {
		if _, err := e.s.CreateFilter(e.ctx, perch.CreateFilterInput{Name: fmt.Sprint("f", i), GroupARN: e.group.ARN,
			Expression: `EXCLUDE ItemID WHERE Items.PRICE > 100`}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = e.s.CreateFilter(e.ctx, perch.CreateFilterInput{Name: "f2", GroupARN: e.group.ARN, Expression: `EXCLUDE ItemID WHERE Items.PRICE > 10`})
	wantCode(t, "a filter past the group's quota", err, perch.ELimitExceeded, e.group.ARN)
}
