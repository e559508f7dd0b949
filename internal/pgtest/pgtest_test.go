package pgtest

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestDatabase gets two databases of the one server, writes to each and
// sees each alone, and checks the server syncs what it commits.
func TestDatabase(t *testing.T) {
	ctx := t.Context()
	a, b := Database(t), Database(t)
	if a == b {
		t.Fatalf("two tests' databases share a URL: %s", a)
	}
	for i, url := range []string{a, b} {
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(ctx, "CREATE TABLE t (n int)"); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Exec(ctx, "INSERT INTO t VALUES ($1)", i); err != nil {
			t.Fatal(err)
		}
		var n, rows int
		if err := conn.QueryRow(ctx, "SELECT min(n), count(*) FROM t").Scan(&n, &rows); err != nil || n != i || rows != 1 {
			t.Errorf("database %d holds %d rows from %d (%v)", i, rows, n, err)
		}
		for setting, want := range map[string]string{"fsync": "on", "synchronous_commit": "on"} {
			var got string
			if err := conn.QueryRow(ctx, "SHOW "+setting).Scan(&got); err != nil || got != want {
				t.Errorf("%s = %q (%v), want %s", setting, got, err, want)
			}
		}
	}
}

// TestServerRestarts stops a server of the test's own, sees connections
// refused, starts it again and finds what was committed before.
func TestServerRestarts(t *testing.T) {
	ctx := t.Context()
	srv := NewServer(t)
	url := srv.Database(t)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "CREATE TABLE t (n int); INSERT INTO t VALUES (7)"); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	srv.Stop(t)
	if conn, err := pgx.Connect(ctx, url); err == nil {
		conn.Close(ctx)
		t.Fatal("connected to a stopped server")
	}
	srv.Start(t)
	conn, err = pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, "SELECT n FROM t").Scan(&n); err != nil || n != 7 {
		t.Errorf("after a restart: %d, %v; want 7", n, err)
	}
}
