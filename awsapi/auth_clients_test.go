package awsapi_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// These tests prove the verification against what botocore sends, through
// the AWS CLI and boto3 as users run them: profiles from a shared
// credentials file, session tokens, the CLI's own query and path encoding,
// and botocore's header and presigned-URL signers on the read API.

// clientEnv is the environment of a CLI or boto3 process: only the given
// credentials file and the test's region, nothing from the machine's own
// AWS configuration.
func clientEnv(t *testing.T, credentialsPath string) []string {
	t.Helper()
	env := []string{
		"AWS_SHARED_CREDENTIALS_FILE=" + credentialsPath,
		"AWS_CONFIG_FILE=" + filepath.Join(t.TempDir(), "no-config"),
		"AWS_DEFAULT_REGION=" + testRegion,
		"AWS_EC2_METADATA_DISABLED=true",
		"HOME=" + t.TempDir(),
	}
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); k == "PATH" || k == "PYENV_ROOT" || k == "LANG" {
			env = append(env, kv)
		}
	}
	return env
}

// clientFile is the server's credentials plus a profile whose secret is
// wrong, which the server must not have.
func clientFile(t *testing.T, serverFile string) string {
	t.Helper()
	b, err := os.ReadFile(serverFile)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "client-credentials")
	b = append(b, "\n[wrong-secret]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = not-the-secret\n"...)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// awsCLI runs the AWS CLI against e and returns its exit status, standard
// output and standard error.
func awsCLI(t *testing.T, e *env, credentialsPath string, args ...string) (int, string, string) {
	t.Helper()
	if _, err := exec.LookPath("aws"); err != nil {
		t.Fatal("the AWS CLI is needed for this test (on Debian: apt-get install awscli)")
	}
	cmd := exec.Command("aws", append(args, "--endpoint-url", e.url, "--output", "json")...)
	cmd.Env = clientEnv(t, credentialsPath)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("aws %s: %v", strings.Join(args, " "), err)
	}
	return code, stdout.String(), stderr.String()
}

func TestAWSCLISignaturesVerify(t *testing.T) {
	e, serverFile := newSignedEnv(t)
	creds := clientFile(t, serverFile)
	g := e.makeGroup("shop")

	code, out, stderr := awsCLI(t, e, creds, "personalize", "create-dataset-group", "--name", "cli-shop")
	if code != 0 || !strings.Contains(out, `"arn:aws:personalize:us-west-2:123456789012:dataset-group/cli-shop"`) {
		t.Fatalf("create-dataset-group with the default profile: %d\n%s%s", code, out, stderr)
	}
	code, out, stderr = awsCLI(t, e, creds, "personalize-events", "put-events", "--tracking-id", g.trackingID,
		"--user-id", "cli user", "--session-id", "s-1",
		"--event-list", `[{"eventId":"cli-1","eventType":"click","itemId":"item 1","sentAt":1700000000}]`)
	if code != 0 {
		t.Fatalf("put-events with the default profile: %d\n%s%s", code, out, stderr)
	}
	if recs := e.records(g.datasets["INTERACTIONS"], nil); len(recs) != 1 || recs[0]["userId"] != "cli user" {
		t.Fatalf("records after the CLI's put-events: %v", recs)
	}

	// Another account's profile sees none of it; its session-token
	// profile is authenticated (the error is about the resource).
	code, out, stderr = awsCLI(t, e, creds, "personalize", "list-dataset-groups", "--profile", "other")
	if code != 0 || strings.Contains(out, "shop") {
		t.Fatalf("list-dataset-groups as the other account: %d\n%s%s", code, out, stderr)
	}
	code, _, stderr = awsCLI(t, e, creds, "personalize", "describe-dataset", "--dataset-arn", g.datasets["ITEMS"], "--profile", "other-session")
	if code == 0 || !strings.Contains(stderr, "(ResourceNotFoundException)") {
		t.Fatalf("describe-dataset of testAccount's dataset with the other account's session key: %d\n%s", code, stderr)
	}

	code, _, stderr = awsCLI(t, e, creds, "personalize", "list-schemas", "--profile", "wrong-secret")
	if code == 0 || !strings.Contains(stderr, "(InvalidSignatureException)") || !strings.Contains(stderr, "The request signature we calculated does not match") {
		t.Fatalf("list-schemas with a wrong secret: %d\n%s", code, stderr)
	}
	code, _, stderr = awsCLI(t, e, creds, "personalize", "list-schemas", "--no-sign-request")
	if code == 0 || !strings.Contains(stderr, "(MissingAuthenticationTokenException)") {
		t.Fatalf("list-schemas unsigned: %d\n%s", code, stderr)
	}
}

