package compat_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os/exec"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/personalize"
	"github.com/aws/aws-sdk-go-v2/service/personalizeevents"
	"github.com/aws/aws-sdk-go-v2/service/personalizeruntime"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// runGoSDK is the driver of aws-sdk-go-v2, in process: the SDK's own
// clients with their default retryer, only the endpoint and dummy
// credentials set.
func runGoSDK(ctx context.Context, p *plan) (string, []result, error) {
	creds := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: "perch-compat", SecretAccessKey: "perch-compat-secret", Source: "compat"}, nil
	})
	cp := personalize.New(personalize.Options{Region: p.Region, BaseEndpoint: aws.String(p.Endpoint), Credentials: creds})
	ev := personalizeevents.New(personalizeevents.Options{Region: p.Region, BaseEndpoint: aws.String(p.Endpoint), Credentials: creds})
	rt := personalizeruntime.New(personalizeruntime.Options{Region: p.Region, BaseEndpoint: aws.String(p.Endpoint), Credentials: creds})
	calls := map[string]func(context.Context, []byte) (any, error){
		"CreateSchema":                  goCall(cp.CreateSchema),
		"CreateDatasetGroup":            goCall(cp.CreateDatasetGroup),
		"DescribeDatasetGroup":          goCall(cp.DescribeDatasetGroup),
		"CreateDataset":                 goCall(cp.CreateDataset),
		"DescribeDataset":               goCall(cp.DescribeDataset),
		"ListDatasets":                  goCall(cp.ListDatasets),
		"CreateEventTracker":            goCall(cp.CreateEventTracker),
		"CreateDatasetImportJob":        goCall(cp.CreateDatasetImportJob),
		"DescribeDatasetImportJob":      goCall(cp.DescribeDatasetImportJob),
		"CreateSolution":                goCall(cp.CreateSolution),
		"CreateSolutionVersion":         goCall(cp.CreateSolutionVersion),
		"DescribeSolutionVersion":       goCall(cp.DescribeSolutionVersion),
		"GetSolutionMetrics":            goCall(cp.GetSolutionMetrics),
		"CreateCampaign":                goCall(cp.CreateCampaign),
		"DescribeCampaign":              goCall(cp.DescribeCampaign),
		"CreateFilter":                  goCall(cp.CreateFilter),
		"DescribeFilter":                goCall(cp.DescribeFilter),
		"ListFilters":                   goCall(cp.ListFilters),
		"DeleteFilter":                  goCall(cp.DeleteFilter),
		"DescribeAlgorithm":             goCall(cp.DescribeAlgorithm),
		"DescribeFeatureTransformation": goCall(cp.DescribeFeatureTransformation),
		"CreateRecommender":             goCall(cp.CreateRecommender),
		"ListRecommenders":              goCall(cp.ListRecommenders),
		"DescribeRecommender":           goCall(cp.DescribeRecommender),
		"UpdateRecommender":             goCall(cp.UpdateRecommender),
		"StopRecommender":               goCall(cp.StopRecommender),
		"StartRecommender":              goCall(cp.StartRecommender),
		"DeleteRecommender":             goCall(cp.DeleteRecommender),
		"TagResource":                   goCall(cp.TagResource),
		"UntagResource":                 goCall(cp.UntagResource),
		"ListTagsForResource":           goCall(cp.ListTagsForResource),

		"CreateBatchInferenceJob":   goCall(cp.CreateBatchInferenceJob),
		"DescribeBatchInferenceJob": goCall(cp.DescribeBatchInferenceJob),
		"ListBatchInferenceJobs":    goCall(cp.ListBatchInferenceJobs),
		"CreateBatchSegmentJob":     goCall(cp.CreateBatchSegmentJob),
		"DescribeBatchSegmentJob":   goCall(cp.DescribeBatchSegmentJob),
		"ListBatchSegmentJobs":      goCall(cp.ListBatchSegmentJobs),

		"CreateMetricAttribution":      goCall(cp.CreateMetricAttribution),
		"DescribeMetricAttribution":    goCall(cp.DescribeMetricAttribution),
		"UpdateMetricAttribution":      goCall(cp.UpdateMetricAttribution),
		"ListMetricAttributionMetrics": goCall(cp.ListMetricAttributionMetrics),
		"ListMetricAttributions":       goCall(cp.ListMetricAttributions),
		"DeleteMetricAttribution":      goCall(cp.DeleteMetricAttribution),
		"PutEvents":                    goCall(ev.PutEvents),
		"PutItems":                     goCall(ev.PutItems),
		"PutUsers":                     goCall(ev.PutUsers),
		"PutActions":                   goCall(ev.PutActions),
		"PutActionInteractions":        goCall(ev.PutActionInteractions),
		"GetRecommendations":           goCall(rt.GetRecommendations),
		"GetPersonalizedRanking":       goCall(rt.GetPersonalizedRanking),
		"GetActionRecommendations":     goCall(rt.GetActionRecommendations),
	}
	vars := map[string]string{}
	for k, v := range p.Vars {
		vars[k] = v
	}
	var results []result
	for _, s := range p.Steps {
		r := result{ID: s.ID}
		input, err := substitute(clone(s.Input), vars)
		call := calls[s.Op]
		switch {
		case err != nil:
			r.Status, r.Detail = "fail", err.Error()
		case call == nil:
			r.Status, r.Detail = "fail", "the driver has no call for "+s.Op
		default:
			body, _ := json.Marshal(withGoTimes(input))
			out, calls, err := goPolled(ctx, s, call, body)
			r.Calls = calls
			if err != nil {
				r.Status, r.Error, r.Detail = "error", goError(err), err.Error()
				break
			}
			r.Status = "ok"
			b, _ := json.Marshal(out)
			_ = json.Unmarshal(b, &r.Output)
			if s.Poll != nil && !slices.Contains(s.Poll.Until, fmt.Sprint(lookup(r.Output, s.Poll.Path))) {
				r.Status, r.Detail = "fail", fmt.Sprintf("%s still %v after %v s (%d calls)", s.Poll.Path, lookup(r.Output, s.Poll.Path), s.Poll.Timeout, calls)
			}
			for v, path := range s.Save {
				if s, ok := lookup(r.Output, path).(string); ok {
					vars[v] = s
				}
			}
		}
		results = append(results, r)
	}
	return goSDKVersion(), results, nil
}

