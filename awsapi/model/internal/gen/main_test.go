package main

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// modelDir is the model package, where go generate runs.
const modelDir = "../.."

func TestGeneratedFileIsCurrent(t *testing.T) {
	want, err := generate(modelDir)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(modelDir, outputFile))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is stale; run go generate in the model package", outputFile)
	}
}

// The unmodified models live outside the module; the check runs where
// they are present.
func TestTrimmedModelsAreCurrent(t *testing.T) {
	for _, svc := range services {
		src := filepath.Join(modelDir, "../../../shared/spec/aws-models", svc.file)
		full, err := os.ReadFile(src)
		if errors.Is(err, fs.ErrNotExist) {
			t.Skipf("%s is not present", src)
		}
		if err != nil {
			t.Fatal(err)
		}
		want, err := trimModel(full)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(modelDir, svc.file))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the trimmed %s", svc.file, src)
		}
	}
}

func TestTrimModel(t *testing.T) {
	in := `{"documentation":"<p>x</p>","shapes":{"A":{"type":"structure","members":{` +
		`"documentation":{"shape":"S","documentation":"a member so named"},"b":{"shape":"S"}},"documentation":"A"}},"n":1.50,"s":"<&>"}`
	want := `{
  "shapes": {
    "A": {
      "type": "structure",
      "members": {
        "documentation": {
          "shape": "S"
        },
        "b": {
          "shape": "S"
        }
      }
    }
  },
  "n": 1.50,
  "s": "<&>"
}
`
	got, err := trimModel([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestTranslatePattern(t *testing.T) {
	for _, tt := range []struct {
		pattern string
		match   []string
		noMatch []string
	}{
		{`\p{ASCII}{0,5}`, []string{"", "abc"}, []string{"é"}},
		{`[\p{ASCII}]+`, []string{"a~"}, []string{"aé"}},
		{`a.c`, []string{"abc", "a.c"}, []string{"a\nc", "a\u2028c", "a\rc"}},
		{`[.]`, []string{"."}, []string{"a"}},
		{`a\.c`, []string{"a.c"}, []string{"abc"}},
		{`[^.]x`, []string{"ax"}, []string{".x"}},
	} {
		re := regexp.MustCompile("^(?:" + translatePattern(tt.pattern) + ")$")
		for _, s := range tt.match {
			if !re.MatchString(s) {
				t.Errorf("%s (as %s) does not match %q", tt.pattern, re, s)
			}
		}
		for _, s := range tt.noMatch {
			if re.MatchString(s) {
				t.Errorf("%s (as %s) matches %q", tt.pattern, re, s)
			}
		}
	}
}
