package compat_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/personalize"
	"github.com/aws/aws-sdk-go-v2/service/personalizeruntime"

	"github.com/perchdev/perch/internal/testenv"
)

// recommendationsExample is the README's "From events to
// recommendations": the AWS CLI from a CSV of clicks to recommendations
// that follow a new visitor's events.
const recommendationsExample = "recommendations.sh"

// TestRecommendationsExampleRuns runs the README's recommendation walk
// through with each AWS CLI as `aws`, in a directory whose s3/ is perch's
// --s3-root, as the README says to start perch, and then checks what the
// walk through promises: the visitor who clicked three genre-3 movies is
// recommended genre 3.
func TestRecommendationsExampleRuns(t *testing.T) {
	text, err := os.ReadFile(filepath.Join("examples", recommendationsExample))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(text), readmeEndpoint) {
		t.Fatalf("%s does not use %s", recommendationsExample, readmeEndpoint)
	}
	for _, id := range []string{"cli1", "cli2"} {
		var c *client
		for _, o := range clients() {
			if o.id == id {
				c = o
			}
		}
		t.Run(id, func(t *testing.T) {
			t.Parallel()
			if c.skip != nil {
				if why := c.skip(); why != "" {
					t.Skip(why)
				}
			}
			if c.requires != nil {
				if err := c.requires(); err != nil {
					testenv.Missing(t, "cannot run "+c.name+": "+err.Error())
				}
			}
			dir := t.TempDir()
			if err := os.Mkdir(filepath.Join(dir, "s3"), 0o755); err != nil {
				t.Fatal(err)
			}
			endpoint := startPerch(t, "--s3-root", filepath.Join(dir, "s3"))
			script := filepath.Join(dir, recommendationsExample)
			if err := os.WriteFile(script, []byte(strings.ReplaceAll(string(text), readmeEndpoint, endpoint)), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command("sh", "-e", script)
			cmd.Dir = dir
			cmd.Env = append(clientEnv("us-east-1"), "PATH="+awsOnPath(t, id)+string(os.PathListSeparator)+os.Getenv("PATH"))
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%s with %s: %v\n%s", recommendationsExample, c.name, err, out)
			}
			for _, want := range []string{`"itemList"`, `"personalizedRanking"`, `"recommendationId": "RID-`, "normalized_discounted_cumulative_gain_at_10",
				`{"input":{"userId":"user-7"},"output":{"recommendedItems":[`} {
				if !strings.Contains(string(out), want) {
					t.Errorf("the walk through's output lacks %s:\n%s", want, out)
				}
			}
			checkVisitor(t, endpoint)
		})
	}
}

// awsOnPath is a directory holding the CLI id names as `aws`.
func awsOnPath(t *testing.T, id string) string {
	dir := t.TempDir()
	aws := filepath.Join(dir, "aws")
	if id == "cli2" {
		if err := os.Symlink(cliV2Path, aws); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	if err := os.WriteFile(aws, []byte("#!/bin/sh\nexec "+pythonPath()+" -m awscli \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// checkVisitor asks the walk through's campaign, with the Go SDK, for
// visitor-1's recommendations, which must be mostly genre 3 (item-3-N):
// the visitor's three clicks, sent after training, are all it has.
func checkVisitor(t *testing.T, endpoint string) {
	t.Helper()
	ctx := context.Background()
	creds := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: "local", SecretAccessKey: "local"}, nil
	})
	cp := personalize.New(personalize.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), Credentials: creds})
	rt := personalizeruntime.New(personalizeruntime.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), Credentials: creds})
	campaigns, err := cp.ListCampaigns(ctx, &personalize.ListCampaignsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var campaign string
	for _, c := range campaigns.Campaigns {
		if aws.ToString(c.Name) == "movies-for-you" {
			campaign = aws.ToString(c.CampaignArn)
		}
	}
	if campaign == "" {
		t.Fatalf("no campaign movies-for-you among %d", len(campaigns.Campaigns))
	}
	recs, err := rt.GetRecommendations(ctx, &personalizeruntime.GetRecommendationsInput{
		CampaignArn: aws.String(campaign), UserId: aws.String("visitor-1"), NumResults: 10})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	genre3 := 0
	for _, it := range recs.ItemList {
		id := aws.ToString(it.ItemId)
		ids = append(ids, id)
		if strings.HasPrefix(id, "item-3-") {
			genre3++
		}
		for _, clicked := range []string{"item-3-0", "item-3-1", "item-3-2"} {
			if id == clicked {
				t.Errorf("visitor-1 is recommended %s, which it clicked", id)
			}
		}
	}
	t.Logf("visitor-1: %v", ids)
	if genre3 < 7 {
		t.Errorf("after three genre-3 clicks, %d of visitor-1's 10 recommendations are genre 3: %v", genre3, ids)
	}
}