// botoScript uses boto3's clients, then botocore's own signers on the read
// API, and prints what it saw as JSON.
const botoScript = `
import json, sys, urllib.error, urllib.parse, urllib.request
import boto3, botocore.exceptions
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest

endpoint, dataset_arn, tracking_id = sys.argv[1:4]
out = {}
me = boto3.Session(profile_name="ci")
me.client("personalize-events", endpoint_url=endpoint).put_events(
    trackingId=tracking_id, userId="boto user/1", sessionId="s-1",
    eventList=[{"eventType": "click", "itemId": "item 1", "sentAt": 1700000000}])
out["groups"] = [g["datasetGroupArn"] for g in me.client("personalize", endpoint_url=endpoint).list_dataset_groups()["datasetGroups"]]

try:
    boto3.Session(profile_name="other-session").client("personalize", endpoint_url=endpoint).describe_dataset(datasetArn=dataset_arn)
    out["other"] = "allowed"
except botocore.exceptions.ClientError as e:
    out["other"] = e.response["Error"]["Code"]

def fetch(signer):
    query = urllib.parse.urlencode({"datasetArn": dataset_arn, "userId": "boto user/1", "limit": "5"}, quote_via=urllib.parse.quote)
    req = AWSRequest(method="GET", url=endpoint + "/_perch/records?" + query)
    signer.add_auth(req)
    p = req.prepare()
    try:
        with urllib.request.urlopen(urllib.request.Request(p.url, headers=dict(p.headers), method=p.method)) as r:
            return [r.status, r.read().decode()]
    except urllib.error.HTTPError as e:
        return [e.code, e.read().decode()]

creds = me.get_credentials().get_frozen_credentials()
out["header"] = fetch(SigV4Auth(creds, "personalize", me.region_name))
out["presigned"] = fetch(SigV4QueryAuth(creds, "personalize", me.region_name, expires=300))
print(json.dumps(out))
`

func TestBoto3SignaturesVerify(t *testing.T) {
	e, serverFile := newSignedEnv(t)
	g := e.makeGroup("shop")
	python := ""
	for _, p := range []string{"python3", "/usr/bin/python3"} {
		if exec.Command(p, "-c", "import boto3").Run() == nil {
			python = p
			break
		}
	}
	if python == "" {
		t.Fatal("python3 with boto3 is needed for this test (on Debian: apt-get install python3-boto3)")
	}
	cmd := exec.Command(python, "-c", botoScript, e.url, g.datasets["INTERACTIONS"], g.trackingID)
	cmd.Env = clientEnv(t, clientFile(t, serverFile))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("boto3 script: %v\n%s", err, stderr.String())
	}
	var out struct {
		Groups    []string
		Other     string
		Header    [2]any
		Presigned [2]any
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("boto3 script printed %q: %v", stdout.String(), err)
	}
	if len(out.Groups) != 1 || out.Groups[0] != g.arn {
		t.Errorf("boto3 list_dataset_groups with the second key of testAccount: %v", out.Groups)
	}
	if out.Other != "ResourceNotFoundException" {
		t.Errorf("boto3 describe_dataset from the other account's session key: %s", out.Other)
	}
	for name, got := range map[string][2]any{"header": out.Header, "presigned": out.Presigned} {
		body, _ := got[1].(string)
		if got[0] != float64(200) || !strings.Contains(body, `"userId":"boto user/1"`) || strings.Count(body, "\n") != 1 {
			t.Errorf("read API with botocore's %s signer: %v %s", name, got[0], body)
		}
	}
}
