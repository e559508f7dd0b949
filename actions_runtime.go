package perch

import "context"

// GetActionRecommendations' numResults: 5 by default, 100 at most.
const (
	DefaultActionRecommendations = 5
	MaxActionRecommendations     = 100
)

// ActionRecommendationsInput is a GetActionRecommendations request. A
// NumResults of 0 means the default.
type ActionRecommendationsInput struct {
	CampaignARN  string
	UserID       string
	NumResults   int
	FilterARN    string
	FilterValues map[string]string
}

// ActionRuntime is the runtime's GetActionRecommendations, served by the
// runtimes that recommend actions (campaigns of aws-next-best-action).
// The answer's Items are actions: ItemID holds each actionId, Score its
// propensity. Errors are those of Runtime.
type ActionRuntime interface {
	GetActionRecommendations(ctx context.Context, in ActionRecommendationsInput) (*Recommendations, error)
}
