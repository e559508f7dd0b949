package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/personalize"
	"github.com/aws/aws-sdk-go-v2/service/personalizeevents"
	etypes "github.com/aws/aws-sdk-go-v2/service/personalizeevents/types"
	"github.com/aws/smithy-go"
)

// The keys of the process-level tests: the first profile's account gets
// the quickstart's demo resources.
const serveCredentials = `[demo]
aws_access_key_id = AKIDDEMO
aws_secret_access_key = demo-secret
aws_account_id = 444455556666

[other]
aws_access_key_id = AKIDOTHER
aws_secret_access_key = other-secret
aws_account_id = 777788889999
`

var (
	demoKey  = aws.Credentials{AccessKeyID: "AKIDDEMO", SecretAccessKey: "demo-secret"}
	otherKey = aws.Credentials{AccessKeyID: "AKIDOTHER", SecretAccessKey: "other-secret"}
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestServeRefusesBadAuthAndTLSConfiguration(t *testing.T) {
	good := writeFile(t, "credentials", serveCredentials)
	noAccount := writeFile(t, "no-account", "[demo]\naws_access_key_id=A\naws_secret_access_key=s\n")
	dupKey := writeFile(t, "dup", serveCredentials+"\n[again]\naws_access_key_id = AKIDDEMO\naws_secret_access_key = x\naws_account_id = 111111111111\n")
	badAccount := writeFile(t, "bad-account", "[ci]\naws_access_key_id=A\naws_secret_access_key=s\naws_account_id=12345\n")
	notPEM := writeFile(t, "cert.pem", "not a certificate")
	for _, c := range []struct {
		name string
		args []string
		want []string
	}{
		{"unknown mode", []string{"--auth", "basic"}, []string{`--auth must be none or sigv4, got "basic"`}},
		{"sigv4 without keys", []string{"--auth", "sigv4"}, []string{"--auth sigv4 needs --credentials FILE"}},
		{"keys without sigv4", []string{"--credentials", good}, []string{"--credentials is only read with --auth sigv4"}},
		{"missing file", []string{"--auth", "sigv4", "--credentials", filepath.Join(t.TempDir(), "none")}, []string{"--credentials:", "no such file"}},
		{"no account id", []string{"--auth", "sigv4", "--credentials", noAccount}, []string{"profile [demo] has no aws_account_id"}},
		{"duplicate key", []string{"--auth", "sigv4", "--credentials", dupKey}, []string{"profile [again]", "AKIDDEMO is also the key of profile [demo]"}},
		{"bad account id", []string{"--auth", "sigv4", "--credentials", badAccount}, []string{"profile [ci]", "aws_account_id must be 12 digits"}},
		{"certificate without key", []string{"--tls-cert", notPEM}, []string{"--tls-cert and --tls-key go together"}},
		{"unreadable certificate", []string{"--tls-cert", notPEM, "--tls-key", notPEM}, []string{"--tls-cert/--tls-key:"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dataDir := filepath.Join(t.TempDir(), "data")
			cmd := exec.Command(perchBin, append([]string{"serve", "--addr", "127.0.0.1:0", "--data", dataDir}, c.args...)...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			var exit *exec.ExitError
			if !errors.As(err, &exit) {
				t.Fatalf("perch serve %v: %v, want a refusal\n%s", c.args, err, stderr.String())
			}
			for _, w := range c.want {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr %q does not contain %q", stderr.String(), w)
				}
			}
			if _, err := os.Stat(dataDir); !os.IsNotExist(err) {
				t.Errorf("a refused configuration created the data directory (%v)", err)
			}
		})
	}
}

// selfSigned writes a new self-signed certificate for 127.0.0.1 and
// localhost and its key, and returns their paths and a pool trusting it.
func selfSigned(t *testing.T) (certPath, keyPath string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "perch test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:     []string{"localhost"},
		IsCA:         true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	certPath = writeFile(t, "cert.pem", string(certPEM))
	keyPath = writeFile(t, "key.pem", string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})))
	pool = x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	return certPath, keyPath, pool
}

func eventsClient(endpoint string, creds aws.Credentials, httpClient aws.HTTPClient) *personalizeevents.Client {
	return personalizeevents.New(personalizeevents.Options{
		Region: "eu-west-1", BaseEndpoint: aws.String(endpoint), Retryer: aws.NopRetryer{}, HTTPClient: httpClient,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return creds, nil }),
	})
}

// recordsWithEnv runs perch records with exactly the given environment (and
// PATH) and returns its status, output and errors.
func recordsWithEnv(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(perchBin, append([]string{"records"}, args...)...)
	cmd.Env = append(env, "PATH="+os.Getenv("PATH"), "HOME="+t.TempDir())
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), stdout.String(), stderr.String()
	} else if err != nil {
		t.Fatal(err)
	}
	return 0, stdout.String(), stderr.String()
}

