package watcher

import (
	"context"
	"fmt"
	"hash/fnv"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// members is this replica's view of the replicas sharing the sources.
type members struct {
	self   string
	store  *Store
	logger *slog.Logger

	ready     chan struct{} // closed once the first view is complete
	readyOnce sync.Once
	done      chan struct{} // closed when run returns

	mu        sync.Mutex
	heard     map[string]time.Time // other replicas: when last heard from
	ownHeard  time.Time            // our own announcement, echoed back
	watchedAt time.Time
	view      string // live replicas as last logged
	annErr    string
}

func newMembers(self string, store *Store, logger *slog.Logger) *members {
	return &members{self: self, store: store, logger: logger, heard: map[string]time.Time{},
		ready: make(chan struct{}), done: make(chan struct{})}
}

// run announces this replica and follows the others until ctx ends or
// stop is closed.
func (m *members) run(ctx context.Context, stop <-chan struct{}) {
	defer close(m.done)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	tick := time.NewTicker(heartbeatEvery)
	defer tick.Stop()
	m.announce(ctx)
	w := m.watch(ctx)
	for {
		var updates <-chan jetstream.KeyValueEntry
		if w != nil {
			updates = w.Updates()
		}
		select {
		case <-ctx.Done():
			if w != nil {
				_ = w.Stop()
			}
			return
		case <-tick.C:
			m.announce(ctx)
			if w != nil && m.deaf(time.Now()) {
				// Our own announcements no longer come back: watch again.
				_ = w.Stop()
				w = nil
			}
			if w == nil {
				w = m.watch(ctx)
			}
			m.logView()
		case e, ok := <-updates:
			if !ok {
				w = nil
				continue
			}
			m.hear(e, time.Now())
		}
	}
}

func memberKey(owner string, n int64) string { return fmt.Sprintf("member.%s.%d", owner, n) }

func (m *members) announce(ctx context.Context) {
	key := memberKey(m.self, time.Now().UnixNano())
	actx, cancel := context.WithTimeout(ctx, heartbeatEvery)
	_, err := m.store.leases.Create(actx, key, []byte(m.self), jetstream.KeyTTL(memberTimeout))
	cancel()
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case err == nil:
		if m.annErr != "" {
			m.logger.Info("announcing this replica to the others again")
		}
		m.annErr = ""
	case ctx.Err() != nil:
	case m.annErr != err.Error():
		m.annErr = err.Error()
		m.logger.Warn("cannot announce this replica to the others; slot claims still keep polls apart", "err", err)
	}
}

func (m *members) watch(ctx context.Context) jetstream.KeyWatcher {
	w, err := m.store.leases.Watch(ctx, "member.>")
	if err != nil {
		if ctx.Err() == nil {
			m.logger.Debug("watch replicas", "err", err)
		}
		return nil
	}
	m.mu.Lock()
	m.watchedAt = time.Now()
	m.mu.Unlock()
	return w
}

// hear takes in one announcement (nil: the first view is complete).
func (m *members) hear(e jetstream.KeyValueEntry, now time.Time) {
	if e == nil {
		m.readyOnce.Do(func() { close(m.ready) })
		return
	}
	owner, _, ok := strings.Cut(strings.TrimPrefix(e.Key(), "member."), ".")
	if !ok {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	switch e.Operation() {
	case jetstream.KeyValuePut:
		if string(e.Value()) == leftValue { // a replica that stopped in order
			if owner != m.self {
				delete(m.heard, owner)
			}
			return
		}
		if owner == m.self {
			m.ownHeard = now
		} else {
			m.heard[owner] = now
		}
	}
}

// deaf reports whether the watch has not echoed our own announcements for
// memberTimeout.
func (m *members) deaf(now time.Time) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.annErr == "" && now.Sub(m.watchedAt) > memberTimeout && now.Sub(m.ownHeard) > memberTimeout
}

// live lists the replicas heard from within memberTimeout, this one
// included, sorted.
func (m *members) live(now time.Time) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := []string{m.self}
	for owner, at := range m.heard {
		if now.Sub(at) <= memberTimeout {
			out = append(out, owner)
		} else {
			delete(m.heard, owner)
		}
	}
	slices.Sort(out)
	return out
}

func (m *members) logView() {
	live := m.live(time.Now())
	v := strings.Join(live, ",")
	m.mu.Lock()
	changed := v != m.view
	m.view = v
	m.mu.Unlock()
	if changed {
		m.logger.Info("replicas sharing the sources", "replicas", live, "self", m.self)
	}
}

// owns reports whether this replica is the one to poll source: the live
// replica with the highest rendezvous hash.
func (m *members) owns(source string, now time.Time) bool {
	best, bestScore := "", uint64(0)
	for _, r := range m.live(now) {
		if sc := rendezvous(source, r); best == "" || sc > bestScore {
			best, bestScore = r, sc
		}
	}
	return best == m.self
}

func rendezvous(source, replica string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(source))
	h.Write([]byte{0})
	h.Write([]byte(replica))
	// splitmix64's finaliser: FNV alone barely mixes its last bytes.
	x := h.Sum64()
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// leftValue marks the announcement of a replica that stops in order.
const leftValue = "left"

// leave tells the others this replica stops: their view drops it at once
// instead of after memberTimeout. run must have returned or be returning.
func (m *members) leave(ctx context.Context) error {
	select {
	case <-m.done:
	case <-ctx.Done():
		return fmt.Errorf("leave: %w", ctx.Err())
	}
	_, err := m.store.leases.Create(ctx, "member."+m.self+".left", []byte(leftValue), jetstream.KeyTTL(memberTimeout))
	if err != nil && !lostRace(err) {
		return fmt.Errorf("leave: %w", err)
	}
	return nil
}
