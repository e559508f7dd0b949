package perch

import "context"

// KindFilter is the resource kind of a filter's ARN.
const KindFilter = "filter"

// Filter is a dataset group's filter: an expression of Personalize's
// filter language (package filter), checked against the group's schemas
// when created and applied by the runtime to the requests that name it.
type Filter struct {
	ARN           string    `json:"filterArn"`
	Name          string    `json:"name"`
	GroupARN      string    `json:"datasetGroupArn"`
	Expression    string    `json:"filterExpression"`
	Status        string    `json:"status"`
	FailureReason string    `json:"failureReason,omitempty"`
	Tags          []Tag     `json:"tags,omitempty"`
	Created       Timestamp `json:"creationDateTime"`
	Updated       Timestamp `json:"lastUpdatedDateTime"`
}

// CreateFilterInput is what CreateFilter is given.
type CreateFilterInput struct {
	Name       string
	GroupARN   string
	Expression string
	Tags       []Tag
}

// Filters is the control plane of filters. Errors are *Error values with
// the codes Catalog uses.
type Filters interface {
	CreateFilter(ctx context.Context, in CreateFilterInput) (*Filter, error)
	DescribeFilter(ctx context.Context, arn string) (*Filter, error)
	// ListFilters lists the filters of one group, or of every group when
	// groupARN is "".
	ListFilters(ctx context.Context, groupARN string, p Page) (filters []*Filter, next string, err error)
	DeleteFilter(ctx context.Context, arn string) error
}

// CheckNewFilter checks that group g can take filter f beside the
// filters the account has: at most quota of them in a group.
func CheckNewFilter(g *DatasetGroup, f *Filter, filters []*Filter, quota int) error {
	if err := CheckGroupActive(g); err != nil {
		return err
	}
	n := 0
	for _, other := range filters {
		if other.GroupARN == g.ARN {
			n++
		}
	}
	if n >= quota {
		return Errorf(ELimitExceeded,
			"Cannot create filter %s. Dataset group %s already has %d filters, the most allowed. Please delete some and try again.",
			f.Name, g.ARN, n)
	}
	return nil
}
