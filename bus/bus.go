// Package bus owns qualitywatch's use of NATS JetStream: the embedded server,
// the connection, and the streams and key-value buckets every other part
// relies on. Names here are part of the public contract (README.md).
package bus

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Stream and subject names. Subjects under these prefixes are the public
// contract for downstream consumers.
const (
	ItemsStream      = "QUALITYWATCH_ITEMS"
	ItemsPrefix      = "qualitywatch.items"
	AlertsStream     = "QUALITYWATCH_ALERTS"
	AlertsPrefix     = "qualitywatch.alerts"
	DeadLetterStream = "QUALITYWATCH_DEADLETTER"
	DeadLetterPrefix = "qualitywatch.deadletter"
	HealthStream     = "QUALITYWATCH_HEALTH"
	HealthPrefix     = "qualitywatch.health"
	// RepostsStream holds follow-ups: an alert's notice published again by
	// other sources ("also published by …"), for notifiers that ask.
	RepostsStream = "QUALITYWATCH_REPOSTS"
	RepostsPrefix = "qualitywatch.reposts"

	// RecentBucket holds, for alerts of the last RepostWindow that were
	// published again elsewhere, the copies found (the alerts themselves,
	// with their prints, are on the alerts stream). Stores written before
	// kept every recent alert's record here; they are still read.
	RecentBucket = "QUALITYWATCH_RECENT"

	// SeenBucket holds one key per item ever seen, per source.
	SeenBucket = "QUALITYWATCH_SEEN"
	// SourcesBucket holds per-source fetch state (validators, baseline
	// done). It never expires: losing it would re-take a source's baseline
	// and silently record new items as seen.
	SourcesBucket = "QUALITYWATCH_SOURCES"
	// StateBucket holds per-notifier state (digest windows, delivered
	// marks); it expires with the alerts it refers to.
	StateBucket = "QUALITYWATCH_STATE"
	// LeaseBucket holds short-lived poll slot claims and the replicas'
	// announcements, so that replicas sharing one NATS cluster poll each
	// source at most once per interval (watcher/lease.go).
	LeaseBucket = "QUALITYWATCH_LEASES"

	// HeaderReason carries why a message was dead-lettered.
	HeaderReason = "Qualitywatch-Reason"
	// HeaderNotifier names the notifier that dead-lettered a message.
	HeaderNotifier = "Qualitywatch-Notifier"
	// HeaderSource names the source of an alert, so that alerts can be
	// counted per source from their headers alone.
	HeaderSource = "Qualitywatch-Source"
	// HeaderPrint carries, on an alert the router indexed for reposts, the
	// notice's print (repost.Print as JSON), so that the alerts stream is
	// the repost index's store.
	HeaderPrint = "Qualitywatch-Print"
	// HeaderUpdateOf marks an alert that updates or corrects an earlier
	// one, with that alert's id (as the body's update_of).
	HeaderUpdateOf = "Qualitywatch-Update-Of"
)

// DuplicateWindow is how long JetStream remembers Nats-Msg-Id values on the
// health, reposts and dead-letter streams: an event or follow-up published
// again after a crash is dropped within it.
const DuplicateWindow = time.Hour

// AlertsDuplicateWindow is the same for QUALITYWATCH_ALERTS, shorter: the
// server keeps each id it remembers in memory. The router does not need it
// to publish an alert once: every alert it publishes carries its print, the
// repost index is read back from the stream (at start, and as replicas
// publish), and an item already alerted is skipped. The window still drops
// the second of two copies of one item routed at the same moment by two
// replicas.
const AlertsDuplicateWindow = 30 * time.Second

// ItemsDuplicateWindow is the same for QUALITYWATCH_ITEMS, shorter still:
// items are the volume, and the server keeps each id it remembers in memory
// (and up to three windows' worth before it compacts its list): at 2,000
// items/s an hour's window held about 1 GB, and 30 s still swung by 15 MB.
// Here the window only needs to cover a publish the client retries within
// one poll (nats.go retries a publish that found no responder); an item is
// not published twice across polls because the per-source seen-store says
// it was seen, and an item that still comes twice (a crash between its
// publish and the seen-store's write) gives no second alert: the router
// skips an item it has alerted within bus.RepostWindow.
const ItemsDuplicateWindow = 10 * time.Second

// ItemSubject is the subject an item of the named source is published on.
func ItemSubject(source string) string { return ItemsPrefix + "." + source }

// AlertSubject is the subject an alert is published on: its primary region
// and primary category.
func AlertSubject(region, category string) string {
	return AlertsPrefix + "." + Token(region, "other") + "." + Token(category, "other")
}

// RepostWindow is how long an alert is remembered for recognising reposts.
const RepostWindow = 7 * 24 * time.Hour

