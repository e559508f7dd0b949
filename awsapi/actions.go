package awsapi

import (
	"context"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/awsapi/model"
)

// actionOperation is GetActionRecommendations, served when the runtime
// recommends actions: its answer lists actionList's actionIds.
func (s *Server) actionOperation() (runtimeOp, bool) {
	ar, ok := s.runtime.(perch.ActionRuntime)
	if !ok {
		return runtimeOp{}, false
	}
	return runtimeOp{
		call: func(ctx context.Context, body model.Value) (*perch.Recommendations, error) {
			return ar.GetActionRecommendations(ctx, readActionRecommendationsInput(body))
		},
		list: "actionList", id: "actionId",
	}, true
}

// readActionRecommendationsInput reads a GetActionRecommendations
// request. An absent numResults reads as 0, which the runtime takes for
// its default.
func readActionRecommendationsInput(body model.Value) perch.ActionRecommendationsInput {
	var in perch.ActionRecommendationsInput
	for name, v := range body.Members() {
		switch string(name) {
		case "campaignArn":
			in.CampaignARN = v.String()
		case "userId":
			in.UserID = v.String()
		case "numResults":
			in.NumResults = integer(v)
		case "filterArn":
			in.FilterARN = v.String()
		case "filterValues":
			in.FilterValues = stringMap(v)
		}
	}
	return in
}
