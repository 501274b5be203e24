package watcher

// Sharing sources between replicas.
//
// Several qualitywatch processes on one NATS cluster poll each source at
// most once per interval between them, and when one dies the others take
// its sources over within an interval and a few seconds. Two mechanisms,
// both in the lease bucket (bus.LeaseBucket):
//
//  1. Slot claims make it safe. A source's schedule is cut into slots that
//     every replica computes alike: for @every schedules, whose ticks move
//     with each process's start, the Unix-time grid of the interval (@every
//     2s: [0s,2s), [2s,4s), ...); for cron specs, which fire at the same
//     instants everywhere, the time from one tick to the next. A replica
//     polls only after creating the key claim.<source>.<slot start>, and
//     the create succeeds for exactly one replica: the stream's leader
//     orders the writes (the loser gets "wrong last sequence", 10071, or
//     10164 on a replicated bucket). Replicas sharing a host, races, clock
//     drift and TTL rounding cannot let two replicas poll in one slot. A
//     claim that cannot be made (no leader during an election, a timeout)
//     means no poll in that slot: an interval missed, never one polled
//     twice.
//  2. Rendezvous hashing shares the work and hands it over. Each replica
//     announces itself every second (key member.<instance>.<n>, expiring
//     after memberTimeout) and watches the others' announcements. A source
//     belongs to the live replica with the highest hash of (source,
//     instance), and only that replica claims it at its ticks, so each
//     replica polls its own share on its own rhythm. Another replica steps
//     in when the previous slot went unclaimed (its owner is dead, stuck or
//     lacks the source), and a replica not heard from for memberTimeout is
//     dropped and its sources rehashed to the others: a dead replica's
//     sources are polled again within an interval and a few seconds.
//
// Why not a lease held across intervals (what this replaced): replicas tick
// at different phases, so a lease that changes hands lets the new holder
// poll at its own phase, in the same interval as the old holder's last
// poll; and a lease's expiry rests on per-key TTLs, which the server keeps
// in whole seconds, and on everyone's clock. A claim is keyed by the
// interval itself and never expires while it matters. Why not a work queue
// (a stream of "poll X now" messages): someone must still publish each
// message once per interval, which is the same election again.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/robfig/cron/v3"

	"github.com/qualitywatch/qualitywatch/bus"
)

const (
	// heartbeatEvery is how often a replica announces itself.
	heartbeatEvery = time.Second
	// memberTimeout is how long a replica not heard from counts as alive;
	// its announcements expire after as long (whole seconds on the server).
	memberTimeout = 4 * time.Second
	// membersWait bounds how long Start waits for the first view of the
	// other replicas before its first polls (claims keep them safe anyway).
	membersWait = 2 * time.Second
	// claimTimeout bounds one claim; less when the slot is short.
	claimTimeout = 5 * time.Second
)

// slot is one interval of a source's schedule, the same on every replica.
type slot struct{ start, end time.Time }

func (sl slot) length() time.Duration { return sl.end.Sub(sl.start) }

// slotAt returns the slot of sched that t falls in.
func slotAt(sched cron.Schedule, t time.Time) slot {
	next := sched.Next(t)
	if next.IsZero() { // never fires: a slot of its own
		s := t.Truncate(time.Second)
		return slot{s, s.Add(time.Second)}
	}
	after := sched.Next(next)
	if sched.Next(next.Add(time.Second)).Equal(after) {
		// Ticks fixed in wall-clock time (a cron spec): from one to the next.
		return slot{prevTick(sched, t, next, after.Sub(next)), next}
	}
	// Ticks that move with the time they are computed from (@every): the
	// Unix-time grid of the interval.
	d := max(after.Sub(next), time.Second)
	start := time.Unix(0, t.UnixNano()/int64(d)*int64(d))
	return slot{start, start.Add(d)}
}

// prevTick is the last tick of sched at or before t, whose next tick is
// next, step after it.
func prevTick(sched cron.Schedule, t, next time.Time, step time.Duration) time.Time {
	for back := step; back <= 64*step; back *= 2 {
		p := sched.Next(t.Add(-back))
		if p.IsZero() || p.After(t) {
			continue
		}
		for {
			q := sched.Next(p)
			if q.IsZero() || q.After(t) {
				return p
			}
			p = q
		}
	}
	return next.Add(-step)
}

// prev is the slot before sl.
func (sl slot) prev(sched cron.Schedule) slot { return slotAt(sched, sl.start.Add(-time.Nanosecond)) }

func claimKey(source string, start time.Time) string {
	return fmt.Sprintf("claim.%s.%d", source, start.Unix())
}

// wholeSeconds rounds ttl up to the server's resolution for per-key TTLs
// (a 1.6s TTL would otherwise last 1s).
func wholeSeconds(ttl time.Duration) time.Duration {
	return max(time.Second, (ttl+time.Second-1)/time.Second*time.Second)
}

// lostRace reports whether err says the key was already there: 10071 on a
// single server, 10164 on a replicated bucket.
func lostRace(err error) bool {
	if errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
		return true
	}
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && (apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
		apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}

// Claim takes the slot that starts at start for owner. Exactly one caller
// per slot gets true, whoever it is; the claim lasts ttl (at least).
func (s *Store) Claim(ctx context.Context, source string, start time.Time, owner string, ttl time.Duration) (bool, error) {
	_, err := s.leases.Create(ctx, claimKey(source, start), []byte(owner), jetstream.KeyTTL(wholeSeconds(ttl)))
	switch {
	case err == nil:
		return true, nil
	case lostRace(err):
		return false, nil
	default:
		return false, fmt.Errorf("claim poll slot: %w", err)
	}
}

// Claimed reports whether anyone claimed the slot that starts at start.
func (s *Store) Claimed(ctx context.Context, source string, start time.Time) (bool, error) {
	_, err := s.leases.Get(ctx, claimKey(source, start))
	switch {
	case err == nil:
		return true, nil
	case bus.IsNotFound(err):
		return false, nil
	default:
		return false, fmt.Errorf("read poll slot claim: %w", err)
	}
}

// Unclaim gives the slot back if owner holds it, so that another replica
// may poll in it.
func (s *Store) Unclaim(ctx context.Context, source string, start time.Time, owner string) error {
	return s.release(ctx, claimKey(source, start), owner)
}

func (s *Store) release(ctx context.Context, key, owner string) error {
	e, err := s.leases.Get(ctx, key)
	if bus.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", key, err)
	}
	if string(e.Value()) != owner {
		return nil
	}
	// A purge whose marker expires: claim keys are unique, and delete
	// markers would otherwise stay for good.
	err = s.leases.Purge(ctx, key, jetstream.LastRevision(e.Revision()), jetstream.PurgeTTL(memberTimeout))
	if err != nil && !bus.IsNotFound(err) && !lostRace(err) {
		return fmt.Errorf("release %s: %w", key, err)
	}
	return nil
}
