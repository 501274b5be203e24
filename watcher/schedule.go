package watcher

import (
	"context"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
)

// Job is one scheduled source.
type Job struct {
	Poller   *Poller
	Schedule cron.Schedule
	// Jitter delays each poll by a random duration up to this.
	Jitter time.Duration
}

// Scheduler runs every source on its own cron schedule. A slow poll never
// overlaps itself (SkipIfStillRunning) and a panic in one poll is recovered
// without stopping the others (Recover, innermost, so the skip guard is
// always released).
type Scheduler struct {
	cron   *cron.Cron
	logger *slog.Logger
	owner  string // this replica (nats.instance) in slot claims

	first    sync.WaitGroup // the polls Start runs at once, outside cron
	stopping chan struct{}  // closed by Stop: start-up polls not begun are dropped
	stopOnce sync.Once

	mu       sync.Mutex
	lastErrs map[string]string
	jobs     []Job
	entries  map[string]cron.EntryID
	members  *members // the replicas sharing the sources (lease.go)
	// Solo says no other replica can poll these sources (the embedded
	// server's store is locked to one process): no claims are made.
	Solo       bool
	unfinished map[string]time.Time // source -> slot claimed whose poll was cut short
	claimErr   string
}

// NewScheduler returns a scheduler whose jobs poll under ctx. owner names
// this replica among those sharing the sources (nats.instance): it must be
// unique to the process.
func NewScheduler(logger *slog.Logger, loc *time.Location, owner string) *Scheduler {
	cl := cronLogger{logger}
	return &Scheduler{
		cron:       cron.New(cron.WithLocation(loc), cron.WithLogger(cl), cron.WithChain()),
		logger:     logger,
		owner:      owner,
		lastErrs:   map[string]string{},
		entries:    map[string]cron.EntryID{},
		unfinished: map[string]time.Time{},
		stopping:   make(chan struct{}),
	}
}

// add schedules a job whose polls run under ctx, and returns it wrapped.
func (s *Scheduler) add(ctx context.Context, j Job) cron.Job {
	cl := cronLogger{s.logger.With("source", j.Poller.Source.Name)}
	wrapped := cron.NewChain(cron.SkipIfStillRunning(cl), cron.Recover(cl)).Then(cron.FuncJob(func() { s.run(ctx, j) }))
	id := s.cron.Schedule(j.Schedule, wrapped)
	s.mu.Lock()
	s.entries[j.Poller.Source.Name] = id
	s.mu.Unlock()
	return wrapped
}

// Next is when source is next due (zero if it is not scheduled).
func (s *Scheduler) Next(source string) time.Time {
	s.mu.Lock()
	id, ok := s.entries[source]
	s.mu.Unlock()
	if !ok {
		return time.Time{}
	}
	return s.cron.Entry(id).Next
}

// Start-up polls run at most this many at once overall, and per host: a
// daemon watching thousands of sources does not fetch them all in the same
// second (memory, and the sites' patience).
const (
	startupConcurrency = 16
	startupPerHost     = 2
)

// Start starts scheduling. Each source is also polled once right away,
// through the same guards, so a new source's baseline is taken at start-up;
// these first polls are spread (startupConcurrency overall,
// startupPerHost per host, hosts taken in turn).
func (s *Scheduler) Start(ctx context.Context, jobs []Job) {
	if m := s.join(ctx, jobs); m != nil {
		// A first view of the other replicas, so that the start-up polls
		// are shared too (claims keep them apart in any case).
		select {
		case <-m.ready:
		case <-time.After(membersWait):
		case <-ctx.Done():
		}
	}
	var wrapped []cron.Job
	for _, j := range jobs {
		wrapped = append(wrapped, s.add(ctx, j))
	}
	s.mu.Lock()
	s.jobs = append(s.jobs, jobs...)
	s.mu.Unlock()
	s.cron.Start()
	all := make(chan struct{}, startupConcurrency)
	hosts := map[string]chan struct{}{}
	for _, i := range interleaveByHost(jobs) {
		h := hostOf(jobs[i].Poller.Source.URL)
		if hosts[h] == nil {
			hosts[h] = make(chan struct{}, startupPerHost)
		}
		per, w := hosts[h], wrapped[i]
		s.first.Go(func() {
			select {
			case all <- struct{}{}:
			case <-ctx.Done():
				return
			case <-s.stopping:
				return
			}
			select {
			case per <- struct{}{}:
			case <-ctx.Done():
				<-all
				return
			case <-s.stopping:
				<-all
				return
			}
			defer func() { <-per; <-all }()
			w.Run()
		})
	}
}