// TestSignedQuickstartOverTLS serves the quickstart with signature checks
// over HTTPS with a self-signed certificate, and uses it through an SDK
// client that trusts the certificate and through perch records.
func TestSignedQuickstartOverTLS(t *testing.T) {
	certPath, keyPath, pool := selfSigned(t)
	credentials := writeFile(t, "credentials", serveCredentials)
	s := startServer(t, t.TempDir(), "--quickstart", "--auth", "sigv4", "--credentials", credentials,
		"--tls-cert", certPath, "--tls-key", keyPath)
	if !strings.HasPrefix(s.endpoint, "https://127.0.0.1:") {
		t.Fatalf("endpoint = %s, want https", s.endpoint)
	}
	out := s.stdout.String()
	m, d := trackingIDLine.FindStringSubmatch(out), interactionsLine.FindStringSubmatch(out)
	if m == nil || d == nil {
		t.Fatalf("quickstart output lacks the trackingId or dataset ARN:\n%s", out)
	}
	trackingID, datasetARN := m[1], d[1]
	if want := "arn:aws:personalize:eu-west-1:444455556666:dataset/perch-demo/INTERACTIONS"; datasetARN != want {
		t.Errorf("with --auth sigv4 the demo dataset is %s, want %s (the first profile's account)", datasetARN, want)
	}
	if !strings.Contains(out, "sign with profile [demo] of "+credentials) {
		t.Errorf("quickstart output does not say which profile to sign with:\n%s", out)
	}

	trusting := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.TLSClientConfig = &tls.Config{RootCAs: pool}
	})
	put := func(c *personalizeevents.Client) error {
		_, err := c.PutEvents(context.Background(), &personalizeevents.PutEventsInput{
			TrackingId: aws.String(trackingID), UserId: aws.String("user-1"), SessionId: aws.String("s-1"),
			EventList: []etypes.Event{{EventType: aws.String("click"), ItemId: aws.String("item-1"), SentAt: aws.Time(time.Unix(1700000000, 0))}},
		})
		return err
	}
	if err := put(eventsClient(s.endpoint, demoKey, trusting)); err != nil {
		t.Fatalf("PutEvents over TLS with the demo key: %v", err)
	}
	// A client that does not trust the certificate does not get through.
	var unknownAuthority x509.UnknownAuthorityError
	if err := put(eventsClient(s.endpoint, demoKey, nil)); !errors.As(err, &unknownAuthority) {
		t.Fatalf("PutEvents from a client not trusting the certificate: %v, want an unknown-authority error", err)
	}
	// The other account's key is authenticated but reaches nothing.
	var ae smithy.APIError
	if err := put(eventsClient(s.endpoint, otherKey, trusting)); !errors.As(err, &ae) || ae.ErrorCode() != "InvalidInputException" {
		t.Fatalf("PutEvents with the other account's key: %v, want InvalidInputException", err)
	}
	if err := put(eventsClient(s.endpoint, aws.Credentials{AccessKeyID: "AKIDDEMO", SecretAccessKey: "guess"}, trusting)); !errors.As(err, &ae) || ae.ErrorCode() != "InvalidSignatureException" {
		t.Fatalf("PutEvents with a wrong secret: %v, want InvalidSignatureException", err)
	}

	// perch records signs with the standard environment variables and
	// trusts AWS_CA_BUNDLE, as the AWS CLI does.
	code, stdout, stderr := recordsWithEnv(t, []string{"AWS_ACCESS_KEY_ID=AKIDDEMO", "AWS_SECRET_ACCESS_KEY=demo-secret", "AWS_CA_BUNDLE=" + certPath},
		datasetARN, "--endpoint", s.endpoint)
	if code != 0 || len(nonEmptyLines(stdout)) != 1 || !strings.Contains(stdout, `"userId":"user-1"`) {
		t.Fatalf("perch records with the demo key: %d\n%s%s", code, stdout, stderr)
	}
	// ... or with a profile of a shared credentials file.
	code, _, stderr = recordsWithEnv(t, []string{"AWS_SHARED_CREDENTIALS_FILE=" + credentials, "AWS_CA_BUNDLE=" + certPath},
		datasetARN, "--endpoint", s.endpoint, "--profile", "other")
	if code == 0 || !strings.Contains(stderr, "ResourceNotFoundException") {
		t.Fatalf("perch records --profile other: %d %s, want ResourceNotFoundException", code, stderr)
	}
	code, _, stderr = recordsWithEnv(t, []string{"AWS_CA_BUNDLE=" + certPath}, datasetARN, "--endpoint", s.endpoint)
	if code == 0 || !strings.Contains(stderr, "MissingAuthenticationTokenException") || !strings.Contains(stderr, "no AWS credentials were found") {
		t.Fatalf("perch records without credentials: %d %s", code, stderr)
	}
}

