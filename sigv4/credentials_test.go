package sigv4_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perchdev/perch/sigv4"
)

func TestParseCredentials(t *testing.T) {
	ring, err := sigv4.ParseCredentials(strings.NewReader(testCredentials), "creds")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, k := range ring.Keys() {
		got = append(got, k.Profile+"="+k.AccessKeyID+"@"+k.Account)
	}
	want := "default=AKIDALICE@111111111111 alice-ci=AKIDALICECI@111111111111 bob=AKIDBOB@222222222222 bob-session=ASIABOBSESSION@222222222222"
	if strings.Join(got, " ") != want {
		t.Fatalf("keys = %s\nwant   %s", strings.Join(got, " "), want)
	}
	if k := ring.Lookup("AKIDBOB"); k == nil || k.Profile != "bob" {
		t.Fatalf("Lookup(AKIDBOB) = %+v", k)
	}
	if ring.Lookup("AKIDNOBODY") != nil {
		t.Fatal("Lookup of an unknown key found one")
	}

	longest := strings.Repeat("aZ09_.+-", 16) // 128 characters, every kind allowed
	ring, err = sigv4.ParseCredentials(strings.NewReader("[p]\naws_access_key_id="+longest+
		"\naws_secret_access_key=s\naws_account_id=012345678901\n"), "creds")
	if err != nil || ring.Lookup(longest) == nil {
		t.Fatalf("a 128-character access key id: %v", err)
	}
}

func TestLoadCredentialsFromAFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "credentials")
	if err := os.WriteFile(path, []byte(testCredentials), 0o600); err != nil {
		t.Fatal(err)
	}
	ring, err := sigv4.LoadCredentials(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(ring.Keys()) != 4 {
		t.Fatalf("%d keys, want 4", len(ring.Keys()))
	}
	if _, err := sigv4.LoadCredentials(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Fatal("loading a missing file succeeded")
	}
}

func TestParseCredentialsErrors(t *testing.T) {
	for _, c := range []struct {
		name, file string
		want       []string
	}{
		{"empty", "# nothing\n", []string{"creds: no profiles"}},
		{"no account id", "[ci]\naws_access_key_id=A\naws_secret_access_key=s\n",
			[]string{"creds:1: profile [ci] has no aws_account_id"}},
		{"no secret", "[a]\naws_access_key_id=A\naws_account_id=111111111111\n",
			[]string{"profile [a] has no aws_secret_access_key"}},
		{"bad account id", "[a]\naws_access_key_id=A\naws_secret_access_key=s\naws_account_id=1234\n",
			[]string{"profile [a]", "aws_account_id must be 12 digits, got \"1234\""}},
		{"duplicate access key", "[a]\naws_access_key_id=AKID\naws_secret_access_key=s\naws_account_id=111111111111\n" +
			"[b]\naws_access_key_id=AKID\naws_secret_access_key=t\naws_account_id=222222222222\n",
			[]string{"creds:5: profile [b]", "AKID is also the key of profile [a]"}},
		{"duplicate profile", "[a]\naws_access_key_id=A\naws_secret_access_key=s\naws_account_id=111111111111\n[a]\n",
			[]string{"creds:5: profile [a] appears again (first on line 1)"}},
		{"key set twice", "[a]\naws_access_key_id=A\naws_access_key_id=B\n",
			[]string{"creds:3: profile [a] sets aws_access_key_id twice"}},
		{"key outside a profile", "aws_access_key_id=A\n", []string{"creds:1:", "before any [profile] header"}},
		{"not key=value", "[a]\njust words\n", []string{"creds:2: expected \"key = value\""}},
		{"unterminated header", "[a\n", []string{"creds:1: a profile header must end with ']'"}},
		{"access key with a slash", "[a]\naws_access_key_id=A/B\naws_secret_access_key=s\naws_account_id=111111111111\n",
			[]string{"profile [a]", "may hold only letters, digits"}},
		{"access key of 129 characters", "[a]\naws_access_key_id=" + strings.Repeat("A", 129) + "\naws_secret_access_key=s\naws_account_id=111111111111\n",
			[]string{"profile [a]", "(at most 128)"}},
		{"access key with a space", "[a]\naws_access_key_id=A B\naws_secret_access_key=s\naws_account_id=111111111111\n",
			[]string{"profile [a]", "may hold only letters, digits"}},
		{"account id with a letter", "[a]\naws_access_key_id=A\naws_secret_access_key=s\naws_account_id=11111111111x\n",
			[]string{"aws_account_id must be 12 digits"}},
		{"account id of 13 digits", "[a]\naws_access_key_id=A\naws_secret_access_key=s\naws_account_id=1111111111111\n",
			[]string{"aws_account_id must be 12 digits"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := sigv4.ParseCredentials(strings.NewReader(c.file), "creds")
			if err == nil {
				t.Fatal("parsed without error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Fatalf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}
