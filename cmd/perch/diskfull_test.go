package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/perchdev/perch/internal/testenv"
)

// TestDiskFull runs the real binary on a small tmpfs, fills the file
// system while the server runs, and checks that writes are refused with
// 503 in AWS's envelope, that the server keeps running, that it takes
// writes again by itself once space is freed, and that every acknowledged
// record is there, then and after a restart.
//
// With the free-space reserve (the default) the store refuses writes
// before the engine runs out of space. With the reserve turned off the
// engine's own write fails with ENOSPC, and the store recovers by reopening
// the database.
//
// With the write-ahead log in a directory of its own (--wal-dir) on the
// small file system and the data directory elsewhere, the same holds; the
// restart then moves the log back into the data directory.
//
// Mounting a tmpfs needs root (CI runs as root). Without it the test is
// skipped in the quick loop and fails in CI (package testenv), so that a
// CI that lost root is noticed.
func TestDiskFull(t *testing.T) {
	if os.Geteuid() != 0 {
		testenv.Missing(t, "TestDiskFull mounts a tmpfs and needs root (sudo go test -run TestDiskFull ./cmd/perch)")
	}
	t.Run("reserve", func(t *testing.T) { testDiskFull(t, "8", "Insufficient storage: the data directory", false) })
	t.Run("no reserve", func(t *testing.T) { testDiskFull(t, "0", "", false) })
	t.Run("log directory reserve", func(t *testing.T) {
		testDiskFull(t, "8", "Insufficient storage: the write-ahead log directory", true)
	})
	t.Run("log directory no reserve", func(t *testing.T) { testDiskFull(t, "0", "", true) })
}

func testDiskFull(t *testing.T, minFreeMB, wantMessage string, logOnly bool) {
	mnt := mountTmpfs(t, "48m")
	dataDir, flags := filepath.Join(mnt, "data"), []string{"--min-free-mb", minFreeMB}
	if logOnly {
		dataDir = filepath.Join(t.TempDir(), "data")
		flags = append(flags, "--wal-dir", filepath.Join(mnt, "wal"))
	}
	s := startServer(t, dataDir, append([]string{"--quickstart"}, flags...)...)
	target := quickstartTarget(t, s)
	client := &http.Client{Timeout: 30 * time.Second}
	var ledger crashLedger
	put := func(prefix string, n int) (ok, failed int) {
		t.Helper()
		for i := range n {
			req := &crashRequest{items: i%3 == 2}
			for j := range 5 {
				req.ids = append(req.ids, fmt.Sprintf("%s-%d-%d", prefix, i, j))
			}
			resp := postRequest(t, client, s.endpoint, target, req, prefix)
			req.status = resp.status
			switch {
			case resp.status == http.StatusOK:
				req.outcome = acked
				ok++
			case resp.status == http.StatusServiceUnavailable && resp.code == "ServiceUnavailable" && resp.envelope == "ServiceUnavailable" &&
				strings.Contains(resp.message, wantMessage) && resp.requestID != "":
				// A write that failed in the engine may or may not be stored;
				// one refused before it must not be.
				req.outcome = refused
				if strings.Contains(resp.message, "may or may not") {
					req.outcome = unknown
				}
				failed++
			default:
				t.Fatalf("%s: %d %s %q %q: want 200 or 503 ServiceUnavailable in AWS's envelope", prefix, resp.status, resp.code, resp.envelope, resp.message)
			}
			ledger.requests = append(ledger.requests, req)
		}
		return ok, failed
	}

	if acked, _ := put("before", 30); acked != 30 {
		t.Fatalf("only %d of 30 requests were acknowledged before the disk filled", acked)
	}

	ballast := fillFileSystem(t, mnt)
	// Without the reserve, the engine's log still has the blocks written
	// ahead of its end (a few MiB, pebble/walfile.go) when the file system
	// is full, and takes writes until they are used up.
	acked, refused := 0, 0
	for round := 0; refused == 0 && round < 300; round++ {
		a, r := put(fmt.Sprintf("full%d", round), 30)
		acked, refused = acked+a, refused+r
	}
	t.Logf("disk full (reserve %s MiB): %d acknowledged, %d refused", minFreeMB, acked, refused)
	if refused == 0 {
		t.Fatal("no write was refused on a full disk")
	}
	// The control plane is refused the same way, and the server lives on.
	// Without the reserve, the store's recovery from the failed write may
	// already have made room: reopening replays the old log into tables
	// and lets its files go, which on a file system holding only the log
	// frees what the next small write needs.
	cp := controlPlane(t, client, s.endpoint, "CreateDatasetGroup", `{"name":"while-full"}`)
	refusedCP := cp.status == http.StatusServiceUnavailable && cp.code == "ServiceUnavailable" && cp.envelope == "ServiceUnavailable"
	if !refusedCP && (wantMessage != "" || cp.status != http.StatusOK) {
		t.Errorf("CreateDatasetGroup on a full disk: %d %s %q", cp.status, cp.code, cp.message)
	}
	// Reads go on while writes are refused before the engine; while the
	// store reopens they are refused too.
	read, err := client.Get(s.endpoint + "/_perch/records?datasetArn=" + target.interactions + "&limit=1")
	if err != nil {
		t.Fatalf("the server is gone on a full disk: %v", err)
	}
	r := readAnswer(t, read)
	if r.status != http.StatusOK && (wantMessage != "" || r.status != http.StatusServiceUnavailable || r.envelope != "ServiceUnavailable") {
		t.Errorf("reading on a full disk: %d %s %q", r.status, r.envelope, r.message)
	}

	// Load balancers are told to send the node nothing meanwhile: with the
	// reserve, for space; without it, while the store recovers or for good
	// if it has.
	if p := getProbe(t, s.endpoint, "ready"); wantMessage != "" &&
		(p.status != http.StatusServiceUnavailable || p.code != "ServiceUnavailable" || !strings.Contains(p.message, wantMessage)) {
		t.Errorf("ready on a full disk: %+v", p)
	}

	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	// The server is ready again by itself, before any write comes to find
	// out that there is room, as none would while it is not ready.
	waitProbe(t, s.endpoint, "ready", http.StatusOK, 30*time.Second)
	// The server takes writes again by itself.
	deadline := time.Now().Add(30 * time.Second)
	for i := 0; ; i++ {
		if acked, _ := put(fmt.Sprintf("retry%d", i), 1); acked == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the server did not take writes again within 30 s of space returning")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if acked, _ := put("after", 30); acked != 30 {
		t.Fatalf("only %d of 30 requests were acknowledged after space returned", acked)
	}
	t.Log("after space returned: " + ledger.check(t, readStored(t, s.endpoint, target)))

	// And all of it survives a restart.
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Wait(); err != nil {
		t.Errorf("perch serve after SIGTERM: %v", err)
	}
	s = startServer(t, dataDir, "--min-free-mb", minFreeMB)
	t.Log("after a restart: " + ledger.check(t, readStored(t, s.endpoint, target)))
}

