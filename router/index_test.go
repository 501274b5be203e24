package router

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/bus"
	"github.com/qualitywatch/qualitywatch/internal/natstest"
	"github.com/qualitywatch/qualitywatch/repost"
)

// TestIndex: entries are found under their title's numbers only, the same
// alert recorded again (a copy noted on it) is kept once, a deleted record
// leaves the index, and entries past the repost window are swept.
func TestIndex(t *testing.T) {
	r := newRecent(nil, nil, nil)
	now := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	title := "山东省市场监督管理局关于2026年第5期食品安全监督抽检信息的通告"
	r.addRecordLocked(&Record{ID: "a", Detected: now, Print: repost.Of(title, "")})
	r.addRecordLocked(&Record{ID: "a", Detected: now, Print: repost.Of(title, ""), Regions: []string{"weifang"}})
	r.addRecordLocked(&Record{ID: "b", Detected: now.Add(time.Minute), Print: repost.Of("第6期抽检信息", "")})
	old := now.Add(-bus.RepostWindow - time.Hour)
	r.addRecordLocked(&Record{ID: "c", Detected: old, Print: repost.Of("第7期抽检信息", "")})
	group := func(title string) []entry { return r.groupLocked(repost.Of(title, "").Key().Numbers) }
	if len(r.byKey) != 3 || len(group(title)) != 1 {
		t.Fatalf("index: %d entries, %d under the first's numbers; want 3 and 1", len(r.byKey), len(group(title)))
	}
	if !r.alerted("a", now) || r.alerted("c", now) || r.alerted("zz", now) {
		t.Error("alerted: want a (recent), not c (past the window) nor an unknown id")
	}
	r.removeLocked(keyOf("b"))
	if group("第6期抽检信息") != nil || len(r.byKey) != 2 {
		t.Error("a removed entry stays in the index")
	}
	r.sweepLocked(now)
	if len(r.byKey) != 1 || len(r.byNumbers) != 1 {
		t.Errorf("after the sweep: %d entries in %d groups, want only a", len(r.byKey), len(r.byNumbers))
	}
}

// TestFindForgetsWhatIsGone: an entry whose store no longer has it (a
// record whose TTL ran out, which no watch event tells; an alert the
// stream's retention trimmed) is dropped and not matched.
func TestFindForgetsWhatIsGone(t *testing.T) {
	_, r := openIndex(t)
	now := time.Now()
	p := repost.Of("山东省市场监督管理局关于2026年第9期食品安全监督抽检信息的通告", "")
	r.mu.Lock()
	r.addRecordLocked(&Record{ID: "expired record", Detected: now, Print: p})
	r.mu.Unlock()
	r.added("trimmed alert", 4242, p, false, now)
	rec, err := r.find(t.Context(), p, "new", now)
	if err != nil || rec != nil {
		t.Fatalf("find = %v, %v; want no match and no error", rec, err)
	}
	for _, id := range []string{"expired record", "trimmed alert"} {
		if r.alerted(id, now) {
			t.Errorf("%s is still in the index", id)
		}
	}
}

