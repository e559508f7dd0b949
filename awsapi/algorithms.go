package awsapi

import (
	"context"

	"github.com/perchdev/perch"
)

// DescribeAlgorithm and DescribeFeatureTransformation: what the recipes
// of the catalogue are built on. perch runs no container images, so an
// algorithm has no algorithmImage.

type algorithm struct {
	Name                   string            `json:"name"`
	ARN                    string            `json:"algorithmArn"`
	DefaultHyperParameters map[string]string `json:"defaultHyperParameters"`
	DefaultRanges          *defaultRanges    `json:"defaultHyperParameterRanges,omitempty"`
	DefaultResourceConfig  map[string]string `json:"defaultResourceConfig"`
	Created                perch.Timestamp   `json:"creationDateTime"`
	Updated                perch.Timestamp   `json:"lastUpdatedDateTime"`
}

type defaultRanges struct {
	Integer     []numericRange     `json:"integerHyperParameterRanges,omitempty"`
	Continuous  []numericRange     `json:"continuousHyperParameterRanges,omitempty"`
	Categorical []categoricalRange `json:"categoricalHyperParameterRanges,omitempty"`
}

type numericRange struct {
	Name    string  `json:"name"`
	Min     float64 `json:"minValue"`
	Max     float64 `json:"maxValue"`
	Tunable bool    `json:"isTunable"`
}

type categoricalRange struct {
	Name    string   `json:"name"`
	Values  []string `json:"values"`
	Tunable bool     `json:"isTunable"`
}

type describeAlgorithmOutput struct {
	Algorithm algorithm `json:"algorithm"`
}

func (s *Server) describeAlgorithm(ctx context.Context, in struct{ AlgorithmArn string }) (describeAlgorithmOutput, error) {
	a, err := s.solutions.DescribeAlgorithm(ctx, in.AlgorithmArn)
	if err != nil {
		return describeAlgorithmOutput{}, err
	}
	out := algorithm{Name: a.Name, ARN: a.ARN, DefaultHyperParameters: a.DefaultHyperParameters,
		DefaultResourceConfig: a.DefaultResourceConfig, Created: a.Created, Updated: a.Updated}
	if len(a.DefaultRanges) > 0 {
		out.DefaultRanges = &defaultRanges{}
		for _, r := range a.DefaultRanges {
			switch r.Kind {
			case "integer":
				out.DefaultRanges.Integer = append(out.DefaultRanges.Integer, numericRange{r.Name, r.Min, r.Max, r.Tunable})
			case "continuous":
				out.DefaultRanges.Continuous = append(out.DefaultRanges.Continuous, numericRange{r.Name, r.Min, r.Max, r.Tunable})
			case "categorical":
				out.DefaultRanges.Categorical = append(out.DefaultRanges.Categorical, categoricalRange{r.Name, r.Values, r.Tunable})
			}
		}
	}
	return describeAlgorithmOutput{out}, nil
}

type featureTransformation struct {
	Name              string            `json:"name"`
	ARN               string            `json:"featureTransformationArn"`
	DefaultParameters map[string]string `json:"defaultParameters"`
	Created           perch.Timestamp   `json:"creationDateTime"`
	Updated           perch.Timestamp   `json:"lastUpdatedDateTime"`
	Status            string            `json:"status"`
}

type describeFeatureTransformationOutput struct {
	FeatureTransformation featureTransformation `json:"featureTransformation"`
}

func (s *Server) describeFeatureTransformation(ctx context.Context, in struct{ FeatureTransformationArn string }) (describeFeatureTransformationOutput, error) {
	f, err := s.solutions.DescribeFeatureTransformation(ctx, in.FeatureTransformationArn)
	if err != nil {
		return describeFeatureTransformationOutput{}, err
	}
	return describeFeatureTransformationOutput{featureTransformation{f.Name, f.ARN, f.DefaultParameters, f.Created, f.Updated, f.Status}}, nil
}
