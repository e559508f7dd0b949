package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"

	"github.com/perchdev/perch"
)

// readClient sends requests to perch's read API, signed as the AWS CLI
// would sign a Personalize request, so that a server running --auth sigv4
// answers them.
type readClient struct {
	http   aws.HTTPClient
	creds  *aws.Credentials // nil: no credentials were found; send unsigned
	region string
}

// newReadClient finds credentials as the SDK's default chain does (the
// instance metadata service excepted: perch is not on EC2's network), for
// the region of resourceARN. Without credentials requests go unsigned,
// which a server running --auth none accepts. For an https endpoint the
// client trusts AWS_CA_BUNDLE; for a plain http one the variable is hidden
// while the configuration loads, which otherwise parses the bundle
// whatever the endpoint (25 ms for a system-wide one, half of the
// command's time) and offers no option to skip it.
func newReadClient(ctx context.Context, endpoint, resourceARN, profile string) (*readClient, error) {
	if !strings.HasPrefix(strings.ToLower(endpoint), "https:") {
		if bundle, set := os.LookupEnv(caBundleEnv); set {
			os.Unsetenv(caBundleEnv)
			defer os.Setenv(caBundleEnv, bundle)
		}
	}
	opts := []func(*config.LoadOptions) error{config.WithEC2IMDSClientEnableState(imds.ClientDisabled)}
	if arn, ok := perch.ParseARN(resourceARN); ok && arn.Region != "" {
		opts = append(opts, config.WithRegion(arn.Region))
	}
	if profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("loading the AWS configuration: %w", err)
	}
	c := &readClient{http: cfg.HTTPClient, region: cfg.Region}
	if c.http == nil { // the configuration sets a client only for a CA bundle
		c.http = awshttp.NewBuildableClient()
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	switch {
	case err == nil:
		c.creds = &creds
	case profile != "":
		return nil, fmt.Errorf("credentials of profile %s: %w", profile, err)
	}
	return c, nil
}

// caBundleEnv names the file of extra CA certificates the AWS SDKs trust.
const caBundleEnv = "AWS_CA_BUNDLE"

// get sends a signed GET and turns an error answer into an error.
func (c *readClient) get(ctx context.Context, u string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	if c.creds != nil {
		const emptyPayloadSHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
		if err := v4.NewSigner().SignHTTP(ctx, *c.creds, req, emptyPayloadSHA256, "personalize", c.region, time.Now()); err != nil {
			return nil, fmt.Errorf("signing the request: %w", err)
		}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusOK {
		return resp, nil
	}
	defer resp.Body.Close()
	var e struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if json.Unmarshal(body, &e) == nil && e.Type != "" {
		if c.creds == nil && e.Type == "MissingAuthenticationTokenException" {
			e.Message += " (no AWS credentials were found to sign with: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE or --profile)"
		}
		return nil, fmt.Errorf("%s: %s", e.Type, e.Message)
	}
	return nil, fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(body)))
}