// interleaveByHost orders job indexes so that hosts take turns.
func interleaveByHost(jobs []Job) []int {
	var hosts []string
	by := map[string][]int{}
	for i, j := range jobs {
		h := hostOf(j.Poller.Source.URL)
		if _, ok := by[h]; !ok {
			hosts = append(hosts, h)
		}
		by[h] = append(by[h], i)
	}
	var out []int
	for len(out) < len(jobs) {
		for _, h := range hosts {
			if q := by[h]; len(q) > 0 {
				out = append(out, q[0])
				by[h] = q[1:]
			}
		}
	}
	return out
}

func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return strings.ToLower(u.Hostname())
}

// Add schedules more jobs on a running scheduler, each polled once right
// away (a new source takes its baseline).
func (s *Scheduler) Add(ctx context.Context, jobs []Job) {
	s.join(ctx, jobs)
	for _, j := range jobs {
		w := s.add(ctx, j)
		s.mu.Lock()
		s.jobs = append(s.jobs, j)
		s.mu.Unlock()
		s.first.Go(w.Run)
	}
}

// Remove stops scheduling source. A poll in flight finishes.
func (s *Scheduler) Remove(source string) {
	s.mu.Lock()
	id, ok := s.entries[source]
	delete(s.entries, source)
	s.jobs = slices.DeleteFunc(s.jobs, func(j Job) bool { return j.Poller.Source.Name == source })
	s.mu.Unlock()
	if ok {
		s.cron.Remove(id)
	}
}

// Stop stops scheduling and returns a context that is done when every
// running poll, the start-up ones included, has finished.
func (s *Scheduler) Stop() context.Context {
	s.stopOnce.Do(func() { close(s.stopping) })
	cronDone := s.cron.Stop()
	ctx, done := context.WithCancel(context.Background())
	go func() {
		<-cronDone.Done()
		s.first.Wait()
		done()
	}()
	return ctx
}

// join starts announcing this replica and following the others, once,
// through the lease bucket of the jobs' store; nil when there is none.
func (s *Scheduler) join(ctx context.Context, jobs []Job) *members {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Solo || s.members != nil || len(jobs) == 0 || jobs[0].Poller.Store == nil {
		return s.members
	}
	s.members = newMembers(s.owner, jobs[0].Poller.Store, s.logger)
	go s.members.run(ctx, s.stopping)
	return s.members
}

// ReleaseLeases tells the other replicas that this one stops, so that they
// take its sources over at once, and gives back the slots whose polls
// Stop cut short. Call it after Stop.
func (s *Scheduler) ReleaseLeases(ctx context.Context) {
	s.mu.Lock()
	m := s.members
	var jobs []Job
	for _, j := range s.jobs {
		if _, ok := s.unfinished[j.Poller.Source.Name]; ok {
			jobs = append(jobs, j)
		}
	}
	unfinished := maps.Clone(s.unfinished)
	s.mu.Unlock()
	for _, j := range jobs {
		name := j.Poller.Source.Name
		if err := j.Poller.Store.Unclaim(ctx, name, unfinished[name], s.owner); err != nil {
			j.Poller.Logger.Debug("give back poll slot", "err", err)
		}
	}
	if m != nil {
		if err := m.leave(ctx); err != nil {
			s.logger.Debug("leave the replicas", "err", err)
		}
	}
}