// mountTmpfs mounts a tmpfs of the given size on a new directory and
// unmounts it when the test ends (after the server, killed by an earlier
// registered cleanup, has let go of it).
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "perch-tmpfs")
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		os.Remove(dir)
		t.Fatalf("mounting a tmpfs on %s: %v: %s", dir, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("unmounting %s: %v: %s", dir, err, out)
			return
		}
		os.Remove(dir)
	})
	return dir
}

// fillFileSystem writes a file into dir until the file system is full, to
// the last byte it will take, and returns the file's name.
func fillFileSystem(t *testing.T, dir string) string {
	t.Helper()
	name := filepath.Join(dir, "ballast")
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, chunk := range []int{1 << 20, 4 << 10, 1} {
		buf := make([]byte, chunk)
		for {
			if _, err := f.Write(buf); err != nil {
				if !errors.Is(err, syscall.ENOSPC) {
					t.Fatal(err)
				}
				break
			}
		}
	}
	return name
}

// apiAnswer is an answer of the API, with its error envelope if any.
type apiAnswer struct {
	status                  int
	code, envelope, message string
	requestID               string
}

func readAnswer(t *testing.T, resp *http.Response) apiAnswer {
	t.Helper()
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	a := apiAnswer{status: resp.StatusCode, code: resp.Header.Get("X-Amzn-ErrorType"), requestID: resp.Header.Get("x-amzn-RequestId")}
	if len(bytes.TrimSpace(body)) > 0 && resp.StatusCode != http.StatusOK {
		var env struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		if err := json.Unmarshal(body, &env); err != nil {
			t.Fatalf("answer %d %q is not AWS's envelope: %v", resp.StatusCode, body, err)
		}
		a.envelope, a.message = env.Type, env.Message
	}
	return a
}

// postRequest sends the request as the crash test does and reads the
// whole answer.
func postRequest(t *testing.T, client *http.Client, endpoint string, target crashTarget, req *crashRequest, marker string) apiAnswer {
	t.Helper()
	path, body := requestBody(target, req, marker)
	resp, err := client.Post(endpoint+path, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("%s: %v", marker, err)
	}
	return readAnswer(t, resp)
}

func controlPlane(t *testing.T, client *http.Client, endpoint, op, body string) apiAnswer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, endpoint+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amz-Target", "AmazonPersonalize."+op)
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", op, err)
	}
	return readAnswer(t, resp)
}
