package awsapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/internal/cputime"
	"github.com/perchdev/perch/sigv4"
)

// BenchmarkPutEventsAuth measures PutEvents of 10 events per request from
// concurrent clients over loopback into the real store, with signature
// verification off and on: what --auth sigv4 costs the server. The
// clients replay one request signed by the SDK's signer (valid for the
// 15-minute skew window), so that client-side signing does not share the
// CPU with the server being measured.
//
//	go test -run XXX -bench PutEventsAuth -benchtime 5000x ./awsapi
func BenchmarkPutEventsAuth(b *testing.B) {
	for _, mode := range []string{"none", "sigv4"} {
		b.Run("auth="+mode, func(b *testing.B) {
			e := &env{t: b, dataDir: b.TempDir(), scope: perch.Scope{Region: testRegion, Account: testAccount}}
			if mode == "sigv4" {
				ring, err := sigv4.ParseCredentials(strings.NewReader(testCredentialsFile), "bench")
				if err != nil {
					b.Fatal(err)
				}
				e.verifier = sigv4.NewVerifier(ring, testRegion, "personalize")
			}
			e.start()
			b.Cleanup(func() { e.close() })
			g := e.makeGroup("bench")

			var events []string
			for range 10 {
				events = append(events, `{"eventType":"click","itemId":"item-42","sentAt":1700000000,"properties":"{\"device\":\"phone\",\"numberOfRatings\":12}"}`)
			}
			body := []byte(`{"trackingId":"` + g.trackingID + `","userId":"user-1","sessionId":"session-1","eventList":[` + strings.Join(events, ",") + `]}`)
			signed, err := http.NewRequest(http.MethodPost, e.url+"/events", bytes.NewReader(body))
			if err != nil {
				b.Fatal(err)
			}
			signed.Header.Set("Content-Type", "application/json")
			sum := sha256.Sum256(body)
			if err := v4.NewSigner().SignHTTP(context.Background(), testKey, signed, hex.EncodeToString(sum[:]), "personalize", testRegion, time.Now()); err != nil {
				b.Fatal(err)
			}
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

			b.SetParallelism(16)
			cpuBefore := cputime.Process()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req, _ := http.NewRequest(http.MethodPost, signed.URL.String(), bytes.NewReader(body))
					req.Header = signed.Header.Clone()
					resp, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						b.Errorf("PutEvents: %s", resp.Status)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N*len(events))/b.Elapsed().Seconds(), "events/s")
			// Throughput depends on the disk's sync latency and on what else
			// the machine runs; the CPU a request costs the process (server
			// and clients) does much less, and bounds throughput once the
			// disk is fast enough.
			b.ReportMetric(float64((cputime.Process()-cpuBefore).Microseconds())/float64(b.N), "cpu-µs/op")
		})
	}
}
