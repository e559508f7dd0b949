package training

import (
	"math"
	"slices"
	"testing"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/ingest"
	"github.com/perchdev/perch/internal/fixture"
	"github.com/perchdev/perch/recipe"
)

// ReadActions reads the Actions dataset's ids and VALUEs and the action
// interactions of known actions, duplicates and unknown actions left out;
// their users join the Interactions dataset's.
func TestReadActions(t *testing.T) {
	ctx, store, cat := fixture.Catalog(t, perch.Scope{Region: "us-east-1", Account: "111122223333"})
	group, err := cat.CreateDatasetGroup(ctx, perch.CreateDatasetGroupInput{Name: "bank"})
	if err != nil {
		t.Fatal(err)
	}
	d := &recipe.Data{Users: []string{"alice"}}
	if err := ReadActions(ctx, store, cat, group.ARN, d); perch.ErrorCode(err) != perch.EInvalidInput {
		t.Fatalf("no Actions dataset: %v", err)
	}
	dataset := func(name, typ, fields string) *perch.Dataset {
		t.Helper()
		s, err := cat.CreateSchema(ctx, perch.CreateSchemaInput{Name: name, Definition: `{"type":"record","name":"` + name + `",` +
			`"namespace":"com.amazonaws.personalize.schema","fields":[` + fields + `],"version":"1.0"}`})
		if err != nil {
			t.Fatal(err)
		}
		ds, err := cat.CreateDataset(ctx, perch.CreateDatasetInput{Name: name, SchemaARN: s.ARN, GroupARN: group.ARN, Type: typ})
		if err != nil {
			t.Fatal(err)
		}
		return ds
	}
	actions := dataset("Actions", "Actions", `{"name":"ACTION_ID","type":"string"},{"name":"VALUE","type":["null","long"]},`+
		`{"name":"LEVEL","type":["null","string"],"categorical":true}`)
	in := ingest.New(cat, store)
	if err := ReadActions(ctx, store, cat, group.ARN, d); perch.ErrorCode(err) != perch.EInvalidInput {
		t.Fatalf("no actions: %v", err)
	}
	if err := in.PutEntities(ctx, actions.ARN, perch.Actions, []perch.Entity{
		{ID: "enroll", Properties: `{"value":10}`}, {ID: "download", Properties: `{"level":"gold"}`},
	}); err != nil {
		t.Fatal(err)
	}
	if err := ReadActions(ctx, store, cat, group.ARN, d); err != nil {
		t.Fatalf("no Action_Interactions dataset: %v", err)
	}
	ai := dataset("ActionInteractions", "Action_Interactions", `{"name":"USER_ID","type":"string"},{"name":"ACTION_ID","type":"string"},`+
		`{"name":"EVENT_TYPE","type":"string"},{"name":"TIMESTAMP","type":"long"}`)
	if err := in.PutActionInteractions(ctx, ai.TrackingID, []perch.ActionInteraction{
		{EventID: "1", EventType: "TAKEN", ActionID: "enroll", UserID: "alice", Timestamp: 1000},
		{EventID: "1", EventType: "TAKEN", ActionID: "enroll", UserID: "alice", Timestamp: 1000}, // a duplicate
		{EventID: "2", EventType: "NOT_TAKEN", ActionID: "download", UserID: "bob", Timestamp: 2000},
		{EventID: "3", EventType: "TAKEN", ActionID: "unknown", UserID: "carol", Timestamp: 3000},
	}); err != nil {
		t.Fatal(err)
	}
	if err := ReadActions(ctx, store, cat, group.ARN, d); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.Actions, []string{"download", "enroll"}) || !math.IsNaN(d.ActionValue[0]) || d.ActionValue[1] != 10 {
		t.Errorf("actions %v with values %v", d.Actions, d.ActionValue)
	}
	if !slices.Equal(d.Users, []string{"alice", "bob"}) {
		t.Errorf("users %v", d.Users)
	}
	want := []recipe.ActionInteraction{{User: 0, Action: 1, Time: 1000, EventType: "TAKEN"}, {User: 1, Action: 0, Time: 2000, EventType: "NOT_TAKEN"}}
	if !slices.Equal(d.ActionInteractions, want) {
		t.Errorf("action interactions %v, want %v", d.ActionInteractions, want)
	}
}