// TestCredentialsReloadOnSIGHUP rotates a key while the server runs.
func TestCredentialsReloadOnSIGHUP(t *testing.T) {
	credentials := writeFile(t, "credentials", serveCredentials)
	s := startServer(t, t.TempDir(), "--auth", "sigv4", "--credentials", credentials)
	list := func(creds aws.Credentials) error {
		cp := personalize.New(personalize.Options{
			Region: "eu-west-1", BaseEndpoint: aws.String(s.endpoint), Retryer: aws.NopRetryer{},
			Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return creds, nil }),
		})
		_, err := cp.ListDatasetGroups(context.Background(), &personalize.ListDatasetGroupsInput{})
		return err
	}
	wantCode := func(err error, code string) {
		t.Helper()
		var ae smithy.APIError
		if code == "" && err != nil || code != "" && (!errors.As(err, &ae) || ae.ErrorCode() != code) {
			t.Fatalf("got %v, want %q", err, code)
		}
	}
	wantCode(list(demoKey), "")

	rotated := aws.Credentials{AccessKeyID: "AKIDDEMO2", SecretAccessKey: "demo-secret-2"}
	next := strings.Replace(strings.Replace(serveCredentials, "AKIDDEMO", "AKIDDEMO2", 1), "demo-secret", "demo-secret-2", 1)
	if err := os.WriteFile(credentials, []byte(next), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	s.waitLog(t, "credentials reloaded")
	wantCode(list(rotated), "")
	wantCode(list(demoKey), "UnrecognizedClientException")

	// A broken file is reported and changes nothing.
	if err := os.WriteFile(credentials, []byte("[demo]\naws_access_key_id = AKIDDEMO3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	if line := s.waitLog(t, "reloading credentials failed"); !strings.Contains(line, "has no aws_secret_access_key") {
		t.Errorf("the reload failure does not say what is wrong: %s", line)
	}
	wantCode(list(rotated), "")
	wantCode(list(otherKey), "")
}

// TestCertificateReloadOnSIGHUP replaces the certificate and key files
// while the server runs: connections made after SIGHUP get the new
// certificate, and a pair that does not load keeps the old one.
func TestCertificateReloadOnSIGHUP(t *testing.T) {
	certPath, keyPath, firstPool := selfSigned(t)
	nextCert, nextKey, nextPool := selfSigned(t)
	s := startServer(t, t.TempDir(), "--tls-cert", certPath, "--tls-key", keyPath)
	served := func() []byte {
		t.Helper()
		pool := firstPool.Clone()
		pool.AppendCertsFromPEM(readFile(t, nextCert))
		conn, err := tls.Dial("tcp", strings.TrimPrefix(s.endpoint, "https://"), &tls.Config{RootCAs: pool})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0].Raw
	}
	certDER := func(path string) []byte {
		block, _ := pem.Decode(readFile(t, path))
		return block.Bytes
	}
	first := certDER(certPath)
	if !bytes.Equal(served(), first) {
		t.Fatal("the server does not serve the certificate of --tls-cert")
	}

	replaceAndHangUp := func(path string, content []byte) {
		t.Helper()
		if err := os.WriteFile(path, content, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := s.cmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
	}

	// A certificate whose key has not been replaced yet does not load.
	replaceAndHangUp(certPath, readFile(t, nextCert))
	if line := s.waitLog(t, "reloading the TLS certificate failed"); !strings.Contains(line, "private key does not match public key") {
		t.Errorf("the reload failure does not say what is wrong: %s", line)
	}
	if !bytes.Equal(served(), first) {
		t.Error("after a failed reload the server no longer serves the previous certificate")
	}

	replaceAndHangUp(keyPath, readFile(t, nextKey))
	s.waitLog(t, "TLS certificate reloaded")
	if !bytes.Equal(served(), certDER(nextCert)) {
		t.Error("after the reload the server does not serve the new certificate")
	}
	// A client trusting only the new certificate gets through with the SDK.
	client := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.TLSClientConfig = &tls.Config{RootCAs: nextPool}
	})
	cp := personalize.New(personalize.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(s.endpoint), Retryer: aws.NopRetryer{}, HTTPClient: client,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return demoKey, nil }),
	})
	if _, err := cp.ListDatasetGroups(context.Background(), &personalize.ListDatasetGroupsInput{}); err != nil {
		t.Fatalf("ListDatasetGroups trusting only the new certificate: %v", err)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
