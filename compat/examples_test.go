package compat_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/personalize"

	"github.com/perchdev/perch/internal/testenv"
)

// readmeEndpoint is the address every README snippet uses, perch serve's
// default; the tests put the test server's address in its place.
const readmeEndpoint = "http://127.0.0.1:8080"

// An example is a README snippet, kept as a file under examples/ and run
// as it is against `perch serve --quickstart`.
type example struct {
	file    string
	eventID string // the eventId the snippet sends
	// clients whose requirements must hold, by client id
	needs string
	// commands returns the commands that run the snippet at path, the
	// file with the test server's endpoint in place of readmeEndpoint.
	commands func(t *testing.T, path, endpoint string) []*exec.Cmd
}

var examples = []example{
	{file: "aws-cli.sh", eventID: "cli-1", needs: "cli1,cli2", commands: func(t *testing.T, path, _ string) []*exec.Cmd {
		// The same snippet with each CLI as `aws`.
		v1 := filepath.Join(t.TempDir(), "aws")
		if err := os.WriteFile(v1, []byte("#!/bin/sh\nexec "+pythonPath()+" -m awscli \"$@\"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		v2 := filepath.Join(t.TempDir(), "aws")
		if err := os.Symlink(cliV2Path, v2); err != nil {
			t.Fatal(err)
		}
		var cmds []*exec.Cmd
		for _, aws := range []string{v1, v2} {
			cmd := exec.Command("sh", path)
			cmd.Env = append(clientEnv("us-east-1"), "PATH="+filepath.Dir(aws)+string(os.PathListSeparator)+os.Getenv("PATH"))
			cmds = append(cmds, cmd)
		}
		return cmds
	}},
	{file: "boto3-example.py", eventID: "boto3-1", needs: "boto3", commands: func(t *testing.T, path, _ string) []*exec.Cmd {
		return []*exec.Cmd{exec.Command(pythonPath(), path)}
	}},
	{file: "js-sdk-v2.js", eventID: "js-v2-1", needs: "jsv2", commands: nodeExample},
	{file: "js-sdk-v3.js", eventID: "js-v3-1", needs: "jsv3", commands: nodeExample},
	{file: "datafire.js", eventID: "datafire-1", needs: "datafire", commands: nodeExample},
	{file: "paws.pl", eventID: "paws-1", needs: "paws", commands: func(t *testing.T, path, _ string) []*exec.Cmd {
		return []*exec.Cmd{exec.Command("perl", "-I"+os.Getenv("PAWS_LIB"), path)}
	}},
	{file: "go/main.go", eventID: "go-1", commands: func(t *testing.T, _, endpoint string) []*exec.Cmd {
		bin := filepath.Join(t.TempDir(), "example")
		build := exec.Command("go", "build", "-ldflags", "-X main.endpoint="+endpoint, "-o", bin, "./examples/go")
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("building the Go example: %v\n%s", err, out)
		}
		return []*exec.Cmd{exec.Command(bin)}
	}},
}

// nodeExample runs a JavaScript snippet with compat/js's packages.
func nodeExample(t *testing.T, path, _ string) []*exec.Cmd {
	modules, err := filepath.Abs("js/node_modules")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("node", path)
	cmd.Env = append(os.Environ(), "NODE_PATH="+modules)
	return []*exec.Cmd{cmd}
}

// TestExamplesRun runs every README snippet against a quickstart server
// and checks that its event was stored.
func TestExamplesRun(t *testing.T) {
	endpoint := startPerch(t, "--quickstart")
	trackingID := quickstartTrackingID(t, endpoint)
	datasetARN := arn("dataset/perch-demo/INTERACTIONS")
	byID := map[string]*client{}
	for _, c := range clients() {
		byID[c.id] = c
	}
	for _, ex := range examples {
		t.Run(ex.file, func(t *testing.T) {
			for _, id := range strings.Split(ex.needs, ",") {
				if c := byID[id]; c != nil && c.skip != nil {
					if why := c.skip(); why != "" {
						t.Skip(why)
					}
				}
				if c := byID[id]; c != nil && c.requires != nil {
					if err := c.requires(); err != nil {
						testenv.Missing(t, fmt.Sprintf("cannot run %s: %v", c.name, err))
					}
				}
			}
			text, err := os.ReadFile(filepath.Join("examples", ex.file))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(text), readmeEndpoint) {
				t.Fatalf("%s does not use %s", ex.file, readmeEndpoint)
			}
			path := filepath.Join(t.TempDir(), filepath.Base(ex.file))
			if err := os.WriteFile(path, []byte(strings.ReplaceAll(string(text), readmeEndpoint, endpoint)), 0o644); err != nil {
				t.Fatal(err)
			}
			cmds := ex.commands(t, path, endpoint)
			for _, cmd := range cmds {
				if cmd.Env == nil {
					cmd.Env = os.Environ()
				}
				cmd.Env = append(cmd.Env, "TRACKING_ID="+trackingID)
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, out)
				}
			}
			recs, err := records(context.Background(), endpoint, datasetARN)
			if err != nil {
				t.Fatal(err)
			}
			stored := 0
			for _, r := range recs {
				if r["eventId"] != ex.eventID {
					continue
				}
				stored++
				for k, want := range map[string]string{"eventType": "click", "itemId": "item-42", "userId": "user-1", "sessionId": "session-1"} {
					if r[k] != want {
						t.Errorf("stored %s = %v, want %s", k, r[k], want)
					}
				}
				if props := fmt.Sprint(r["properties"]); ex.file != "datafire.js" && !sameJSONText(props, `{"device":"phone"}`) {
					t.Errorf("stored properties %s", props)
				}
			}
			if stored != len(cmds) {
				t.Errorf("%d records with eventId %s stored, want %d: %v", stored, ex.eventID, len(cmds), recs)
			}
		})
	}
}

// quickstartTrackingID finds the demo event tracker's tracking id.
func quickstartTrackingID(t *testing.T, endpoint string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cp := personalize.New(personalize.Options{Region: perchRegion, BaseEndpoint: aws.String(endpoint),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "perch-compat", SecretAccessKey: "perch-compat-secret"}, nil
		})})
	list, err := cp.ListEventTrackers(ctx, &personalize.ListEventTrackersInput{DatasetGroupArn: aws.String(arn("dataset-group/perch-demo"))})
	if err != nil || len(list.EventTrackers) != 1 {
		t.Fatalf("listing the quickstart's event tracker: %v %v", err, list)
	}
	d, err := cp.DescribeEventTracker(ctx, &personalize.DescribeEventTrackerInput{EventTrackerArn: list.EventTrackers[0].EventTrackerArn})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(d.EventTracker.TrackingId)
}

// TestReadmeShowsTheExamples keeps the README's snippets ("Use it from
// your language", "From events to recommendations") identical to the
// files the suite runs.
func TestReadmeShowsTheExamples(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	files := []string{recommendationsExample}
	for _, ex := range examples {
		files = append(files, ex.file)
	}
	for _, file := range files {
		text, err := os.ReadFile(filepath.Join("examples", file))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(readme), string(text)) {
			t.Errorf("README.md does not contain compat/examples/%s verbatim:\n%s", file, text)
		}
	}
}
