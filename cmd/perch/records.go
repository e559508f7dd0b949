package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
)

func runRecords(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("perch records", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: perch records DATASET_ARN [--endpoint URL] [--profile P] [--user-id U] [--session-id S] [--limit N]")
		fmt.Fprintln(stderr, "\nPrints the stored records of a dataset as JSON Lines. Requests are signed with the")
		fmt.Fprintln(stderr, "AWS credentials found as the AWS CLI finds them (AWS_ACCESS_KEY_ID, AWS_PROFILE,")
		fmt.Fprintln(stderr, "~/.aws/credentials, ...), for the region of the ARN; AWS_CA_BUNDLE is honoured.")
		fs.PrintDefaults()
	}
	endpoint := fs.String("endpoint", "http://127.0.0.1:8080", "`URL` of a running perch serve")
	userID := fs.String("user-id", "", "only this user's records (interactions); only this id (users)")
	sessionID := fs.String("session-id", "", "only this session's records")
	id := fs.String("id", "", "only the record with this item, user or action id")
	limit := fs.Int("limit", 0, "at most `N` records (0: all)")
	profile := fs.String("profile", "", "sign with this `profile` of the AWS shared config and credentials files")
	// Flags may come before or after the ARN.
	positional, err := parseInterspersed(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
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
	rc, err := newReadClient(ctx, *endpoint, positional[0], *profile)
	if err != nil {
		return err
	}
	resp, err := rc.get(ctx, strings.TrimRight(*endpoint, "/")+"/_perch/records?"+q.Encode())
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.Copy(stdout, resp.Body)
	return err
}