// TestCorrectedReadsTheBucket: a correction is looked up by its title's
// text, which the index does not keep; the records are read from the
// bucket, and the most recent one it names, other than itself and within
// the window, is chosen. A record older than the window is not named even
// when nothing else is.
func TestCorrectedReadsTheBucket(t *testing.T) {
	conn, r := openIndex(t)
	now := time.Now()
	title := "山东省市场监督管理局关于2026年第5期食品安全监督抽检信息的通告"
	const expiredTitle = "淄博市市场监督管理局关于2025年第9期食品安全监督抽检信息的通告"
	for _, rec := range []*Record{
		{ID: "older", Detected: now.Add(-2 * time.Hour), Print: repost.Of(title, "")},
		{ID: "newer", Detected: now.Add(-time.Hour), Print: repost.Of(title, "")},
		{ID: "expired", Detected: now.Add(-bus.RepostWindow - time.Minute), Print: repost.Of(title, "")},
		{ID: "expired alone", Detected: now.Add(-bus.RepostWindow - time.Minute), Print: repost.Of(expiredTitle, "")},
		{ID: "self", Detected: now, Print: repost.Of(title, "")},
		{ID: "other", Detected: now, Print: repost.Of("青岛市计量器具强制检定工作安排的通知", "")},
	} {
		if err := r.put(t.Context(), rec); err != nil {
			t.Fatal(err)
		}
	}
	rest, ok := repost.Corrects("关于更正" + title)
	if !ok {
		t.Fatal("the correction's title is not recognised")
	}
	if got, err := r.corrected(t.Context(), rest, repost.Of("关于更正"+title, ""), "self", now); err != nil || got != "newer" {
		t.Errorf("corrected = %q, %v; want newer", got, err)
	}
	rest, _ = repost.Corrects("关于更正" + expiredTitle)
	if got, err := r.corrected(t.Context(), rest, repost.Of("关于更正"+expiredTitle, ""), "self", now); err != nil || got != "" {
		t.Errorf("corrected naming only an expired record = %q, %v; want none", got, err)
	}
	rest, _ = repost.Corrects("关于撤销济南市电梯维保单位名单的公告")
	if got, err := r.corrected(t.Context(), rest, repost.Of("关于撤销济南市电梯维保单位名单的公告", ""), "self", now); err != nil || got != "" {
		t.Errorf("corrected naming nothing recorded = %q, %v; want none", got, err)
	}
	// That lookup scanned the stream; its consumer goes, the index's own
	// follow stays.
	stream, err := conn.JS.Stream(t.Context(), bus.AlertsStream)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the scan's consumer to go (only the follow's stays)", func() bool {
		names := 0
		for range stream.ConsumerNames(t.Context()).Name() {
			names++
		}
		return names == 1
	})
}

// waitFor polls cond until it holds, failing the test after 20 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestFindConfirmsWholePrint: the index holds hashes; a candidate whose
// record, read whole, is not the same notice (as after a hash collision)
// is passed over, not merged.
func TestFindConfirmsWholePrint(t *testing.T) {
	conn := natstest.Start(t, "")
	kv, err := conn.JS.KeyValue(t.Context(), bus.RecentBucket)
	if err != nil {
		t.Fatal(err)
	}
	alerts, err := conn.JS.Stream(t.Context(), bus.AlertsStream)
	if err != nil {
		t.Fatal(err)
	}
	r := newRecent(conn.JS, kv, alerts) // no follow: the test sets what the index believes
	now := time.Now()
	p := repost.Of("山东省市场监督管理局关于2026年第9期食品安全监督抽检信息的通告", "")
	if err := r.put(t.Context(), &Record{ID: "other", Detected: now, Print: repost.Of("2026年第9期计量器具检定", "")}); err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	r.addRecordLocked(&Record{ID: "other", Detected: now, Print: p}) // the index believes it matches
	r.mu.Unlock()
	if rec, err := r.find(t.Context(), p, "new", now); err != nil || rec != nil {
		t.Fatalf("find = %+v, %v; want no match", rec, err)
	}
	if err := r.put(t.Context(), &Record{ID: "same", Detected: now.Add(-time.Minute), Print: p}); err != nil {
		t.Fatal(err)
	}
	if rec, err := r.find(t.Context(), p, "new", now); err != nil || rec == nil || rec.ID != "same" {
		t.Fatalf("find = %+v, %v; want the record of same", rec, err)
	}
}

type nopMetrics struct{}

func (nopMetrics) AlertPublished(string, string) {}

// openIndex starts a server and opens the repost index on it.
func openIndex(t *testing.T) (*bus.Conn, *recent) {
	t.Helper()
	conn := natstest.Start(t, "")
	return conn, reopenIndex(t, conn)
}

