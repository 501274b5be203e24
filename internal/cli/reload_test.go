package cli

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// SIGHUP and, with --watch-config, a changed file each ask for a reload.
func TestReloadSignals(t *testing.T) {
	path := filepath.Join(t.TempDir(), "qw.yaml")
	if err := os.WriteFile(path, []byte("sources: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ch := reloadSignals(t.Context(), path, true, slog.New(slog.NewTextHandler(io.Discard, nil)))
	expect := func(what string) {
		t.Helper()
		select {
		case <-ch:
		case <-time.After(20 * time.Second):
			t.Fatalf("no reload after %s", what)
		}
	}
	if err := os.WriteFile(path, []byte("sources: []\nnotifiers: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	expect("the file changed")
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	expect("SIGHUP")
}
