package sigv4_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/perchdev/perch/sigv4"
)

// BenchmarkVerify measures the verification of one signed PutEvents
// request of about 1 KB, as the server sees it (parsed by net/http, body
// read), without the network.
func BenchmarkVerify(b *testing.B) {
	ring, err := sigv4.ParseCredentials(strings.NewReader(testCredentials), "bench")
	if err != nil {
		b.Fatal(err)
	}
	v := sigv4.NewVerifier(ring, region, service)
	body := bytes.Repeat([]byte(`{"eventType":"click","sentAt":1700000000,"itemId":"item-42"},`), 16)
	req, err := http.NewRequest("POST", "http://127.0.0.1:8080/events", bytes.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "aws-sdk-go-v2/1.43.4 os/linux lang/go#1.26 api/personalizeevents#1.29.0")
	if err := signer.SignHTTP(context.Background(), alice, req, hashOf(body), service, region, time.Now()); err != nil {
		b.Fatal(err)
	}
	// What the server's parser makes of it: Host moves out of the header.
	req.Host = req.URL.Host
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := v.Verify(req, body); err != nil {
				b.Fatal(err)
			}
		}
	})
}
