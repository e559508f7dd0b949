package filter

import "github.com/perchdev/perch"

// testSchemas is a dataset group with every dataset type.
func testSchemas() Schemas {
	str := func(name string) perch.Field { return perch.Field{Name: name, Type: perch.TypeString} }
	cat := func(name string) perch.Field {
		return perch.Field{Name: name, Type: perch.TypeString, Categorical: true}
	}
	num := func(name string, t perch.FieldType) perch.Field {
		return perch.Field{Name: name, Type: t, Nullable: true}
	}
	return Schemas{
		perch.Items: {Name: "Items", Fields: []perch.Field{
			str("ITEM_ID"), cat("GENRE"), num("PRICE", perch.TypeDouble), str("STUDIO"),
			{Name: "DESCRIPTION", Type: perch.TypeString, Textual: true},
			{Name: "IS_NEW", Type: perch.TypeBoolean},
			num("CREATION_TIMESTAMP", perch.TypeLong), cat("CATEGORY_L1"), cat("CATEGORY_L2"),
			num("NUMBER_OF_DOWNLOADS", perch.TypeInt), cat("CATEGORY"),
			cat("F1"), cat("F2"), cat("F3"), cat("F4"), cat("F5"), cat("F6"), cat("F7"), cat("F8"), cat("F9"),
		}},
		perch.Users: {Name: "Users", Fields: []perch.Field{
			str("USER_ID"), num("AGE", perch.TypeInt), cat("MEMBERSHIP"), {Name: "VIP", Type: perch.TypeBoolean},
		}},
		perch.Interactions: {Name: "Interactions", Fields: []perch.Field{
			str("USER_ID"), str("ITEM_ID"), {Name: "TIMESTAMP", Type: perch.TypeLong}, str("EVENT_TYPE"), cat("DEVICE"),
		}},
		perch.Actions: {Name: "Actions", Fields: []perch.Field{
			str("ACTION_ID"), num("VALUE", perch.TypeDouble), str("TYPE"),
		}},
		perch.ActionInteractions: {Name: "ActionInteractions", Fields: []perch.Field{
			str("USER_ID"), str("ACTION_ID"), {Name: "TIMESTAMP", Type: perch.TypeLong}, str("EVENT_TYPE"),
		}},
	}
}
