//go:build unix

package bus

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// lockStore takes an exclusive lock on the embedded server's store
// directory, so that a second qualitywatch (a `replay` beside a running
// daemon, a second daemon with the same config) can never open the same
// JetStream files. The lock goes with the process, kill -9 included.
func lockStore(dir string) (release func(), err error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("embedded nats: store_dir: %w", err)
	}
	path := filepath.Join(dir, "qualitywatch.lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("embedded nats: lock store_dir: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("embedded nats: store_dir %s is in use by another qualitywatch process (pid %s); stop it, or reach its server through nats.listen",
				dir, strings.TrimSpace(string(holder)))
		}
		return nil, fmt.Errorf("embedded nats: lock store_dir: %w", err)
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
