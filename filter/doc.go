// Package filter is Amazon Personalize's filter expression language:
// a lexer and recursive-descent parser, the checks CreateFilter makes
// (with AWS's "Could not create filter. ..." errors), placeholder binding
// from a request's filterValues, and evaluation against a request's facts.
// It is pure: callers supply schemas, records and interactions.
//
// # Grammar
//
// Keywords, targets, datasets, CurrentUser/CurrentItem and field names are
// read in any case (an AWS page writes
// `EXCLUDE itemId WHERE INTERACTIONS.event_type in ("EVENT_TYPE")`);
// placeholder names and values are case-sensitive.
//
//	filter     := expression ( "|" expression )*
//	expression := ("INCLUDE" | "EXCLUDE") target "WHERE" condition (("AND" | "OR") condition)* [ifPart]
//	target     := "ItemID" | "ActionID" | "UserID"
//	condition  := dataset "." FIELD operator value
//	dataset    := "Items" | "Users" | "Interactions" | "Actions" | "Action_Interactions"
//	operator   := "IN" | "NOT" "IN" | "=" | "!=" | "<" | "<=" | ">" | ">="
//	value      := "(" string ("," string)* ")" | "(" placeholder ")" | placeholder
//	            | number | "(" number ")" | "CurrentItem" "." FIELD
//	ifPart     := "IF" userCond ("AND" userCond)*      -- once, at the end of an expression
//	userCond   := "CurrentUser" "." FIELD operator value
//	string     := '"' characters '"'                   -- \" and \\ escape
//	number     := -?digits[.digits][(e|E)[+-]digits]
//	placeholder:= "$" [A-Za-z0-9_]{1,50}
//
// AND binds tighter than OR. AWS documents no parentheses for grouping
// conditions (its element reference lists parentheses only around
// values), so "(" where a condition is expected is a syntax error.
//
// # Checks (CreateFilter)
//
//   - The expressions of one filter share their target.
//   - ItemID expressions use Items or Interactions; ActionID ones Actions or
//     Action_Interactions; UserID ones (user segments) Users or Interactions.
//     The conditions of one expression use its first condition's dataset.
//   - Interactions and Action_Interactions are filtered by EVENT_TYPE only;
//     "*" (any type) is allowed only there.
//   - IN and NOT IN match string fields; =, !=, <, <=, > and >= compare
//     number fields (int, long, float, double). Boolean and textual fields
//     cannot be filtered.
//   - Placeholders go with IN and the comparisons, never with NOT IN.
//   - CurrentItem.FIELD compares Items fields with the request's item;
//     IF CurrentUser.FIELD needs a Users dataset and is not allowed in
//     UserID expressions, which have no requesting user.
//   - At most 10 distinct dataset fields per filter (ELimitExceeded);
//     CurrentUser.AGE counts as Users.AGE, CurrentItem.PRICE as Items.PRICE.
//     CheckGroupFields applies the dataset group's quota of 20.
//
// Syntax errors read "Could not create filter. Invalid input symbol S at
// position N. <what was expected>"; meaning errors read "Could not create
// filter. Invalid Expression at position N: <what is wrong>". Positions
// count characters from 1.
//
// # Evaluation
//
// INCLUDE keeps the candidates an expression matches, EXCLUDE drops them.
// Expressions joined by "|" combine as (union of INCLUDE) minus (union of
// EXCLUDE); with no INCLUDE in force every candidate starts kept.
// Expressions whose IF does not hold for the requesting user (or with no
// user or Users record) are left out of the request, as are EXCLUDE
// expressions missing a placeholder value (Bind).
//
// String matching is exact and case-sensitive, except event types, which
// match ignoring case. A categorical field's "|"-separated values match if
// any of them matches; NOT IN holds when none does. Interactions.EVENT_TYPE
// IN (...) on ItemID (or ActionID) expressions holds for the ids the
// requesting user interacted with using one of those types; NOT IN holds for
// ids the user interacted with using another type. Only the user's newest
// 100 interactions per event type count (300 action interactions).
//
// Choices where AWS is silent:
//
//   - A candidate whose record or field is missing satisfies no condition on
//     that field, whatever the operator (SQL's NULL): an INCLUDE expression
//     does not keep it and an EXCLUDE expression does not drop it. The same
//     holds for CurrentItem when the request has no item, the item has no
//     record or the field is missing.
//   - UserID expressions on Interactions: a user matches
//     EVENT_TYPE IN (...) when one of their own newest interactions (per
//     type, as above) has one of the types; NOT IN when one has another type.
//   - A condition on the dataset's id column (Items.ITEM_ID, Users.USER_ID,
//     Actions.ACTION_ID) compares the candidate's id.
//   - Interactions.EVENT_TYPE is accepted even when the Interactions schema
//     leaves the optional column out, since every event has a type.
//   - String literals may escape `"` and `\` with a backslash, in expressions
//     and in filterValues.
//   - filterValues: keys without a placeholder are ignored; an empty value
//     counts as missing; numbers may come unquoted; a comparison's value must
//     be exactly one number.
//   - = and != compare numbers, like the other comparisons (AWS documents
//     them for "numerical data"); a string field with = is rejected at
//     CreateFilter rather than matching nothing at request time. Likewise IN
//     on a number field, and a quoted number after a comparison.
//   - Records may hold numbers as float64, integers, json.Number or numeric
//     strings; string fields holding numbers compare by their shortest
//     decimal form.
//
// # Use
//
// Parse once at CreateFilter and keep the Filter (it is immutable). Per
// request, Bind the filterValues and Prepare the request's facts; a Bound
// is immutable too and may be cached per distinct filterValues. Keep reads
// only the Matcher, so one Matcher may serve concurrent calls; it fetches
// each candidate's record at most once, only when a condition needs it,
// and does not allocate.
package filter