// goPolled makes s's call, and repeats it while s polls and the resource
// is not done yet; it returns the last output and the calls made.
func goPolled(ctx context.Context, s *step, call func(context.Context, []byte) (any, error), body []byte) (any, int, error) {
	var deadline time.Time
	if s.Poll != nil {
		deadline = time.Now().Add(time.Duration(s.Poll.Timeout * float64(time.Second)))
	}
	for calls := 1; ; calls++ {
		out, err := call(ctx, body)
		if err != nil || s.Poll == nil {
			return out, calls, err
		}
		var decoded map[string]any
		b, _ := json.Marshal(out)
		_ = json.Unmarshal(b, &decoded)
		if slices.Contains(s.Poll.Until, fmt.Sprint(lookup(decoded, s.Poll.Path))) || time.Now().After(deadline) {
			return out, calls, nil
		}
		select {
		case <-ctx.Done():
			return out, calls, nil
		case <-time.After(time.Duration(s.Poll.Interval * float64(time.Second))):
		}
	}
}

// goSDKVersion names the SDK modules go.mod selects (test binaries do
// not record their dependencies' versions).
func goSDKVersion() string {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Path}} {{.Version}}",
		"github.com/aws/aws-sdk-go-v2/service/personalize", "github.com/aws/aws-sdk-go-v2/service/personalizeevents",
		"github.com/aws/aws-sdk-go-v2/service/personalizeruntime").Output()
	if err != nil {
		return "aws-sdk-go-v2"
	}
	return "aws-sdk-go-v2 " + strings.ReplaceAll(strings.TrimSpace(strings.ReplaceAll(string(out), "github.com/aws/aws-sdk-go-v2/service/", "")), "\n", ", ")
}

// goCall adapts an SDK method to a call with a JSON input. The SDK's input
// structs have no JSON tags; encoding/json matches the API's member names
// to their fields without case.
func goCall[In, Out, Options any](method func(context.Context, *In, ...func(*Options)) (*Out, error)) func(context.Context, []byte) (any, error) {
	return func(ctx context.Context, body []byte) (any, error) {
		in := new(In)
		if err := json.Unmarshal(body, in); err != nil {
			return nil, fmt.Errorf("building the %T: %v", in, err)
		}
		return method(ctx, in)
	}
}

// goError is an SDK error as a caller sees it: the typed exception (or
// smithy.GenericAPIError), its code, message and HTTP status.
func goError(err error) *clientError {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return &clientError{Class: fmt.Sprintf("%T", err), Message: err.Error()}
	}
	e := &clientError{Code: ae.ErrorCode(), Message: ae.ErrorMessage(), Class: reflect.TypeOf(ae).Elem().Name()}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		e.HTTPStatus = re.HTTPStatusCode()
	}
	return e
}

// substitute replaces "${name}" strings with saved variables.
func substitute(v map[string]any, vars map[string]string) (map[string]any, error) {
	var walk func(any) (any, error)
	walk = func(v any) (any, error) {
		switch x := v.(type) {
		case string:
			if name, ok := strings.CutPrefix(x, "${"); ok && strings.HasSuffix(name, "}") {
				name = strings.TrimSuffix(name, "}")
				val, ok := vars[name]
				if !ok || val == "" {
					return nil, fmt.Errorf("variable %s is not set: the step that saves it failed", name)
				}
				return val, nil
			}
		case map[string]any:
			for k, e := range x {
				w, err := walk(e)
				if err != nil {
					return nil, err
				}
				x[k] = w
			}
		case []any:
			for i, e := range x {
				w, err := walk(e)
				if err != nil {
					return nil, err
				}
				x[i] = w
			}
		}
		return v, nil
	}
	out, err := walk(v)
	if err != nil {
		return nil, err
	}
	return out.(map[string]any), nil
}

// withGoTimes turns the plan's epoch-seconds timestamps into the RFC 3339
// text that encoding/json decodes into the SDK's time.Time members.
func withGoTimes(v map[string]any) map[string]any {
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if f, ok := e.(float64); ok && (k == "sentAt" || k == "timestamp") {
					x[k] = epochTime(f).Format(time.RFC3339Nano)
					continue
				}
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return v
}

func epochTime(sec float64) time.Time {
	whole := math.Floor(sec)
	return time.Unix(int64(whole), int64(math.Round((sec-whole)*1e9))).UTC()
}