// reopenIndex opens another index on conn's server (a restart, or another
// replica).
func reopenIndex(t *testing.T, conn *bus.Conn) *recent {
	t.Helper()
	r, err := openRecent(t.Context(), conn.JS)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// routerOn is a router on conn with index r, for calling route directly.
func routerOn(conn *bus.Conn, r *recent) *Router {
	s := New(conn.JS, slog.New(slog.NewTextHandler(io.Discard, nil)), nopMetrics{})
	s.recent = r
	return s
}

// TestIndexKeptInTheStream: an alert's print travels with it on the alerts
// stream, and no record is written for it; an index opened later (a
// restart, or another replica) knows it from the stream, and an index
// already open learns of alerts other replicas publish. Records that
// stores written before kept in the bucket for every alert are still read.
func TestIndexKeptInTheStream(t *testing.T) {
	conn, r1 := openIndex(t)
	ctx := t.Context()
	s := routerOn(conn, r1)
	text := strings.Repeat("抽检不合格产品核查处置情况。", 12)
	it := alert.Item{ID: "link:a", Source: "province", Title: "山东省市场监督管理局关于2026年第5期食品安全监督抽检信息的通告", Text: text,
		Verdict: alert.Verdict{Match: true, Categories: []string{"sampling"}, Regions: []string{"shandong"}}}
	if err := s.route(ctx, it); err != nil {
		t.Fatal(err)
	}
	kv, err := conn.JS.KeyValue(ctx, bus.RecentBucket)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Get(ctx, RecordKey(it.ID)); !bus.IsNotFound(err) {
		t.Errorf("a record was written for an alert without copies (err %v)", err)
	}
	legacy := Record{ID: "link:old", Source: "qingdao", Title: "青岛市2026年第3批计量器具强制检定公告", Detected: time.Now().Add(-time.Hour),
		Print: repost.Of("青岛市2026年第3批计量器具强制检定公告", "")}
	b, err := json.Marshal(legacy)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(ctx, RecordKey(legacy.ID), b); err != nil {
		t.Fatal(err)
	}

	r2 := reopenIndex(t, conn)
	now := time.Now()
	if !r2.alerted(it.ID, now) || !r2.alerted(legacy.ID, now) {
		t.Fatalf("a new index: alerted(%s) = %v, alerted(%s) = %v; want both", it.ID, r2.alerted(it.ID, now), legacy.ID, r2.alerted(legacy.ID, now))
	}
	rec, err := r2.find(ctx, repost.Of("转发："+it.Title, text), "link:copy", now)
	if err != nil || rec == nil || rec.ID != it.ID || rec.Title != it.Title || rec.Source != it.Source || rec.Print.Sim != repost.Of(it.Title, text).Sim {
		t.Fatalf("find the repost = %+v, %v; want the record of %s read from the stream", rec, err, it.ID)
	}
	if rec, err := r2.find(ctx, legacy.Print, "link:x", now); err != nil || rec == nil || rec.ID != legacy.ID {
		t.Fatalf("find the legacy record = %+v, %v; want %s", rec, err, legacy.ID)
	}

	rest, _ := repost.Corrects("关于更正" + it.Title)
	if got, err := r2.corrected(ctx, rest, repost.Of("关于更正"+it.Title, ""), "link:fix", now); err != nil || got != it.ID {
		t.Errorf("corrected = %q, %v; want %s, found by its print on the stream", got, err, it.ID)
	}

	dated := "关于更正（2026年12月3日）" + it.Title // other numbers: not in the alert's group
	rest, _ = repost.Corrects(dated)
	if got, err := r2.corrected(ctx, rest, repost.Of(dated, ""), "link:fix", now); err != nil || got != it.ID {
		t.Errorf("corrected, dated = %q, %v; want %s, found by scanning the stream's prints", got, err, it.ID)
	}

	it2 := it
	it2.ID, it2.Title = "link:b", "山东省市场监督管理局关于2026年第6期食品安全监督抽检信息的通告"
	if err := s.route(ctx, it2); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the other index to learn of the alert from the stream", func() bool { return r2.alerted(it2.ID, time.Now()) })
}

// TestUpdatesAreNeverFirst: updates and corrections are indexed (so that
// they are known as alerted) but a later correction names the original,
// and a repost is recorded on the original, not on them.
func TestUpdatesAreNeverFirst(t *testing.T) {
	conn, r := openIndex(t)
	ctx := t.Context()
	s := routerOn(conn, r)
	title := "山东省市场监督管理局关于2026年第5期食品安全监督抽检信息的通告"
	text := strings.Repeat("抽检不合格产品核查处置情况。", 12)
	item := func(id, title, updateOf string) alert.Item {
		return alert.Item{ID: id, Source: "province", Link: "http://province.example/" + id, Title: title, Text: text, UpdateOf: updateOf,
			Verdict: alert.Verdict{Match: true, Categories: []string{"sampling"}, Regions: []string{"shandong"}}}
	}
	for _, it := range []alert.Item{
		item("a", title, ""),
		item("a#update", title, "a"),
		item("c1", "关于更正"+title, ""),
	} {
		if err := s.route(ctx, it); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	for _, id := range []string{"a", "a#update", "c1"} {
		if !r.alerted(id, now) {
			t.Errorf("%s is not known as alerted", id)
		}
	}
	rest, _ := repost.Corrects("更正：" + title)
	if got, err := r.corrected(ctx, rest, repost.Of("更正："+title, ""), "c2", now); err != nil || got != "a" {
		t.Errorf("a second correction names %q (%v), want the original a", got, err)
	}
	rec, err := r.find(ctx, repost.Of("转发："+title, text), "copy", now)
	if err != nil || rec == nil || rec.ID != "a" {
		t.Errorf("a repost is a copy of %+v (%v), want the original a", rec, err)
	}
}

// TestFindPassesOverUnreadable: an indexed alert whose stored copy has no
// print (an earlier version stored it, and a publish of it came back as a
// duplicate) is dropped, and the lookup goes on without an error.
func TestFindPassesOverUnreadable(t *testing.T) {
	conn, r := openIndex(t)
	ctx := t.Context()
	title := "山东省市场监督管理局关于2026年第5期食品安全监督抽检信息的通告"
	b, err := json.Marshal(alert.Alert{ID: "old", Title: title, Detected: time.Now().UTC().Format(time.RFC3339)})
	if err != nil {
		t.Fatal(err)
	}
	ack, err := conn.JS.Publish(ctx, bus.AlertSubject("shandong", "sampling"), b)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	p := repost.Of(title, "")
	if err := r.put(ctx, &Record{ID: "older", Title: title, Detected: now.Add(-time.Hour), Print: p}); err != nil {
		t.Fatal(err)
	}
	r.added("old", ack.Sequence, p, false, now)
	rec, err := r.find(ctx, p, "new", now)
	if err != nil || rec == nil || rec.ID != "older" {
		t.Fatalf("find = %+v, %v; want the readable older alert", rec, err)
	}
	if r.alerted("old", now) {
		t.Error("the unreadable entry stays in the index")
	}
}

// TestFollowCatchesUpOverRemoved: alerts removed from the stream before
// the index loads are not waited for (the stream's position still counts
// them, which the follow once compared with). Alerts removed while the
// follow reads are judged by caughtUp: TestCaughtUp.
func TestFollowCatchesUpOverRemoved(t *testing.T) {
	conn := natstest.Start(t, "")
	ctx := t.Context()
	since := time.Now().Add(-time.Minute)
	stream, err := conn.JS.Stream(ctx, bus.AlertsStream)
	if err != nil {
		t.Fatal(err)
	}
	var seqs []uint64
	for i := range 5 {
		m := &nats.Msg{Subject: bus.AlertSubject("shandong", "sampling"), Data: []byte(`{}`), Header: nats.Header{}}
		m.Header.Set(jetstream.MsgIDHeader, fmt.Sprint("removed-", i))
		m.Header.Set(bus.HeaderPrint, `{"title":"x"}`)
		ack, err := conn.JS.PublishMsg(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, ack.Sequence)
	}
	for _, seq := range seqs {
		if err := stream.DeleteMsg(ctx, seq); err != nil {
			t.Fatal(err)
		}
	}
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	seen := 0
	caught, err := followAlerts(wctx, conn.JS, since, true, func(indexed) { seen++ })
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-caught:
	case <-wctx.Done():
		t.Fatal("the follow never caught up: it waits for alerts that were removed")
	}
	if seen != 0 {
		t.Errorf("%d removed alerts were read", seen)
	}
}

// TestCaughtUp: the server's stream position moves past alerts removed
// before delivery, so being caught up is judged by the consumer's own
// count of what it delivered against what was handled.
func TestCaughtUp(t *testing.T) {
	info := func(name string, pending, delivered, streamPos uint64) *jetstream.ConsumerInfo {
		return &jetstream.ConsumerInfo{Name: name, NumPending: pending,
			Delivered: jetstream.SequenceInfo{Consumer: delivered, Stream: streamPos}}
	}
	tests := []struct {
		name string
		info *jetstream.ConsumerInfo
		seq  uint64
		want bool
	}{
		{"all pending removed before delivery", info("c1", 0, 0, 5), 0, true},
		{"still pending", info("c1", 2, 3, 8), 3, false},
		{"delivered, not yet handled", info("c1", 0, 3, 8), 2, false},
		{"delivered and handled, then some removed", info("c1", 0, 3, 9), 3, true},
		{"a reset consumer delivered what was not handled", info("c2", 0, 1, 9), 3, false},
	}
	for _, tt := range tests {
		if got := caughtUp(tt.info, "c1", tt.seq); got != tt.want {
			t.Errorf("%s: caughtUp = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestIndexAgainstModel runs random additions, removals, forgets and sweeps
// on the index and on a plain model of it (a map by key, and each group a
// slice in the order indexed), and compares them after every step: the
// slots, their group chains and the free list must say what the model says.
func TestIndexAgainstModel(t *testing.T) {
	type model struct {
		byKey  map[recordKey]entry
		groups map[uint64][]entry
	}
	m := model{byKey: map[recordKey]entry{}, groups: map[uint64][]entry{}}
	mRemove := func(k recordKey) {
		e, ok := m.byKey[k]
		if !ok {
			return
		}
		delete(m.byKey, k)
		g := slices.DeleteFunc(m.groups[e.print.Numbers], func(x entry) bool { return x.key == k })
		if len(g) == 0 {
			delete(m.groups, e.print.Numbers)
		} else {
			m.groups[e.print.Numbers] = g
		}
	}
	r := newRecent(nil, nil, nil)
	rng := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for step := range 20000 {
		k := keyOf(fmt.Sprint(rng.IntN(60)))
		switch op := rng.IntN(10); {
		case op < 6:
			e := entry{key: k, print: repost.Key{Numbers: uint64(rng.IntN(8)), Title: uint64(rng.IntN(3))},
				detected: base.Add(time.Duration(rng.IntN(20)) * 24 * time.Hour).UnixNano(), seq: uint64(rng.IntN(3))}
			r.addLocked(e)
			if old, ok := m.byKey[k]; ok && e.seq != 0 && (old.seq == 0 || old.seq == e.seq) {
				break
			}
			mRemove(k)
			m.byKey[k] = e
			m.groups[e.print.Numbers] = append(m.groups[e.print.Numbers], e)
		case op < 8:
			r.removeLocked(k)
			mRemove(k)
		case op < 9:
			e, ok := m.byKey[k]
			if !ok || rng.IntN(2) == 0 {
				e = entry{key: k, seq: 7} // not what is indexed: forgotten only if unchanged
			}
			r.forget(e)
			if cur, ok := m.byKey[k]; ok && cur.seq == e.seq && cur.detected == e.detected {
				mRemove(k)
			}
		default:
			now := base.Add(time.Duration(rng.IntN(30)) * 24 * time.Hour)
			r.swept = time.Time{}
			r.sweepLocked(now)
			for k, e := range m.byKey {
				if expired(e.detected, now) {
					mRemove(k)
				}
			}
		}
		if len(r.byKey) != len(m.byKey) || len(r.byNumbers) != len(m.groups) {
			t.Fatalf("step %d: %d entries in %d groups; the model has %d in %d", step, len(r.byKey), len(r.byNumbers), len(m.byKey), len(m.groups))
		}
		for nk, want := range m.groups {
			if got := r.groupLocked(nk); !slices.Equal(got, want) {
				t.Fatalf("step %d: group %d is %v; the model's is %v", step, nk, got, want)
			}
		}
		free := 0
		for i := r.free; i >= 0; i = r.at(i).next {
			free++
		}
		if free+len(r.byKey) != slotsOf(r) {
			t.Fatalf("step %d: %d slots, %d in use and %d free", step, slotsOf(r), len(r.byKey), free)
		}
	}
	if n := slotsOf(r); n > 60 {
		t.Errorf("%d slots for at most 60 keys: freed slots are not reused", n)
	}
}

// slotsOf is how many slots r has handed out, in use or free.
func slotsOf(r *recent) int {
	n := 0
	for _, c := range r.chunks {
		n += len(c)
	}
	return n
}

// BenchmarkIndexBytesPerAlert reports the live heap an indexed alert takes
// (each alert with numbers of its own, as the scale harness's notices),
// and the time to index one.
func BenchmarkIndexBytesPerAlert(b *testing.B) {
	const n = 100_000
	base := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	var perAlert float64
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		r := newRecent(nil, nil, nil)
		for i := range n {
			r.addLocked(entry{key: keyOf(fmt.Sprint(i)), print: repost.Key{Numbers: uint64(i), Title: 1}, detected: base.UnixNano(), seq: uint64(i + 1)})
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		perAlert = float64(after.HeapAlloc-before.HeapAlloc) / n
		runtime.KeepAlive(r)
	}
	b.ReportMetric(perAlert, "B/alert")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/add")
}
