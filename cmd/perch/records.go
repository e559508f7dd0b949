package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

func runRecords(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("perch records", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: perch records DATASET_ARN [--endpoint URL] [--user-id U] [--session-id S] [--limit N]")
		fmt.Fprintln(stderr, "\nPrints the stored records of a dataset as JSON Lines.")
		fs.PrintDefaults()
	}
	endpoint := fs.String("endpoint", "http://127.0.0.1:8080", "`URL` of a running perch serve")
	userID := fs.String("user-id", "", "only this user's records (interactions); only this id (users)")
	sessionID := fs.String("session-id", "", "only this session's records")
	id := fs.String("id", "", "only the record with this item, user or action id")
	limit := fs.Int("limit", 0, "at most `N` records (0: all)")
	// Flags may come before or after the ARN.
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil
			}
			return errUsage
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(positional) != 1 {
		fs.Usage()
		return errUsage
	}
	if *limit < 0 {
		return fmt.Errorf("--limit must not be negative")
	}

	q := url.Values{"datasetArn": {positional[0]}}
	if *userID != "" {
		if strings.HasSuffix(positional[0], "/USERS") {
			q.Set("id", *userID)
		} else {
			q.Set("userId", *userID)
		}
	}
	if *sessionID != "" {
		q.Set("sessionId", *sessionID)
	}
	if *id != "" {
		q.Set("id", *id)
	}
	if *limit > 0 {
		q.Set("limit", strconv.Itoa(*limit))
	}
	u := strings.TrimRight(*endpoint, "/") + "/_perch/records?" + q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if json.Unmarshal(body, &e) == nil && e.Type != "" {
			return fmt.Errorf("%s: %s", e.Type, e.Message)
		}
		return fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	_, err = io.Copy(stdout, resp.Body)
	return err
}