// RepostSubject is where a follow-up of an alert first seen on source goes.
func RepostSubject(source string) string { return RepostsPrefix + "." + Token(source, "unknown") }

// HealthSubject is where the named source's changes of state are published.
func HealthSubject(source string) string { return HealthPrefix + "." + Token(source, "unknown") }

// DeadLetterSubject is where the named notifier puts what it cannot deliver.
func DeadLetterSubject(notifier string) string {
	return DeadLetterPrefix + "." + Token(notifier, "unknown")
}

var tokenUnsafe = regexp.MustCompile(`[^a-z0-9_-]+`)

// Token turns s into a safe subject token: lower-case ASCII letters, digits,
// '-' and '_'; fallback when nothing is left.
func Token(s, fallback string) string {
	t := tokenUnsafe.ReplaceAllString(strings.ToLower(s), "-")
	t = strings.Trim(t, "-")
	if t == "" {
		return fallback
	}
	return t
}

// Retention says how long each stream keeps what it holds.
type Retention struct {
	Items      time.Duration
	Alerts     time.Duration
	DeadLetter time.Duration
}

// DefaultRetention keeps items a month, alerts three months and dead letters
// a year: long enough for any outage to be repaired and replayed.
func DefaultRetention() Retention {
	const day = 24 * time.Hour
	return Retention{Items: 30 * day, Alerts: 90 * day, DeadLetter: 365 * day}
}

// Setup creates or updates every stream and bucket qualitywatch uses, so a
// fresh server (embedded or not) is ready after one call. Each is tried
// once; SetupRetrying tries again while a cluster is still forming.
func Setup(ctx context.Context, js jetstream.JetStream, ret Retention, replicas int) error {
	for _, st := range setupSteps(js, ret, replicas) {
		if err := st.do(ctx); err != nil {
			return fmt.Errorf("set up %s: %w", st.what, err)
		}
	}
	return nil
}

// setupStep creates or updates one stream or bucket.
type setupStep struct {
	what string
	do   func(context.Context) error
}

func setupSteps(js jetstream.JetStream, ret Retention, replicas int) []setupStep {
	if replicas < 1 {
		replicas = 1
	}
	streams := []jetstream.StreamConfig{
		{Name: ItemsStream, Subjects: []string{ItemsPrefix + ".>"}, MaxAge: ret.Items},
		{Name: AlertsStream, Subjects: []string{AlertsPrefix + ".>"}, MaxAge: ret.Alerts},
		{Name: DeadLetterStream, Subjects: []string{DeadLetterPrefix + ".>"}, MaxAge: ret.DeadLetter},
		{Name: HealthStream, Subjects: []string{HealthPrefix + ".>"}, MaxAge: ret.Alerts},
		{Name: RepostsStream, Subjects: []string{RepostsPrefix + ".>"}, MaxAge: ret.Alerts},
	}
	var steps []setupStep
	for _, sc := range streams {
		sc.Description = "qualitywatch"
		sc.Storage = jetstream.FileStorage
		sc.Retention = jetstream.LimitsPolicy
		switch sc.Name {
		case ItemsStream:
			sc.Duplicates = ItemsDuplicateWindow
		case AlertsStream:
			sc.Duplicates = AlertsDuplicateWindow
		default:
			sc.Duplicates = DuplicateWindow
		}
		sc.Replicas = replicas
		steps = append(steps, setupStep{"stream " + sc.Name, func(ctx context.Context) error {
			_, err := js.CreateOrUpdateStream(ctx, sc)
			return err
		}})
	}
	buckets := []jetstream.KeyValueConfig{
		{Bucket: SeenBucket, Description: "qualitywatch: items already seen", History: 1},
		{Bucket: SourcesBucket, Description: "qualitywatch: source fetch state", History: 1},
		// Delivered marks and digest windows need to outlive only the alerts
		// they refer to.
		{Bucket: StateBucket, Description: "qualitywatch: source and notifier state", History: 1, TTL: ret.Alerts},
		// The copies found of recent alerts (reposts).
		{Bucket: RecentBucket, Description: "qualitywatch: copies of recent alerts (reposts)", History: 1, TTL: RepostWindow},
		// Poll slot claims and replicas' announcements, each with its own
		// TTL (watcher/lease.go).
		{Bucket: LeaseBucket, Description: "qualitywatch: poll leases", History: 1, LimitMarkerTTL: time.Minute},
	}
	for _, kc := range buckets {
		kc.Storage = jetstream.FileStorage
		kc.Replicas = replicas
		steps = append(steps, setupStep{"bucket " + kc.Bucket, func(ctx context.Context) error {
			_, err := js.CreateOrUpdateKeyValue(ctx, kc)
			return err
		}})
	}
	return steps
}

// IsNotFound reports whether err means a key or message does not exist.
func IsNotFound(err error) bool {
	return errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrMsgNotFound)
}
