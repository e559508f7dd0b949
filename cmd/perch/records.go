package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"

	"github.com/perchdev/perch"
)

func runRecords(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("perch records", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: perch records DATASET_ARN [--endpoint URL] [--profile P] [--user-id U] [--session-id S] [--limit N]")
		fmt.Fprintln(stderr, "\nPrints the stored records of a dataset as JSON Lines. Requests are signed with the")
		fmt.Fprintln(stderr, "AWS credentials found as the AWS CLI finds them (AWS_ACCESS_KEY_ID, AWS_PROFILE,")
		fmt.Fprintln(stderr, "~/.aws/credentials, ...), for the region of the ARN; AWS_CA_BUNDLE is honoured.")
		fs.PrintDefaults()
	}
	endpoint := fs.String("endpoint", "http://127.0.0.1:8080", "`URL` of a running perch serve")
	userID := fs.String("user-id", "", "only this user's records (interactions); only this id (users)")
	sessionID := fs.String("session-id", "", "only this session's records")
	id := fs.String("id", "", "only the record with this item, user or action id")
	limit := fs.Int("limit", 0, "at most `N` records (0: all)")
	profile := fs.String("profile", "", "sign with this `profile` of the AWS shared config and credentials files")
	// Flags may come before or after the ARN.
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil
			}
			return errUsage
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(positional) != 1 {
		fs.Usage()
		return errUsage
	}
	if *limit < 0 {
		return fmt.Errorf("--limit must not be negative")
	}

	q := url.Values{"datasetArn": {positional[0]}}
	if *userID != "" {
		if strings.HasSuffix(positional[0], "/USERS") {
			q.Set("id", *userID)
		} else {
			q.Set("userId", *userID)
		}
	}
	if *sessionID != "" {
		q.Set("sessionId", *sessionID)
	}
	if *id != "" {
		q.Set("id", *id)
	}
	if *limit > 0 {
		q.Set("limit", strconv.Itoa(*limit))
	}
	u := strings.TrimRight(*endpoint, "/") + "/_perch/records?" + q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	client, signed, err := signRecordsRequest(ctx, req, positional[0], *profile)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if json.Unmarshal(body, &e) == nil && e.Type != "" {
			if !signed && e.Type == "MissingAuthenticationTokenException" {
				e.Message += " (no AWS credentials were found to sign with: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE or --profile)"
			}
			return fmt.Errorf("%s: %s", e.Type, e.Message)
		}
		return fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	_, err = io.Copy(stdout, resp.Body)
	return err
}

// signRecordsRequest signs req as the AWS CLI would sign a Personalize
// request, in the region of datasetARN, with the credentials the SDK's
// default chain finds (the instance metadata service excepted: perch is
// not on EC2's network). Without credentials req stays unsigned, which a
// server running --auth none accepts. It returns the HTTP client of that
// configuration, which trusts AWS_CA_BUNDLE.
func signRecordsRequest(ctx context.Context, req *http.Request, datasetARN, profile string) (client aws.HTTPClient, signed bool, err error) {
	opts := []func(*config.LoadOptions) error{config.WithEC2IMDSClientEnableState(imds.ClientDisabled)}
	if arn, ok := perch.ParseARN(datasetARN); ok && arn.Region != "" {
		opts = append(opts, config.WithRegion(arn.Region))
	}
	if profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, false, fmt.Errorf("loading the AWS configuration: %w", err)
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		if profile != "" {
			return nil, false, fmt.Errorf("credentials of profile %s: %w", profile, err)
		}
		return cfg.HTTPClient, false, nil
	}
	const emptyPayloadSHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, emptyPayloadSHA256, "personalize", cfg.Region, time.Now()); err != nil {
		return nil, false, fmt.Errorf("signing the request: %w", err)
	}
	return cfg.HTTPClient, true, nil
}
