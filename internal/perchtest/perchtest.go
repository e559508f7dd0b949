// Package perchtest runs the perch binary for tests that drive it as a
// separate process.
package perchtest

import (
	"bufio"
	"errors"
	"os/exec"
	"regexp"
	"time"
)

// readyLine is the ready line in either --log-format.
var readyLine = regexp.MustCompile(`msg="perch ready" endpoint=(\S+)|"msg":"perch ready","endpoint":"([^"]+)"`)

// Start starts cmd, a `perch serve` whose Stderr the caller leaves unset,
// and returns the endpoint of its ready line once it has logged it. Each
// line the server logs is passed to onLog, when not nil, from another
// goroutine. The caller stops the process, also when Start fails after
// starting it (cmd.Process is then set).
func Start(cmd *exec.Cmd, onLog func(line string)) (endpoint string, err error) {
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return "", err
	}
	if err := cmd.Start(); err != nil {
		return "", err
	}
	found := make(chan string, 1)
	go func() {
		// Reads to the end so that the server never blocks on its log.
		sc := bufio.NewScanner(stderr)
		ready := false
		for sc.Scan() {
			if onLog != nil {
				onLog(sc.Text())
			}
			if m := readyLine.FindStringSubmatch(sc.Text()); m != nil && !ready {
				ready = true
				found <- m[1] + m[2]
			}
		}
		close(found)
	}()
	select {
	case ep, ok := <-found:
		if !ok {
			return "", errors.New("perch serve exited before it was ready")
		}
		return ep, nil
	case <-time.After(time.Minute):
		return "", errors.New("perch serve did not report ready within a minute")
	}
}
