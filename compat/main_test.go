package compat_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"testing"
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "perch-compat-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := buildPerch(dir); err != nil {
		fmt.Fprintln(os.Stderr, "building perch:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	npmErr = installJSClients()
	code := m.Run()
	os.RemoveAll(dir)

	var table bytes.Buffer
	report.write(&table)
	os.Stdout.Write(table.Bytes())
	if path := os.Getenv("PERCH_COMPAT_REPORT"); path != "" && table.Len() > 0 {
		if err := os.WriteFile(path, table.Bytes(), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "writing the report:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// npmErr says why the JavaScript clients are not installed, if they are not.
var npmErr error

// installJSClients runs `npm ci` in js/ unless node_modules already holds
// exactly what package-lock.json pins: npm records what it installed in
// node_modules/.package-lock.json.
func installJSClients() error {
	if upToDate, err := sameLockedPackages("js/package-lock.json", "js/node_modules/.package-lock.json"); err != nil {
		return err
	} else if upToDate {
		return nil
	}
	if _, err := exec.LookPath("npm"); err != nil {
		return fmt.Errorf("npm is not installed (Debian: apt-get install -y nodejs npm): %v", err)
	}
	cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
	cmd.Dir = "js"
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("npm ci in compat/js: %v\n%s", err, out)
	}
	return nil
}

// sameLockedPackages reports whether the installed lockfile lists the
// same packages as the project's.
func sameLockedPackages(lockfile, installed string) (bool, error) {
	type lock struct {
		Packages map[string]json.RawMessage `json:"packages"`
	}
	var want, got lock
	b, err := os.ReadFile(lockfile)
	if err != nil {
		return false, err
	}
	if err := json.Unmarshal(b, &want); err != nil {
		return false, fmt.Errorf("%s: %v", lockfile, err)
	}
	b, err = os.ReadFile(installed)
	if err != nil || json.Unmarshal(b, &got) != nil {
		return false, nil
	}
	delete(want.Packages, "") // the project itself
	if len(want.Packages) != len(got.Packages) {
		return false, nil
	}
	for name, w := range want.Packages {
		var a, b any
		if json.Unmarshal(w, &a) != nil || json.Unmarshal(got.Packages[name], &b) != nil || !reflect.DeepEqual(a, b) {
			return false, nil
		}
	}
	return true, nil
}
