package devstack

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// The connection settings are plain pragma names: the SQLite plugin prefixes "_pragma=" itself,
// and a name that starts with "_" is a pragma SQLite does not know (and ignores).
func TestFileConnectAttributesArePragmaNames(t *testing.T) {
	attrs := fileConnectAttributes()
	for k := range attrs {
		if strings.HasPrefix(k, "_") {
			t.Errorf("attribute %q starts with _: SQLite would ignore it", k)
		}
	}
	for k, want := range map[string]string{"mode": "rwc", "journal_mode": "wal", "synchronous": "normal", "busy_timeout": "10000"} {
		if attrs[k] != want {
			t.Errorf("%s = %q, want %q", k, attrs[k], want)
		}
	}
}

// A started stack's database runs in WAL mode, seen by another reader of the file.
func TestStackDatabaseUsesWAL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the embedded Temporal server")
	}
	dir := t.TempDir()
	addr, err := FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	graph, err := FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := Start(ctx, Options{DataDir: dir, FrontendAddr: addr, GraphAddr: graph, GraphLag: 1500 * time.Millisecond, Logger: quietLogger()})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	defer s.Stop()
	if lag := s.Graph().Config().ReplicationLagMs; lag != 1500 {
		t.Errorf("simulator replication lag %d ms, want 1500", lag)
	}
	// Start returned, so the simulator answers already (no waiting).
	resp, err := http.Get("http://" + graph + "/_sim/stats")
	if err != nil {
		t.Fatalf("Graph simulator after Start: %v", err)
	}
	_ = resp.Body.Close()

	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, DatabaseFileName)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var mode string
	if err := db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil {
		t.Fatalf("read journal_mode: %v", err)
	}
	if mode != "wal" {
		t.Fatalf("journal_mode = %q, want wal", mode)
	}
}

func TestWaitHTTP(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) < 3 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	if err := WaitHTTP(context.Background(), srv.URL, 10*time.Second); err != nil {
		t.Fatalf("WaitHTTP: %v", err)
	}
	if n := calls.Load(); n != 3 {
		t.Fatalf("%d calls, want 3 (two 503s, then 200)", n)
	}

	closed, err := FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	err = WaitHTTP(context.Background(), "http://"+closed+"/", 300*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "did not answer") || !strings.Contains(err.Error(), closed) {
		t.Fatalf("WaitHTTP on a closed port: %v, want an error naming the address", err)
	}
}
