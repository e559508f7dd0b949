package perch

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"slices"
	"sort"
)

// maxPage is both the default and the largest page a List call returns.
const maxPage = 100

// Position is where a resource sits in a listing: by creation time, then
// by ARN so that resources created in the same millisecond keep a stable
// order.
type Position struct {
	Created Timestamp
	ARN     string
}

// Compare orders positions as listings do.
func (p Position) Compare(q Position) int {
	return cmp.Or(cmp.Compare(p.Created, q.Created), cmp.Compare(p.ARN, q.ARN))
}

// token is what a nextToken carries: the Position of the last resource
// returned, and the listing it was issued for, so that it cannot be
// replayed against another one.
type token struct {
	Listing string    `json:"l"`
	Created Timestamp `json:"c"`
	ARN     string    `json:"a"`
}

func encodeToken(listing string, last Position) string {
	b, _ := json.Marshal(token{Listing: listing, Created: last.Created, ARN: last.ARN})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeToken(s, listing string) (Position, error) {
	var t token
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &t)
	}
	if err != nil || t.Listing != listing || t.ARN == "" {
		return Position{}, Errorf(EInvalidNextToken, "Invalid next token.")
	}
	return Position{t.Created, t.ARN}, nil
}

// Paginate sorts items and returns the page p asks for, as copies, with
// the token of the next page ("" on the last one). listing names the List
// call and its filter. Resuming from a Position rather than an index keeps
// pages consistent when resources are created or deleted in between.
func Paginate[T any](items []*T, at func(*T) Position, clone func(*T) *T, listing string, p Page) ([]*T, string, error) {
	slices.SortFunc(items, func(a, b *T) int { return at(a).Compare(at(b)) })
	start := 0
	if p.NextToken != "" {
		after, err := decodeToken(p.NextToken, listing)
		if err != nil {
			return nil, "", err
		}
		start = sort.Search(len(items), func(i int) bool { return at(items[i]).Compare(after) > 0 })
	}
	size := p.MaxResults
	if size <= 0 || size > maxPage {
		size = maxPage
	}
	end := min(start+size, len(items))
	page := make([]*T, 0, end-start)
	for _, v := range items[start:end] {
		page = append(page, clone(v))
	}
	next := ""
	if end < len(items) {
		next = encodeToken(listing, at(items[end-1]))
	}
	return page, next, nil
}
