package awsapi

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/awsapi/model"
	"github.com/perchdev/perch/catalog"
	"github.com/perchdev/perch/ingest"
	"github.com/perchdev/perch/loadgen"
	"github.com/perchdev/perch/pebble"
)

// putEventsBody is a PutEvents body as the load generator sends it: ten
// events of about 270 bytes, with impressions and properties.
func putEventsBody(trackingID string) []byte {
	w := loadgen.DefaultWorkload()
	w.TrackingID = trackingID
	return loadgen.SampleBody(w, 1)
}

// BenchmarkDecodeValidatePutEvents measures what the wire layer does to a
// PutEvents body before the write path sees it: the model's validation,
// which parses the body onto a tape, then reading the request's events
// from that tape.
func BenchmarkDecodeValidatePutEvents(b *testing.B) {
	body := putEventsBody("a9b0c1d2-e3f4-5a6b-7c8d-9e0f1a2b3c4d")
	op := model.Events.Operation("PutEvents")
	validate := func(b *testing.B) {
		if err := op.Validate(body); err != nil {
			b.Fatal(err)
		}
	}
	both := func(b *testing.B) {
		doc, err := op.Parse(body)
		if err != nil {
			b.Fatal(err)
		}
		_, events, err := readPutEvents(doc.Root())
		doc.Close()
		if err != nil || len(events) != 10 {
			b.Fatalf("read %d events: %v", len(events), err)
		}
	}
	for _, bm := range []struct {
		name string
		fn   func(*testing.B)
	}{
		{"validate", validate},
		{"both", both},
	} {
		b.Run(bm.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				bm.fn(b)
			}
		})
	}
}

// BenchmarkServePutEvents is a PutEvents call through the whole server
// without the network: routing, validation, decoding, the properties
// check, and a synced commit to a real store on disk, from many callers at
// once so that the store's writer has groups to commit.
func BenchmarkServePutEvents(b *testing.B) {
	store, err := pebble.Open(b.TempDir(), pebble.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	scope := perch.Scope{Region: "us-east-1", Account: "000000000000"}
	cat, err := catalog.Open(context.Background(), store.Resources(), scope, catalog.Options{})
	if err != nil {
		b.Fatal(err)
	}
	s := New(Config{Catalog: cat, Ingest: ingest.New(cat, store), Store: store, Account: scope.Account})
	srv := httptest.NewServer(s)
	res, err := loadgen.Setup(context.Background(), srv.URL,
		loadgen.Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret", Region: scope.Region}, "bench")
	srv.Close()
	if err != nil {
		b.Fatal(err)
	}
	body := putEventsBody(res.TrackingID)

	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.SetParallelism(32)
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/events", bytes.NewReader(body)))
			if rec.Code != http.StatusOK {
				b.Errorf("HTTP %d: %s", rec.Code, rec.Body)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N*10)/time.Since(start).Seconds(), "events/s")
}