func (s *Scheduler) run(ctx context.Context, j Job) {
	if ctx.Err() != nil {
		return
	}
	name := j.Poller.Source.Name
	logger := j.Poller.Logger
	if j.Schedule != nil && !s.Solo {
		// The slot is claimed at the tick, before the jitter: each tick
		// has its own slot, however late the jitter puts its poll.
		now := time.Now()
		sl, ok := s.claim(ctx, j, now)
		if !ok {
			j.Poller.Metrics.Polled(name, "skipped", now)
			j.Poller.CheckStale(ctx)
			return
		}
		defer func() {
			if ctx.Err() != nil { // cut short by Stop: ReleaseLeases gives it back
				s.mu.Lock()
				s.unfinished[name] = sl.start
				s.mu.Unlock()
			}
		}()
	}
	if j.Jitter > 0 {
		select {
		case <-time.After(rand.N(j.Jitter)):
		case <-ctx.Done():
			return
		}
	}
	start := time.Now()
	res, err := j.Poller.Poll(ctx)
	switch {
	case err != nil && ctx.Err() != nil:
		logger.Debug("poll stopped: the daemon is stopping", "err", err)
		return
	case err != nil:
		s.logError(name, logger, err)
		return
	case res.Skipped != "":
		logger.Debug("poll skipped", "why", res.Skipped)
		return
	}
	s.clearError(name)
	logger.Debug("polled", "not_modified", res.NotModified, "entries", res.Entries, "new", res.New,
		"published", res.Published, "baseline", res.Baseline, "deferred", res.Deferred, "pages", res.Pages,
		"took", time.Since(start).Round(time.Millisecond))
}

// claim decides whether this replica polls j's source in the slot of now
// (see lease.go): it must be the source's replica, or the previous slot
// went unclaimed, and it must win the slot's claim.
func (s *Scheduler) claim(ctx context.Context, j Job, now time.Time) (slot, bool) {
	name, logger := j.Poller.Source.Name, j.Poller.Logger
	sl := slotAt(j.Schedule, now)
	// Wait no longer than the slot can spare: a claim made late is dropped.
	cctx, cancel := context.WithTimeout(ctx, min(claimTimeout, sl.length()/2))
	defer cancel()
	s.mu.Lock()
	m := s.members
	s.mu.Unlock()
	if m != nil && !m.owns(name, now) {
		taken, err := j.Poller.Store.Claimed(cctx, name, sl.prev(j.Schedule).start)
		if err != nil || taken {
			logger.Debug("another replica polls this source; skipping this tick", "self", s.owner)
			return sl, false
		}
		logger.Debug("the previous interval went unpolled; stepping in", "self", s.owner)
	}
	ok, err := j.Poller.Store.Claim(cctx, name, sl.start, s.owner, 2*sl.length()+time.Second)
	s.noteClaim(ctx, err)
	switch {
	case err != nil:
		return sl, false
	case !ok:
		logger.Debug("another replica polled this source in this interval; skipping this tick", "self", s.owner)
		return sl, false
	case time.Since(now) > sl.length()/2:
		logger.Debug("claimed this interval too late to poll in it", "took", time.Since(now).Round(time.Millisecond))
		return sl, false
	}
	return sl, true
}

// noteClaim logs claims that fail, once per different error, and their
// recovery: without a claim nothing is polled (an interval missed rather
// than polled twice).
func (s *Scheduler) noteClaim(ctx context.Context, err error) {
	if ctx.Err() != nil {
		return
	}
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	s.mu.Lock()
	prev := s.claimErr
	s.claimErr = msg
	s.mu.Unlock()
	switch {
	case msg == prev:
	case err != nil:
		s.logger.Warn("cannot claim poll slots in the lease bucket; not polling until it answers", "err", err)
	case prev != "":
		s.logger.Info("poll slots claimed again")
	}
}

// logError logs a failed poll at info level when its error changes, and at
// debug level while it repeats: the source's change of state (failing,
// blocked, layout) is what is logged at WARN, once (see health.go).
func (s *Scheduler) logError(name string, logger *slog.Logger, err error) {
	s.mu.Lock()
	changed := s.lastErrs[name] != err.Error()
	s.lastErrs[name] = err.Error()
	s.mu.Unlock()
	if changed {
		logger.Info("poll failed", "err", err)
	} else {
		logger.Debug("poll still failing", "err", err)
	}
}

func (s *Scheduler) clearError(name string) {
	s.mu.Lock()
	delete(s.lastErrs, name)
	s.mu.Unlock()
}

// cronLogger adapts slog to cron's logger.
type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) { c.l.Debug("cron: "+msg, kv...) }
func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error("cron: "+msg, append(kv, "err", err)...)
}
