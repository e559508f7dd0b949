package awsapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/personalizeruntime"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/awsapi"
	"github.com/perchdev/perch/sigv4"
)

// benchItems is an answer of n scored items, as a user-personalization
// campaign gives.
func benchItems(n int) perch.Recommendations {
	items := make([]perch.RecommendedItem, n)
	for i := range items {
		score := 0.9 / float64(i+1)
		items[i] = perch.RecommendedItem{ItemID: fmt.Sprintf("item-%06d", i*37), Score: &score}
	}
	return perch.Recommendations{Items: items, RecommendationID: "RID-279bc670-9f3a-4633-b670-1183fd50c323"}
}

const benchRecommendationsBody = `{"campaignArn":"arn:aws:personalize:us-west-2:123456789012:campaign/shop-live","userId":"user-000042",` +
	`"numResults":25,"context":{"DEVICE":"mobile phone"},"filterArn":"arn:aws:personalize:us-west-2:123456789012:filter/in-stock",` +
	`"filterValues":{"GENRES":"\"drama\",\"comedy\""}}`

// BenchmarkServeGetRecommendations is a GetRecommendations call through
// the whole handler without the network, the runtime answering at once:
// what the wire costs a call (routing, reading, validating and decoding
// the body, encoding the answer).
//
//	go test -run XXX -bench ServeGetRecommendations ./awsapi
func BenchmarkServeGetRecommendations(b *testing.B) {
	for _, n := range []int{25, 500} {
		b.Run(fmt.Sprintf("items=%d", n), func(b *testing.B) {
			rec := newRecommender()
			rec.recommendations = benchItems(n)
			h := awsapi.New(awsapi.Config{Solutions: rec, Runtime: rec, Account: testAccount})
			body := []byte(benchRecommendationsBody)
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				w := httptest.NewRecorder()
				r := httptest.NewRequest(http.MethodPost, "/recommendations", strings.NewReader(benchRecommendationsBody))
				r.Header.Set("Content-Type", "application/json")
				h.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					b.Fatalf("HTTP %d: %s", w.Code, w.Body)
				}
			}
		})
	}
}

// BenchmarkGetRecommendationsLatency measures GetRecommendations as a
// client sees it, over loopback to a server that verifies signatures, the
// runtime answering 25 items at once, and reports the latency's median
// and 99th percentile: what the wire adds to the runtime's own time,
// against a target of 10 ms at p99 for the whole call. The client is the
// AWS SDK's, signing each call, or one that replays a call the SDK's
// signer signed, so that with several callers on a small machine the
// clients' own work does not crowd out the server being measured.
//
//	go test -run XXX -bench GetRecommendationsLatency -benchtime 5000x ./awsapi
func BenchmarkGetRecommendationsLatency(b *testing.B) {
	for _, bm := range []struct {
		client  string
		callers int
	}{{"sdk", 1}, {"sdk", 8}, {"replay", 1}, {"replay", 8}} {
		b.Run(fmt.Sprintf("client=%s/callers=%d", bm.client, bm.callers), func(b *testing.B) {
			ring, err := sigv4.ParseCredentials(strings.NewReader(testCredentialsFile), "bench")
			if err != nil {
				b.Fatal(err)
			}
			e := &env{t: b, dataDir: b.TempDir(), scope: perch.Scope{Region: testRegion, Account: testAccount},
				verifier: sigv4.NewVerifier(ring, testRegion, "personalize"), recommender: newRecommender()}
			e.recommender.recommendations = benchItems(25)
			e.start()
			b.Cleanup(func() { e.close() })
			ctx := context.Background()
			httpClient := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: bm.callers}}

			var call func() error
			switch bm.client {
			case "sdk":
				client := e.runtimeClient(testKey, func(o *personalizeruntime.Options) { o.HTTPClient = httpClient })
				in := &personalizeruntime.GetRecommendationsInput{
					CampaignArn: aws.String(campaignARN), UserId: aws.String("user-000042"), NumResults: 25,
					Context: map[string]string{"DEVICE": "mobile phone"}, FilterArn: aws.String(filterARN),
					FilterValues: map[string]string{"GENRES": `"drama","comedy"`},
				}
				call = func() error {
					out, err := client.GetRecommendations(ctx, in)
					if err == nil && len(out.ItemList) != 25 {
						err = fmt.Errorf("%d items", len(out.ItemList))
					}
					return err
				}
			case "replay":
				body := []byte(benchRecommendationsBody)
				signed, err := http.NewRequest(http.MethodPost, e.url+"/recommendations", bytes.NewReader(body))
				if err != nil {
					b.Fatal(err)
				}
				signed.Header.Set("Content-Type", "application/json")
				sum := sha256.Sum256(body)
				if err := v4.NewSigner().SignHTTP(ctx, testKey, signed, hex.EncodeToString(sum[:]), "personalize", testRegion, time.Now()); err != nil {
					b.Fatal(err)
				}
				call = func() error {
					req, _ := http.NewRequest(http.MethodPost, signed.URL.String(), bytes.NewReader(body))
					req.Header = signed.Header.Clone()
					resp, err := httpClient.Do(req)
					if err != nil {
						return err
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						return fmt.Errorf("HTTP %d", resp.StatusCode)
					}
					return nil
				}
			}
			for range 100 { // connections and pools warm
				if err := call(); err != nil {
					b.Fatal(err)
				}
			}

			// Each caller makes its share of b.N calls, one after another.
			var wg sync.WaitGroup
			per := make([][]time.Duration, bm.callers)
			b.ResetTimer()
			for c := range bm.callers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := c; i < b.N; i += bm.callers {
						start := time.Now()
						err := call()
						per[c] = append(per[c], time.Since(start))
						if err != nil {
							b.Errorf("GetRecommendations: %v", err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.StopTimer()
			latencies := slices.Concat(per...)
			slices.Sort(latencies)
			quantile := func(q float64) float64 {
				return float64(latencies[int(q*float64(len(latencies)-1))].Microseconds())
			}
			b.ReportMetric(quantile(0.5), "p50-µs")
			b.ReportMetric(quantile(0.99), "p99-µs")
		})
	}
}
