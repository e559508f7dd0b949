package compat_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
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

// lockStamp records which package-lock.json node_modules was installed
// from, so a changed lockfile reinstalls.
const lockStamp = "js/node_modules/.perch-lock-sha256"

// installJSClients runs `npm ci` in js/ unless node_modules already holds
// exactly what package-lock.json pins.
func installJSClients() error {
	lock, err := os.ReadFile("js/package-lock.json")
	if err != nil {
		return err
	}
	sum := sha256.Sum256(lock)
	want := hex.EncodeToString(sum[:])
	if got, err := os.ReadFile(lockStamp); err == nil && string(got) == want {
		return nil
	}
	if _, err := exec.LookPath("npm"); err != nil {
		return fmt.Errorf("npm is not installed (Debian: apt-get install -y nodejs npm): %v", err)
	}
	cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
	cmd.Dir = "js"
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("npm ci in compat/js: %v\n%s", err, out)
	}
	return os.WriteFile(filepath.FromSlash(lockStamp), []byte(want), 0o644)
}
