package watcher

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/qualitywatch/qualitywatch/bus"
)

// Store is the watcher's memory in JetStream KV: which items each source has
// shown (the seen bucket), each source's fetch state, and poll leases (see
// lease.go). It survives restarts, kill -9 included, and is shared by
// replicas.
type Store struct {
	seen   jetstream.KeyValue
	state  jetstream.KeyValue // source state: never expires
	leases jetstream.KeyValue
}

// SourceState is what the watcher remembers about a source between polls.
type SourceState struct {
	Validators Validators `json:"validators"`
	// Baselined is set once the items present at first sight were recorded.
	Baselined bool `json:"baselined"`
	// NotBefore defers the next poll: the site asked (Retry-After, then
	// RetryAfter is set) or the source is failing (backoff).
	NotBefore  time.Time `json:"not_before,omitzero"`
	RetryAfter bool      `json:"retry_after,omitempty"`
	LastOK     time.Time `json:"last_ok,omitzero"`
	// Health (see health.go): the state, since when, the failed polls in
	// a row and the last error.
	Health     string    `json:"health,omitempty"`
	Since      time.Time `json:"since,omitzero"`
	Failures   int       `json:"failures,omitempty"`
	LastError  string    `json:"last_error,omitempty"`
	LastReason string    `json:"last_reason,omitempty"`
	// Entries is how many entries the source last listed.
	Entries int `json:"entries,omitempty"`
	// DetailFailures counts, per new entry of a list source, the polls
	// whose fetch of its detail page failed; an entry leaves it when it is
	// published.
	DetailFailures map[string]int `json:"detail_failures,omitempty"`
}

// fingerprint is the state without the time of the last success, to tell
// whether a poll changed anything else.
func (st SourceState) fingerprint() string {
	st.LastOK = time.Time{}
	b, _ := json.Marshal(st)
	return string(b)
}

func (st *SourceState) setDetailFailure(id string, n int) {
	if st.DetailFailures == nil {
		st.DetailFailures = map[string]int{}
	}
	st.DetailFailures[id] = n
}

// OpenStore binds the buckets created by bus.Setup.
func OpenStore(ctx context.Context, js jetstream.JetStream) (*Store, error) {
	var s Store
	for _, b := range []struct {
		name string
		dst  *jetstream.KeyValue
	}{{bus.SeenBucket, &s.seen}, {bus.SourcesBucket, &s.state}, {bus.LeaseBucket, &s.leases}} {
		kv, err := js.KeyValue(ctx, b.name)
		if err != nil {
			return nil, fmt.Errorf("open bucket %s: %w", b.name, err)
		}
		*b.dst = kv
	}
	return &s, nil
}

// Seen reports whether source has already shown the item with this id.
func (s *Store) Seen(ctx context.Context, source, id string) (bool, error) {
	_, err := s.seen.Get(ctx, Key(source, id))
	switch {
	case err == nil:
		return true, nil
	case bus.IsNotFound(err):
		return false, nil
	default:
		return false, fmt.Errorf("look up seen item: %w", err)
	}
}

// MarkSeen records the item as seen. Call it only after the item's publish
// was acknowledged (or, in baseline mode, instead of publishing).
func (s *Store) MarkSeen(ctx context.Context, source, id string) error {
	if _, err := s.seen.Put(ctx, Key(source, id), []byte(id)); err != nil {
		return fmt.Errorf("mark item seen: %w", err)
	}
	return nil
}

func stateKey(source string) string { return "source." + source }

// State returns the source's remembered state (zero for a new source).
func (s *Store) State(ctx context.Context, source string) (SourceState, error) {
	var st SourceState
	e, err := s.state.Get(ctx, stateKey(source))
	if bus.IsNotFound(err) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("load source state: %w", err)
	}
	if err := json.Unmarshal(e.Value(), &st); err != nil {
		return SourceState{}, fmt.Errorf("decode source state: %w", err)
	}
	return st, nil
}

// SaveState stores the source's state.
func (s *Store) SaveState(ctx context.Context, source string, st SourceState) error {
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encode source state: %w", err)
	}
	if _, err := s.state.Put(ctx, stateKey(source), b); err != nil {
		return fmt.Errorf("save source state: %w", err)
	}
	return nil
}
